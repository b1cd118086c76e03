"""ActionContext without Azure: scope checks, lazy and reused clients, credentials, the discovery budget."""

from __future__ import annotations

import asyncio

import pytest

from actions.context import ActionContext, ClientOptions
from actions.settings import ArmSettings
from actions.spec import ActionError, Choice

DEV = "11111111-1111-1111-1111-111111111111"
PROD = "22222222-2222-2222-2222-222222222222"
AKS = "providers/Microsoft.ContainerService/managedClusters"
SETTINGS = ArmSettings(
    sandbox_url="http://127.0.0.1:9",  # nothing listens: these tests make no request
    subscriptions=(DEV, PROD),
    resource_groups=frozenset({"rg-dev", "rg-prod"}),
    discovery_timeout_seconds=0.2,
)


def cluster(sub: str, group: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}/{AKS}/{name}"


def test_resources_in_configured_subscriptions_and_groups_are_in_scope() -> None:
    ctx = ActionContext(SETTINGS)
    assert ctx.in_scope(cluster(PROD, "rg-prod", "aks-prod"))
    assert ctx.in_scope(cluster(PROD.upper(), "RG-PROD", "aks-prod"))  # ids compare case-insensitively
    assert not ctx.in_scope(cluster(PROD, "rg-platform-core", "aks-core"))
    assert not ctx.in_scope(cluster("33333333-3333-3333-3333-333333333333", "rg-prod", "aks-x"))
    assert not ctx.in_scope("aks-prod")


def test_ensure_in_scope_explains_what_to_do() -> None:
    ctx = ActionContext(SETTINGS)
    assert ctx.ensure_in_scope(cluster(DEV, "rg-dev", "aks-dev")).name == "aks-dev"
    with pytest.raises(ActionError) as caught:
        ctx.ensure_in_scope(cluster(PROD, "rg-platform-core", "aks-core"))
    assert caught.value.message == (
        f"aks-core (resource group rg-platform-core, subscription {PROD}) is outside what Switchboard may operate "
        "on. Pick a resource in the configured subscriptions and resource groups, or ask the platform team to add "
        "this one."
    )
    with pytest.raises(ActionError, match="is not an Azure resource id"):
        ctx.ensure_in_scope("aks-prod")


def test_no_subscriptions_configured_names_the_setting() -> None:
    ctx = ActionContext(ArmSettings(sandbox_url="http://127.0.0.1:9"))
    with pytest.raises(ActionError, match="set SWITCHBOARD_SUBSCRIPTIONS"):
        ctx.ensure_in_scope(cluster(DEV, "rg-dev", "aks-dev"))
    with pytest.raises(ActionError, match="set SWITCHBOARD_SUBSCRIPTIONS"):
        ctx.scope_targets()


def test_scope_targets_are_groups_per_subscription_or_whole_subscriptions() -> None:
    assert ActionContext(SETTINGS).scope_targets() == [
        (DEV, "rg-dev"),
        (DEV, "rg-prod"),
        (PROD, "rg-dev"),
        (PROD, "rg-prod"),
    ]
    whole = ActionContext(ArmSettings(subscriptions=(PROD,)))
    assert whole.scope_targets() == [(PROD, None)]


async def test_clients_are_created_on_first_use_and_reused_per_subscription() -> None:
    async with ActionContext(SETTINGS, options=ClientOptions(polling_interval=0.5)) as ctx:
        first = ctx.container_service(DEV)
        assert ctx.container_service(DEV) is first
        assert ctx.container_service(DEV.upper()) is first
        assert ctx.container_service(PROD) is not first
        assert ctx.compute(DEV) is not ctx.compute(PROD)
        assert ctx.for_turn().container_service(DEV) is first  # turns share the process's clients
        assert first._config.polling_interval == 0.5
        assert first._config.retry_policy.total_retries == ClientOptions().retry_total


async def test_sandbox_mode_uses_the_static_credential_and_the_sandbox_url() -> None:
    async with ActionContext(SETTINGS) as ctx:
        assert type(ctx.credential).__name__ == "AsyncStaticTokenCredential"
        client = ctx.web(DEV)
        assert client._config.base_url == "http://127.0.0.1:9"


async def test_azure_mode_uses_default_azure_credential_and_management_azure_com() -> None:
    async with ActionContext(ArmSettings(subscriptions=(DEV,))) as ctx:
        assert type(ctx.credential).__name__ == "DefaultAzureCredential"
        assert ctx.compute(DEV)._config.base_url == "https://management.azure.com"


async def test_cached_runs_each_key_once_per_turn() -> None:
    calls: list[str] = []

    async def load() -> str:
        calls.append("x")
        await asyncio.sleep(0.01)
        return "value"

    ctx = ActionContext(SETTINGS)
    turn = ctx.for_turn()
    results = await asyncio.gather(turn.cached("k", load), turn.cached("k", load))
    assert results == ["value", "value"]
    assert await turn.cached("k", load) == "value"
    assert calls == ["x"]
    assert await ctx.for_turn().cached("k", load) == "value"
    assert calls == ["x", "x"]


async def test_gather_choices_returns_what_is_known_when_the_budget_runs_out() -> None:
    async def fast(found: list[Choice]) -> None:
        found.append(Choice("/b", "b"))
        found.append(Choice("/a", "a"))

    cancelled: list[str] = []

    async def slow(found: list[Choice]) -> None:
        found.append(Choice("/c", "c"))  # found before the deadline: kept
        try:
            await asyncio.Event().wait()  # Azure never answers the rest
        except asyncio.CancelledError:
            cancelled.append("slow")
            raise
        found.append(Choice("/d", "d"))

    ctx = ActionContext(SETTINGS)
    listed = await ctx.gather_choices([fast, slow], what="things")
    assert cancelled == ["slow"]  # the budget ended it, and the call returned
    assert [c.title for c in listed.choices] == ["a", "b", "c"]
    assert not listed.complete
    assert listed.note == "the list may be incomplete: Azure was slow to list things"


async def test_gather_choices_marks_a_failed_source_incomplete_without_showing_the_error() -> None:
    async def broken(found: list[Choice]) -> None:
        raise RuntimeError("secret detail")

    async def fine(found: list[Choice]) -> None:
        found.append(Choice("/a", "a"))

    listed = await ActionContext(SETTINGS).gather_choices([broken, fine], what="things")
    assert [c.title for c in listed.choices] == ["a"]
    assert listed.note == "the list may be incomplete: some things could not be listed"
    assert "secret" not in listed.note
