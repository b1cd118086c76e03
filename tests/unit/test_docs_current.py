"""The generated docs (docs/actions.md, settings.md, policy.md, commands.md) match the code (`make docs`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from actions.registry import default_registry
from app.settings import SETTINGS
from dialogs.help import COMMANDS
from guardrails.policyfile import POLICY_SCHEMA, SEMANTIC_RULES
from tools.gen_docs import (
    ACTIONS_DOC,
    COMMANDS_DOC,
    POLICY_DOC,
    SETTINGS_DOC,
    render_actions,
    render_commands,
    render_policy_format,
    render_settings,
    stale_files,
)

ROOT = Path(__file__).resolve().parents[2]


def test_actions_doc_is_current() -> None:
    assert ACTIONS_DOC.read_text() == render_actions(default_registry()), "run `python -m tools.gen_docs`"


def test_commands_doc_is_current_and_lists_every_chat_command() -> None:
    text = COMMANDS_DOC.read_text()
    assert text == render_commands(COMMANDS), "run `python -m tools.gen_docs`"
    for name in ("approvals", "history", "explain", "grants", "grant", "revoke", "approvers", "freeze", "unfreeze"):
        assert f"\n## {name}\n" in text


def test_settings_doc_is_current() -> None:
    assert SETTINGS_DOC.read_text() == render_settings(SETTINGS), "run `python -m tools.gen_docs`"


def test_policy_doc_is_current() -> None:
    expected = render_policy_format(POLICY_SCHEMA, SEMANTIC_RULES)
    assert POLICY_DOC.read_text() == expected, "run `python -m tools.gen_docs`"


def test_every_policy_field_is_documented() -> None:
    policy_doc = POLICY_DOC.read_text()
    for section in ("groups", "grants", "approver_rules", "freezes"):
        for field in POLICY_SCHEMA["properties"][section]["items"]["properties"]:
            assert f"| `{section}[].{field}` |" in policy_doc
    assert "| `grants[].limits.<parameter>.max_increase` |" in policy_doc
    assert "| `grants[].window.time_zone` |" in policy_doc


def test_every_action_and_setting_is_documented() -> None:
    actions_doc, settings_doc = ACTIONS_DOC.read_text(), SETTINGS_DOC.read_text()
    for action in default_registry():
        assert f"## {action.name}\n" in actions_doc
        for param in action.parameters:
            assert f"| `{param.name}` |" in actions_doc
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in settings_doc


def gen_docs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.gen_docs", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_check_mode_fails_on_a_stale_file_and_writing_fixes_it(tmp_path: Path) -> None:
    assert stale_files() == []
    assert gen_docs("--check").returncode == 0
    (tmp_path / "actions.md").write_text(ACTIONS_DOC.read_text().replace("aks-scale-node-pool", "aks-scale", 1))
    (tmp_path / "settings.md").write_text(SETTINGS_DOC.read_text())
    (tmp_path / "policy.md").write_text(POLICY_DOC.read_text())
    (tmp_path / "commands.md").write_text(COMMANDS_DOC.read_text())
    stale = gen_docs("--check", "--docs-dir", str(tmp_path))
    assert stale.returncode == 1
    assert stale.stderr.strip() == f"stale: {tmp_path / 'actions.md'} (run `python -m tools.gen_docs`)"
    assert gen_docs("--docs-dir", str(tmp_path)).returncode == 0
    assert (tmp_path / "actions.md").read_text() == ACTIONS_DOC.read_text()
    assert gen_docs("--check", "--docs-dir", str(tmp_path)).returncode == 0
