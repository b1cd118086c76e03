"""Placeholders in chat are written ``{value}``, never ``<value>``: Teams and the Agents Playground
read ``<…>`` in a message as HTML, so ``<operation>`` shows as nothing or as ``&lt;operation&gt;``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from actions.registry import default_registry
from dialogs.help import COMMANDS, HelpBook
from dialogs.help_text import render_entry_help
from governing.commands import COMMANDS as GOVERNANCE_COMMANDS
from governing.commands import GovernanceCommand

_ROOT = Path(__file__).resolve().parents[3]
_ANGLE = re.compile(r"[<>]")
# A placeholder written the HTML way: `<operation>`, `<user|group>`, `group:<name>`, `<grant id>`.
_ANGLE_PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z |…]*>")
_TAG_START = re.compile(r"<[A-Za-z/!?]")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_chat_command_declarations_have_no_angle_brackets(command: object) -> None:
    for field in ("usage", "summary"):
        text = getattr(command, field)
        assert not _ANGLE.search(text), f"{command.name}.{field}: {text!r}"  # type: ignore[attr-defined]
    # The details spell the grant's limits (`count<=10`, `count>=1`), which are what people type, not markup:
    # `<` before `=` is never read as a tag.
    details = getattr(command, "details", "")
    assert not _TAG_START.search(details), f"{command.name}.details: {details!r}"  # type: ignore[attr-defined]


@pytest.mark.parametrize("action", list(default_registry()), ids=lambda a: a.name)
def test_action_declarations_have_no_angle_brackets(action: object) -> None:
    for field in ("usage", "summary", "help"):
        text = getattr(action, field)
        assert not _ANGLE.search(text), f"{action.name}.{field}: {text!r}"  # type: ignore[attr-defined]


def test_the_help_overview_has_no_angle_brackets() -> None:
    book = HelpBook(default_registry())
    for in_channel in (False, True):
        overview = book.overview(in_channel=in_channel, bot_name="Switchboard")
        assert "`queue {operation}`" in overview
        assert not _ANGLE.search(overview), overview


@pytest.mark.parametrize("command", GOVERNANCE_COMMANDS, ids=lambda c: c.name)
def test_each_commands_help_shows_its_usage_without_angle_brackets(command: GovernanceCommand) -> None:
    usage = next(line for line in render_entry_help(command).splitlines() if line.startswith("Usage: "))
    assert not _ANGLE.search(usage), usage


def test_the_grant_usage_names_its_values_in_braces() -> None:
    grant = next(c for c in GOVERNANCE_COMMANDS if c.name == "grant")
    assert render_entry_help(grant).splitlines()[2] == (
        "Usage: `grant {user|group} {actions} on {scope} [limits…] [for {duration}] [auto|approval|break-glass]`")


def _messages(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module that are not docstrings, with their line numbers."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


@pytest.mark.parametrize("package", ["governing", "dialogs"])
def test_hand_written_messages_write_placeholders_in_braces(package: str) -> None:
    found = [f"{path.relative_to(_ROOT)}:{line}: {text!r}"
             for path in sorted((_ROOT / package).glob("*.py"))
             for line, text in _messages(path) if _ANGLE_PLACEHOLDER.search(text)]
    assert not found, "\n".join(found)
