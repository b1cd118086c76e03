"""Plain tests of the sandbox's building blocks: operations with a fake clock, fault rules, estate seeds."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from sandbox.errors import ArmError
from sandbox.estate import load_estate
from sandbox.faults import FaultTable
from sandbox.operations import OperationStore
from tests.support.arm_sandbox import running_sandbox


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _begin(store: OperationStore, applied: list[str], *, delay: float | None = 2.0, final: str = "Succeeded") -> str:
    return store.begin(
        lock_key="/Subscriptions/S/resourceGroups/rg/providers/X/y/z",
        resource_id="/subscriptions/s/resourceGroups/rg/providers/X/y/z",
        action="Scaling",
        subscription_id="s",
        namespace="X",
        location="westeurope",
        delay=delay,
        final_status=final,
        on_success=lambda: applied.append("success"),
        on_end_without_success=lambda: applied.append("not-success"),
    ).id


def test_operation_applies_its_change_only_when_due_and_once() -> None:
    clock = FakeClock()
    store = OperationStore(clock)
    applied: list[str] = []
    op_id = _begin(store, applied)

    clock.now += 1.9
    store.advance()
    in_progress = store.get(op_id).status
    clock.now += 0.2
    store.advance()
    store.advance()

    assert in_progress == "InProgress"
    assert store.get(op_id).status == "Succeeded"
    assert applied == ["success"]
    assert store.running_on("/subscriptions/s/resourcegroups/rg/providers/x/y/z") is None


def test_lock_is_case_insensitive_and_conflicts_are_409() -> None:
    store = OperationStore(FakeClock())
    _begin(store, [])

    with pytest.raises(ArmError) as conflict:
        store.ensure_idle("/subscriptions/s/resourcegroups/RG/providers/x/y/z")

    assert (conflict.value.status, conflict.value.code) == (409, "OperationNotAllowed")
    assert "Another operation (Scaling)" in conflict.value.message


def test_never_ending_and_failing_operations() -> None:
    clock = FakeClock()
    store = OperationStore(clock)
    applied: list[str] = []
    never = _begin(store, applied, delay=None)
    store.clear()
    failing = _begin(store, applied, final="Failed")

    clock.now += 1_000
    store.advance()

    assert store.get(failing).status_body()["error"]["code"] == "SandboxInjectedFailure"
    assert applied == ["not-success"]
    with pytest.raises(ArmError):
        store.get(never)


def test_fault_rules_match_method_path_and_count_down() -> None:
    table = FaultTable()
    twice = table.add({"method": "put", "path_contains": "/AGENTPOOLS/np1", "status": 429, "times": 2})
    forever = table.add({"path_contains": "vmss", "delay": 0.1, "times": None})

    hits = [
        table.take("GET", "/x/agentPools/np1"),
        table.take("PUT", "/x/agentPools/np1"),
        table.take("PUT", "/x/agentPools/np1"),
        table.take("PUT", "/x/agentPools/np1"),
    ]
    vmss = [table.take("PATCH", "/vmss-build") for _ in range(5)]

    assert [h.id if h else None for h in hits] == [None, twice.id, twice.id, None]
    assert {v.id for v in vmss if v} == {forever.id}
    assert twice.error().headers == {}
    assert table.add({"status": 429, "retry_after": 3}).error().headers == {"Retry-After": "3"}


def test_malformed_estate_seed_is_a_value_error(tmp_path: Path) -> None:
    seed = tmp_path / "estate.json"
    seed.write_text(json.dumps({"subscriptions": [{"displayName": "no id"}]}), encoding="utf-8")

    with pytest.raises(ValueError, match="malformed estate seed"):
        load_estate(seed)


def test_seeded_estate_matches_the_documented_demo_estate() -> None:
    estate = load_estate()

    dev = estate.group("11111111-1111-1111-1111-111111111111", "rg-dev")
    prod = estate.group("22222222-2222-2222-2222-222222222222", "rg-prod")
    core = estate.group("22222222-2222-2222-2222-222222222222", "rg-platform-core")
    assert {n: (c.power_state, {p.name: p.count for p in c.pools.values()}) for n, c in dev.clusters.items()} == {
        "aks-dev": ("Running", {"system": 1, "np1": 2}),
        "aks-sandbox": ("Stopped", {"np1": 1}),
    }
    assert {n: v.power_state for n, v in dev.vms.items()} == {
        "build-agent-1": "running",
        "build-agent-2": "running",
        "build-agent-3": "deallocated",
    }
    np2 = prod.cluster("aks-prod").pools["np2"]
    assert (np2.enable_auto_scaling, np2.min_count, np2.max_count, np2.count) == (True, 2, 6, 3)
    assert prod.scale_set("vmss-web").capacity == 4
    assert {s.name: s.kind for s in prod.sites.values()} == {"web-prod": "app", "func-orders": "functionapp"}
    assert core.cluster("aks-core").pools["np1"].count == 3


def test_running_sandbox_with_a_custom_estate(tmp_path: Path) -> None:
    seed = tmp_path / "estate.json"
    seed.write_text(
        json.dumps(
            {
                "subscriptions": [
                    {
                        "subscriptionId": "44444444-4444-4444-4444-444444444444",
                        "displayName": "tiny",
                        "resourceGroups": [{"name": "rg-tiny", "location": "northeurope"}],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    with running_sandbox(estate_path=seed) as handle:
        request = urllib.request.Request(
            f"{handle.url}/subscriptions?api-version=2022-12-01", headers={"Authorization": "Bearer t"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = json.loads(response.read())

    assert [s["displayName"] for s in body["value"]] == ["tiny"]
