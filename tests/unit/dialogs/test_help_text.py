"""Help rendered from declarations: chat commands and actions render the same way."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from dialogs.help_text import find_entry, render_entry_help, render_help


@dataclass(frozen=True)
class ActionLike:
    """The help-relevant fields of an ``actions.spec.Action`` declaration."""

    name: str
    summary: str
    usage: str
    examples: tuple[str, ...]
    aliases: tuple[str, ...] = ()


HELP = ActionLike(name="help", summary="list what I can do", usage="[command]", examples=("help",))
SCALE = ActionLike(
    name="aks-scale-node-pool",
    summary="change the node count of an AKS node pool",
    usage="{cluster} {pool} to {count}",
    examples=("aks-scale-node-pool aks-dev np1 to 5",),
    aliases=("scale",),
)


def test_help_lists_commands_and_actions_from_their_declarations() -> None:
    text = render_help([HELP], [SCALE])
    assert "- `help [command]` — list what I can do" in text
    assert "- `aks-scale-node-pool {cluster} {pool} to {count}` — change the node count of an AKS node pool" in text
    assert text.index("help [command]") < text.index("aks-scale-node-pool")
    assert "@mention" not in text


def test_help_in_a_channel_says_how_to_address_the_bot() -> None:
    assert "@mention me first" in render_help([HELP], in_channel=True)


def test_help_without_actions_has_no_operations_section() -> None:
    assert "Operations" not in render_help([HELP])


def test_entry_help_has_usage_aliases_and_examples() -> None:
    text = render_entry_help(SCALE)
    assert text.startswith("**aks-scale-node-pool** — change the node count")
    assert "Usage: `aks-scale-node-pool {cluster} {pool} to {count}`" in text
    assert "Also: `scale`" in text
    assert "- `aks-scale-node-pool aks-dev np1 to 5`" in text


@pytest.mark.parametrize("token", ["scale", "SCALE", "aks-scale-node-pool"])
def test_find_entry_by_name_or_alias(token: str) -> None:
    assert find_entry(token, [HELP], [SCALE]) is SCALE


def test_find_entry_unknown() -> None:
    assert find_entry("nope", [HELP], [SCALE]) is None


def test_the_help_book_overview_is_the_rendered_help_and_rendered_once_per_form() -> None:
    from actions.registry import default_registry
    from dialogs.help import COMMANDS, HelpBook

    registry = default_registry()
    book = HelpBook(registry)
    for in_channel in (False, True):
        overview = book.overview(in_channel=in_channel)
        assert overview == render_help(COMMANDS, list(registry), in_channel=in_channel)
        assert book.overview(in_channel=in_channel) is overview
    assert book.overview(in_channel=True) != book.overview(in_channel=False)
