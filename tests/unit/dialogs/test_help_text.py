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


OVERVIEW_HEAD = """Here is what I can do:

- `help [command]` — list what I can do; `help` and a command (e.g. `help start vm`) explains it
- `cancel [operation]` — alone: stop what we are doing, nothing is changed; with an operation: cancel it while it \
is queued
- `status [operation]` — where an operation stands: its state, progress, elapsed time and ARM correlation id; alone, \
yours in progress
- `queue {operation}` — queue an operation held on a busy resource behind the operation that holds it
- `undo {operation}` — a new request that sets the resource back to what it was before the operation (e.g. 5 → 3 \
nodes)
- `approvals` — requests waiting for your approval, each as its approval card: Approve or Reject right there
- `history` — your recent operations (outcome, duration) and requests, and what became of them (approved, waiting, \
refused, …)
- `explain {command}` — a dry run of the policy decision for you: which grant, limit, approver rule or freeze \
decides — nothing runs
- `grants [user|group]` — the grants held by you, or by a user (mention or object id) or group
- `grant {user|group} {actions} on {scope} [limits…] [for {duration}] [auto|approval|break-glass]` — give a user \
or group the right to request actions on a scope (scope admins)
- `revoke {grant id}` — take a grant back (scope admins)
- `approvers {scope} [set {principals} quorum {N}]` — who approves requests on a scope (the rule that applies), \
or set them (scope admins)
- `freeze {scope} until {time} "{reason}"` — declare a change freeze on a scope, from now (scope admins)
- `unfreeze {freeze id}` — lift a change freeze (scope admins)

Operations (I show you a preview and ask before changing anything):

"""
OVERVIEW_TAIL = "\n\nType `help` and a command (e.g. `help scale node pool`) for details and examples."
CHANNEL_TAIL = (
    "\n\nIn a channel or group chat, @mention me first: type `@Switchboard help`."
    "\nType `help` and a command (e.g. `help scale node pool`) for details and examples."
)


def test_the_help_book_overview_lists_the_commands_then_one_line_per_action_in_catalog_order() -> None:
    from actions.registry import default_registry
    from dialogs.help import HelpBook

    registry = default_registry()
    book = HelpBook(registry)
    personal = book.overview(in_channel=False)
    assert personal.startswith(OVERVIEW_HEAD)
    assert personal.endswith(OVERVIEW_TAIL)
    operations = personal.removeprefix(OVERVIEW_HEAD).removesuffix(OVERVIEW_TAIL).split("\n")
    # The natural phrase first, the hyphenated name second, in catalog order.
    assert [line.rsplit("(also `", 1)[1].rstrip("`)") for line in operations] == [action.name for action in registry]
    assert operations[0] == (
        "- `scale node pool {cluster} {pool} to {count} nodes` — Set the node count of an AKS node pool. "
        "(also `aks-scale-node-pool`)"
    )
    assert operations[-1] == (
        "- `restart app {app}` — Restart an App Service web app or a Function app. (also `app-restart`)"
    )
    channel = book.overview(in_channel=True, bot_name="Switchboard")
    assert channel == personal.removesuffix(OVERVIEW_TAIL) + CHANNEL_TAIL
    # The bot's own name, as the channel calls it; nothing hard-coded.
    assert "type `@Ops Helper help`" in book.overview(in_channel=True, bot_name="Ops Helper")
    assert "@mention me first, then type `help`." in book.overview(in_channel=True)  # no name given


def test_the_help_book_overview_is_rendered_once_per_form() -> None:
    from actions.registry import default_registry
    from dialogs.help import HelpBook

    book = HelpBook(default_registry())
    for in_channel in (False, True):
        assert book.overview(in_channel=in_channel) is book.overview(in_channel=in_channel)
