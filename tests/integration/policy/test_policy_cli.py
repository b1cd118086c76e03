"""The policy command line against Azurite: import is all or nothing, export round-trips, bootstrap-admin, audit."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.policy.cli import run
from app.policy.operations import PolicyAdmin
from guardrails.ports import AuditQuery, RecordConflict
from guardrails.records import AuditKind, GrantKind, Principal
from storage.audit import TableAuditStore
from storage.tables import TableProvider
from tests.support.table_storage import FAST, RecordingTransport, WriteFailingTransport

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "tools" / "demo_policy.yaml"
ADMIN = "00000000-0000-0000-0000-0000000000024"


@pytest.fixture
async def tables(storage_connection_string: str) -> AsyncIterator[TableProvider]:
    provider = TableProvider(connection_string=storage_connection_string, options=FAST)
    yield provider
    await provider.close()


@pytest.fixture
def namespace(unique_name: str) -> str:
    return f"t{unique_name}"


async def cli(tables: TableProvider, namespace: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await run(list(argv), env={}, out=out, err=err, tables=tables, namespace=namespace)
    return code, out.getvalue(), err.getvalue()


def bigger_policy(tmp_path: Path, grants: int) -> Path:
    """The demo policy plus ``grants`` more grants (several storage transactions) and without its freeze."""
    text = DEMO.read_text().split("freezes:\n")[0]
    extra = "".join(
        f"  - id: extra-{i:04d}\n    principal: user:00000000-0000-0000-0000-{i:012d}\n    actions: [vm-restart]\n"
        f"    scope: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-dev\n"
        for i in range(grants)
    )
    text = text.replace("approver_rules:\n", extra + "approver_rules:\n")
    path = tmp_path / "bigger.yaml"
    path.write_text(text)
    return path


async def test_export_then_import_gives_the_same_policy(tables: TableProvider, namespace: str, tmp_path: Path) -> None:
    code, _, err = await cli(tables, namespace, "import", str(DEMO))
    assert code == 0, err
    summary = f"imported {DEMO}: 1 group, 5 grants, 2 approver rules, 1 freeze; 9 change(s)"
    assert err.splitlines()[-1].startswith(summary)
    code, first, _ = await cli(tables, namespace, "export")
    assert code == 0
    exported = tmp_path / "exported.yaml"
    exported.write_text(first)
    code, _, err = await cli(tables, namespace, "import", str(exported))
    assert code == 0, err
    assert "; 0 change(s);" in err.splitlines()[-1]
    code, second, _ = await cli(tables, namespace, "export")
    assert second == first
    # the exported text is the demo file's policy: importing the demo again changes nothing either
    code, _, err = await cli(tables, namespace, "import", "--dry-run", str(DEMO))
    assert code == 0
    assert err.splitlines()[-1].endswith("0 change(s); dry run, nothing written")


async def test_every_change_of_an_import_is_audited(tables: TableProvider, namespace: str, tmp_path: Path) -> None:
    audit = TableAuditStore(tables, table_name=namespace + "audit")
    admin = PolicyAdmin(tables, audit=audit, namespace=namespace)
    code, _, err = await cli(tables, namespace, "import", "--actor", ADMIN, str(DEMO))
    assert code == 0, err
    first = await audit.query(AuditQuery(actor=ADMIN))
    by_kind = sorted((r.kind.value, r.rule_id, r.decision) for r in first)
    assert by_kind == [
        ("approvers_changed", "dev-approvers", "added"),
        ("approvers_changed", "prod-approvers", "added"),
        ("freeze_declared", "aks-sandbox-upgrade", "added"),
        ("grant_added", "alex-dev-admin", "added"),
        ("grant_added", "alex-dev-auto", "added"),
        ("grant_added", "alex-dev-break-glass", "added"),
        ("grant_added", "alex-prod-approval", "added"),
        ("grant_added", "megan-root-admin", "added"),
        ("group_changed", "platform-approvers", "added"),
        ("policy_imported", "", "activated"),
    ]
    assert len({r.request_id for r in first}) == 1
    # a second file: one grant fewer, the freeze lifted, one grant changed
    text = DEMO.read_text().split("freezes:\n")[0]
    text = text.replace("        max: 5\n      capacity:", "        max: 4\n      capacity:")
    text = text.replace(text[text.index("  - id: alex-dev-break-glass"):text.index("  - id: alex-prod-approval")], "")
    second_file = tmp_path / "second.yaml"
    second_file.write_text(text)
    code, _, err = await cli(tables, namespace, "import", "--actor", ADMIN, str(second_file))
    assert code == 0, err
    later = [r for r in await audit.query(AuditQuery(actor=ADMIN)) if r.request_id != first[0].request_id]
    assert sorted((r.kind.value, r.rule_id, r.decision) for r in later) == [
        ("freeze_lifted", "aks-sandbox-upgrade", "removed"),
        ("grant_added", "alex-dev-auto", "added"),
        ("grant_revoked", "alex-dev-auto", "removed"),
        ("grant_revoked", "alex-dev-break-glass", "removed"),
        ("policy_imported", "", "activated"),
    ]
    policy = await admin.export()
    assert sorted(g.id for g in policy.grants) == [
        "alex-dev-admin", "alex-dev-auto", "alex-prod-approval", "megan-root-admin"]
    assert policy.freezes == ()


async def writes_until_activation(storage_connection_string: str, namespace: str, bigger: Path) -> tuple[int, int]:
    """Import the demo, then count the writes of importing ``bigger``: (writes before the switch, all writes)."""
    transport = RecordingTransport()
    provider = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        assert (await cli(provider, namespace, "import", str(DEMO)))[0] == 0
        transport.reset()
        assert (await cli(provider, namespace, "import", str(bigger)))[0] == 0
    finally:
        await provider.close()
    writes = [url for method, url in transport.requests if method != "GET" and "/Tables" not in url.split("?")[0]]
    switch = next(i for i, url in enumerate(writes)
                  if "policyversions" in url and "PartitionKey='active'" in url.replace("%27", "'"))
    return switch, len(writes)


@pytest.mark.parametrize("where", ["first write", "midway", "the switch itself"])
async def test_an_import_failing_midway_leaves_the_previous_policy_active_and_whole(
    storage_connection_string: str, tables: TableProvider, namespace: str, tmp_path: Path, where: str
) -> None:
    bigger = bigger_policy(tmp_path, 120)  # 120 grants: two transactions of principal rows, in parallel
    switch, total = await writes_until_activation(storage_connection_string, namespace + "count", bigger)
    assert total > switch > 20
    allowed = {"first write": 0, "midway": switch // 2, "the switch itself": switch}[where]

    assert (await cli(tables, namespace, "import", str(DEMO)))[0] == 0
    _, before, _ = await cli(tables, namespace, "export")

    failing = WriteFailingTransport(writes_allowed=allowed)
    provider = TableProvider(connection_string=storage_connection_string, options=FAST, transport=failing)
    try:
        code, _, err = await cli(provider, namespace, "import", str(bigger))
    finally:
        await provider.close()
    assert code == 1
    assert err.splitlines()[-1] == (
        "error: the storage account could not be reached (see the log above); nothing was changed (an import "
        "leaves the previous policy active)."
    )
    _, after, _ = await cli(tables, namespace, "export")
    assert after == before
    # nothing of the failed import is in the way of the next one
    code, _, err = await cli(tables, namespace, "import", str(bigger))
    assert code == 0, err
    policy = await PolicyAdmin(tables, audit=TableAuditStore(tables, table_name=namespace + "audit"),
                               namespace=namespace).export()
    assert len(policy.grants) == 125


async def test_two_imports_racing_the_later_switch_changes_nothing(tables: TableProvider, namespace: str) -> None:
    admin = PolicyAdmin(tables, audit=TableAuditStore(tables, table_name=namespace + "audit"), namespace=namespace)
    seen = await admin.versions.active()
    assert (await cli(tables, namespace, "import", str(DEMO)))[0] == 0
    active = await admin.versions.active()
    with pytest.raises(RecordConflict):
        await admin.versions.activate("vracing", expected=seen, by="", at=admin._clock(), import_id="x")
    assert await admin.versions.active() == active


async def test_bootstrap_admin_adds_an_audited_admin_grant_once(tables: TableProvider, namespace: str) -> None:
    audit = TableAuditStore(tables, table_name=namespace + "audit")
    admin = PolicyAdmin(tables, audit=audit, namespace=namespace)
    code, _, err = await cli(tables, namespace, "bootstrap-admin", "--user", ADMIN.upper(), "--scope", "/",
                             "--reason", "first admin")
    assert code == 0, err
    (grant,) = (await admin.export()).grants
    assert (grant.kind, grant.principal, grant.scope, grant.reason) == (
        GrantKind.ADMIN, Principal.user(ADMIN), "/", "first admin")
    assert err.strip() == f"{ADMIN} is now an admin of / (grant {grant.id})"
    (record,) = await audit.query(AuditQuery(kind=AuditKind.ADMIN_BOOTSTRAPPED))
    assert (record.actor, record.scope, record.rule_id, record.decision) == ("system", "/", grant.id, "added")

    code, _, err = await cli(tables, namespace, "bootstrap-admin", "--user", ADMIN, "--scope", "/")
    assert code == 0
    assert err.strip() == f"{ADMIN} was already an admin of / (grant {grant.id})"
    assert len((await admin.export()).grants) == 1
    assert len(await audit.query(AuditQuery(kind=AuditKind.ADMIN_BOOTSTRAPPED))) == 1

    # after an import the admin goes into the imported (active) policy, and export shows it
    assert (await cli(tables, namespace, "import", str(DEMO)))[0] == 0
    assert (await cli(tables, namespace, "bootstrap-admin", "--user", ADMIN, "--scope", "/"))[0] == 0
    _, exported, _ = await cli(tables, namespace, "export")
    assert f"principal: user:{ADMIN}\n    kind: admin\n    scope: /\n" in exported


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["bootstrap-admin", "--user", "Alex Wilber", "--scope", "/"],
         "error: --user: expected an Entra object id (8-4-4-4-12 hex digits), got 'Alex Wilber'"),
        (["bootstrap-admin", "--user", ADMIN, "--scope", "/subscriptions/s/resourceGroups"],
         "error: --scope: A scope alternates a type and a name (/subscriptions/{id}/resourceGroups/{name}/…); "
         "'/subscriptions/s/resourceGroups' ends with a type and no name."),
    ],
)
async def test_bootstrap_admin_refuses_bad_input_and_writes_nothing(
    tables: TableProvider, namespace: str, argv: list[str], expected: str
) -> None:
    code, _, err = await cli(tables, namespace, *argv)
    assert (code, err.strip()) == (2, expected)
    assert (await PolicyAdmin(tables, audit=TableAuditStore(tables), namespace=namespace).export()).grants == ()


async def test_unreachable_storage_is_one_clear_line(refused_port: int) -> None:
    from tests.support.table_storage import unreachable_connection_string

    out, err = io.StringIO(), io.StringIO()
    env = {"SwitchboardStorage": unreachable_connection_string(refused_port), "SwitchboardStorage__timeoutSeconds": "1"}
    code = await run(["export"], env=env, out=out, err=err)
    assert code == 1
    assert err.getvalue().splitlines()[-1].startswith("error: the storage account could not be reached")
    assert out.getvalue() == ""
