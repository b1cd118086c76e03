"""The Bicep sets exactly the app settings the code reads — both sides read from their sources.

The code's side is every declared setting (``app.settings.SETTINGS``, gathered from each package's
section) except those whose declaration says why the deployment leaves them unset
(``SettingSpec.unset_in_azure``: an alternative not used in Azure). The Bicep's side is the
``appSettings`` object of ``infra/bicep/main.bicep``, which the Function App module turns into its
app settings and nothing else. A new setting in a section, or one dropped from the code, fails
here until the Bicep follows.
"""

from __future__ import annotations

import ast
from pathlib import Path

from app.settings import SETTINGS
from bot.bot_settings import BOT_AUTH_OVERRIDE_KEYS
from tests.unit.infra.bicep import BICEP_DIR, MAIN, ROOT, parse

HOST_SETTINGS: dict[str, str] = {
    "AzureWebJobsStorage__accountName": "the Functions host's own storage, reached with the identity",
    "AzureWebJobsStorage__credential": "the Functions host's own storage: managedidentity",
    "AzureWebJobsStorage__clientId": "the Functions host's own storage: which user-assigned identity",
    "SwitchboardStorage__credential": (
        "the operations queue triggers' identity-based connection (SwitchboardStorage): managedidentity, with "
        "SwitchboardStorage__queueServiceUri and SwitchboardStorage__clientId, which the code reads too"
    ),
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": (
        "Entra authentication of telemetry (the component refuses keys): read by the Functions host and "
        "by the Azure Monitor exporter"
    ),
    "AZURE_CLIENT_ID": "azure-identity's DefaultAzureCredential: the user-assigned identity the ARM actions use",
}
"""Settings the Bicep sets that Switchboard's code does not read: the Functions host's and the Azure
libraries', with why. Flex Consumption refuses FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION
as app settings (the plan's runtime block says Python 3.11), so they are not here."""

NOT_APP_SETTINGS: dict[str, str] = {
    "WEBSITE_INSTANCE_ID": "set by the platform on every Azure instance (the code's 'am I in Azure' test)",
    "OTEL_TRACES_SAMPLER": "OpenTelemetry's own sampler setting, honoured when an operator sets it",
    "NETRC": "whether proxy settings may come from the environment (storage/tables.py)",
    **{key: "a Bot Framework endpoint override for tests against a local key server" for key in BOT_AUTH_OVERRIDE_KEYS},
}
"""Environment variables the shipped code reads that are not app settings of a deployment."""

SHIPPED = ("function_app.py", "app", "appsettings", "bot", "dialogs", "cards", "requesting", "guardrails",
           "actions", "storage", "telemetry")  # fmt: skip


def bicep_app_settings() -> dict[str, object]:
    """main.bicep's ``appSettings`` object: setting name → its value's syntax tree."""
    return dict(parse(MAIN)["variables"]["appSettings"]["value"])


def code_settings() -> set[str]:
    return {spec.name for spec in SETTINGS if not spec.unset_in_azure}


def test_every_setting_the_code_reads_is_set_by_the_bicep() -> None:
    missing = code_settings() - bicep_app_settings().keys()
    assert not missing, f"declared in the settings sections but not set in infra/bicep/main.bicep: {sorted(missing)}"


def test_the_bicep_sets_no_setting_the_code_does_not_read() -> None:
    extra = bicep_app_settings().keys() - code_settings() - HOST_SETTINGS.keys()
    assert not extra, f"set in infra/bicep/main.bicep but read by nothing: {sorted(extra)}"


def test_settings_left_unset_in_azure_are_not_set_and_say_why() -> None:
    unset = {spec.name: spec.unset_in_azure for spec in SETTINGS if spec.unset_in_azure}
    assert set(unset) == {"SwitchboardStorage", "MicrosoftAppPassword", "SWITCHBOARD_ARM_SANDBOX_URL"}
    assert not unset.keys() & bicep_app_settings().keys()
    assert all(len(reason) > 20 for reason in unset.values())


def test_the_function_app_gets_exactly_that_object() -> None:
    modules = parse(MAIN)["modules"].values()
    function_app = next(m for m in modules if m["detail"]["path"] == "modules/function-app.bicep")
    assert function_app["config"]["params"]["appSettings"] == "appSettings"
    module = parse(BICEP_DIR / "modules" / "function-app.bicep")
    sites = [r for r in module["resources"].values() if r["type"] == "Microsoft.Web/sites"]
    assert len(sites) == 1
    app_settings = sites[0]["config"]["properties"]["siteConfig"]["appSettings"]
    loop = {"type": "object", "detail": {"item_name": "setting", "object_name": "appSettings"}}
    assert app_settings["loop_type"] == loop
    assert app_settings["condition"] is None
    other_sites = [
        path for path in BICEP_DIR.rglob("*.bicep") if path.name != "function-app.bicep"
        and any(r["type"] == "Microsoft.Web/sites" for r in parse(path).get("resources", {}).values())
    ]  # fmt: skip
    assert other_sites == []


def test_every_app_setting_is_an_output_of_the_same_name() -> None:
    outputs = parse(MAIN)["outputs"]
    for name in bicep_app_settings():
        assert name in outputs, f"main.bicep has no output {name}"
        assert outputs[name]["value"] == {
            "operator": {"type": "property_accessor", "operands": {"operand_1": "appSettings", "operand_2": name}}
        }


def test_the_bot_is_passwordless_and_its_identity_is_the_app_identity() -> None:
    settings = bicep_app_settings()
    assert settings["MicrosoftAppType"] == "UserAssignedMSI"
    client_id = {"operator": {"type": "property_accessor", "operands": {
        "operand_1": "identity", "operand_2": {"operator": {"type": "property_accessor", "operands": {
            "operand_1": "outputs", "operand_2": "clientId"}}}}}}  # fmt: skip
    for name in ("MicrosoftAppId", "SwitchboardStorage__clientId", "AzureWebJobsStorage__clientId", "AZURE_CLIENT_ID"):
        assert settings[name] == client_id, name


def _environment_reads(path: Path) -> set[str]:
    """String literals the module reads from an environment mapping: ``env.get("X")``, ``env["X"]``,
    ``os.environ.get("X")``, ``os.getenv("X")``, ``"X" in os.environ``, a local ``get("X")`` helper,
    and a call handed the mapping and a name (``_seconds(env, "X", …)``)."""

    def is_environment(node: ast.expr) -> bool:
        return (isinstance(node, ast.Name) and node.id in {"env", "environ"}) or (
            isinstance(node, ast.Attribute) and node.attr == "environ"
        )

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute):
            if (node.func.attr == "get" and is_environment(node.func.value)) or node.func.attr == "getenv":
                key = node.args[0]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Name):
            if node.func.id == "get":
                key = node.args[0]
            elif any(is_environment(arg) for arg in node.args):
                found |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
        elif isinstance(node, ast.Subscript) and is_environment(node.value):
            key = node.slice
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1 and is_environment(node.comparators[0]):
            key = node.left
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.add(key.value)
    return found


def test_every_environment_variable_the_shipped_code_reads_is_declared() -> None:
    declared = {spec.name for spec in SETTINGS} | NOT_APP_SETTINGS.keys()
    files = [ROOT / name for name in SHIPPED if name.endswith(".py")]
    files += [path for name in SHIPPED if not name.endswith(".py") for path in sorted((ROOT / name).rglob("*.py"))]
    reads = {name: path for path in files for name in _environment_reads(path)}
    assert {"MicrosoftAppId", "SwitchboardStorage__readTimeoutSeconds", "WEBSITE_INSTANCE_ID"} <= reads.keys()
    undeclared = {name: str(path.relative_to(ROOT)) for name, path in reads.items() if name not in declared}
    assert not undeclared, f"read from the environment but declared in no settings section: {undeclared}"


def _literal(node: object) -> object:
    """A string literal's value in pycep's tree (the node itself otherwise)."""
    if isinstance(node, dict) and node.get("type") == "string":
        return node.get("value")
    return node


def test_every_queue_trigger_connection_is_identity_based_in_azure_with_the_settings_the_code_uses() -> None:
    import function_app

    settings = bicep_app_settings()
    client_id = settings["SwitchboardStorage__clientId"]
    connections = {
        getattr(f.get_trigger(), "connection", None) or "AzureWebJobsStorage"
        for f in function_app.app.get_functions() if f.get_trigger().type == "queueTrigger"
    }
    assert connections == {"SwitchboardStorage"}  # the account, queue and identity Switchboard sends with
    for name in connections:
        assert name not in settings  # no connection string in Azure: the host reads the identity-based form
        assert settings[f"{name}__queueServiceUri"] == {"operator": {"type": "property_accessor", "operands": {
            "operand_1": "storage", "operand_2": {"operator": {"type": "property_accessor", "operands": {
                "operand_1": "outputs", "operand_2": "queueServiceUri"}}}}}}  # fmt: skip
        assert _literal(settings[f"{name}__credential"]) == "managedidentity"
        assert settings[f"{name}__clientId"] == client_id


def test_the_bicep_creates_the_operations_queue_and_its_poison_queue() -> None:
    from app.runtime import OPERATIONS_POISON_QUEUE, OPERATIONS_QUEUE

    storage = parse(BICEP_DIR / "modules" / "storage.bicep")
    names = storage["parameters"]["operationQueueNames"]["default"]
    assert [_literal(n) for n in names] == [OPERATIONS_QUEUE, OPERATIONS_POISON_QUEUE]
    queues = [r for r in storage["resources"].values()
              if r["type"] == "Microsoft.Storage/storageAccounts/queueServices/queues"]  # fmt: skip
    assert len(queues) == 1
    loop = queues[0]["config"]["loop_type"]
    assert loop["detail"] == {"item_name": "queueName", "array_name": "operationQueueNames"}
    assert queues[0]["config"]["config"]["name"] == "queueName"
