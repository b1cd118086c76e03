"""`make run` seeds the demo policy into the Azurite it starts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.policy.operations import PolicyAdmin
from guardrails.policyfile import parse_policy, render_policy
from storage.audit import TableAuditStore
from storage.tables import TableProvider
from tests.support.table_storage import FAST
from tools.run_local import DEMO_POLICY, seed_demo_policy


async def exported(connection_string: str) -> str:
    async with TableProvider(connection_string=connection_string, options=FAST) as tables:
        return render_policy(await PolicyAdmin(tables, audit=TableAuditStore(tables)).export())


def test_the_demo_policy_is_imported_and_exports_as_written(
    storage_connection_string: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert seed_demo_policy(storage_connection_string) is True
    assert capsys.readouterr().out == "[make run] importing the demo policy tools/demo_policy.yaml ...\n"
    demo = parse_policy(DEMO_POLICY.read_text(), file="demo_policy.yaml", catalog=None, now=datetime.now(UTC))
    assert asyncio.run(exported(storage_connection_string)) == render_policy(demo)

def test_a_broken_demo_policy_is_a_warning_not_a_crash(
    storage_connection_string: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\ngrants: nope\n")
    assert seed_demo_policy(storage_connection_string, broken) is False
    assert capsys.readouterr().out.splitlines()[-1] == (
        "[make run] warning: the demo policy was not imported: 1 problem(s); nothing was changed."
    )
