"""Act as another mock user of the Agents Playground: approve or reject a request, locally.

The Playground's page is always Alex Wilber; this command uses its custom-activity API to press
an approval card's buttons as one of the other mock users (Megan Bowen, Adele Vance, Isaiah Langer,
Patti Fernandez, Lynne Robbins), in the team's General channel where ``make run`` posts approval
cards::

    python -m tools.act_as megan approve f-0123456789abcdef --comment "fine"

It first asks for the request's card as that user sees it (a card refresh: the buttons only if
they may vote), then presses Approve or Reject with that card's data — exactly what their Teams
client would send — and prints the bot's answer. The request id is on the requester's
"Waiting for approval" card. Exit status 0 when the vote counted, 1 when it was refused, 2 on
a usage or connection problem.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp

from cards.protocol import (
    APPROVAL_REFRESH_VERB,
    CARD_DATA_KEY,
    COMMENT_INPUT,
    VOTE_APPROVE_VERB,
    VOTE_REJECT_VERB,
    approval_data,
)
from governing.votes import COUNTED_MESSAGES
from tools.playground import DEFAULT_PORT, GENERAL_CHANNEL_ID, BotMessage, MessageStream, PlaygroundClient

__all__ = ["VoteResult", "act_as", "main"]

_VERBS = {"approve": VOTE_APPROVE_VERB, "reject": VOTE_REJECT_VERB}
TURN = 45.0
REFRESH_WINDOW = 10.0
"""Seconds to wait for the answer a press expects after another card about the request came first."""


class VoteResult:
    """What the bot answered: ``counted`` (the vote was recorded) and the card's text."""

    def __init__(self, counted: bool, shown: str) -> None:
        self.counted = counted
        self.shown = shown


def _card(message: BotMessage) -> dict[str, Any] | None:
    for attachment in message.attachments:
        content = attachment.get("content")
        if isinstance(content, dict) and content.get("type") == "AdaptiveCard":
            return content
    return None


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [str(node["text"])] if node.get("type") == "TextBlock" and "text" in node else []
        if node.get("type") == "FactSet":
            found += [f"{f.get('title')}: {f.get('value')}" for f in node.get("facts", [])]
        for key, value in node.items():
            if key not in ("actions", "refresh"):
                found += _texts(value)
        return found
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    return []


def _about(request_id: str, after: int) -> Any:
    def matches(message: BotMessage, stream: MessageStream) -> bool:
        card = _card(message)
        return stream.received.index(message) >= after and card is not None and request_id in str(card)

    return matches


async def _user(client: PlaygroundClient, who: str) -> dict[str, Any]:
    config = await client.config()
    wanted = who.strip().lower()
    for user in config["users"]:
        if wanted in (str(user["id"]).lower(), str(user["name"]).lower(), str(user["name"]).split()[0].lower()):
            return dict(user)
    names = ", ".join(str(user["name"]).split()[0].lower() for user in config["users"])
    raise SystemExit(f"no mock user {who!r}; the Playground's other users are: {names}")


async def _press(
    client: PlaygroundClient, stream: MessageStream, user: dict[str, Any], conversation: str,
    value: dict[str, Any], request_id: str, expected: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Send ``value`` as ``user``'s Action.Submit press (a message carrying the card data); the bot's card."""
    activity = await client.activity_template(conversation)
    activity.update(
        type="message", text="", value=value,
        **{"from": {"id": user["id"], "name": user["name"], "aadObjectId": user["aadObjectId"]}},
    )
    after = len(stream.received)
    await client.send_activity(activity)
    check = _about(request_id, after)
    message = await stream.wait_for(lambda m: check(m, stream), within=TURN)
    card = _card(message)
    assert card is not None
    if expected is not None and not expected(card):
        # Someone else's vote refreshes the copies of this card (proactive updates on the same stream,
        # in no fixed order with this answer): the first card about the request may be such a refresh.
        # The answer to this press is the one ``expected`` recognises, if it comes within the window.
        with contextlib.suppress(TimeoutError):
            wanted = await stream.wait_for(
                lambda m: check(m, stream) and expected(_card(m) or {}), within=REFRESH_WINDOW
            )
            card = _card(wanted) or card
    return card


def _offers(verb: str) -> Callable[[dict[str, Any]], bool]:
    """The approver's own view: a card with the ``verb`` button."""
    return lambda card: any(action.get("verb") == verb for action in card.get("actions", []))


def _counted(card: dict[str, Any]) -> bool:
    shown = "\n".join(_texts(card))
    return any(message in shown for message in COUNTED_MESSAGES.values())


async def act_as(
    client: PlaygroundClient, who: str, vote: str, request_id: str, *, comment: str = "",
    conversation: str = GENERAL_CHANNEL_ID,
) -> VoteResult:
    """``who`` (a mock user's first name, name or id) votes ``approve``/``reject`` on ``request_id``."""
    user = await _user(client, who)
    async with client.stream() as stream:
        view = await _press(client, stream, user, conversation, approval_data(APPROVAL_REFRESH_VERB, request_id),
                            request_id, expected=_offers(_VERBS[vote]))
        buttons = {a.get("verb"): a for a in view.get("actions", [])}
        button = buttons.get(_VERBS[vote])
        if button is None:
            return VoteResult(False, "\n".join(_texts(view)))
        data = dict(button["data"])
        if CARD_DATA_KEY not in data:
            raise SystemExit("the card's button carries no Switchboard data")
        if comment:
            data[COMMENT_INPUT] = comment
        answer = await _press(client, stream, user, conversation, data, request_id, expected=_counted)
        return VoteResult(_counted(answer), "\n".join(_texts(answer)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.act_as", description=__doc__.split("\n\n")[0])
    parser.add_argument("user", help="a mock user: megan, adele, isaiah, patti or lynne")
    parser.add_argument("vote", choices=sorted(_VERBS), help="press Approve or Reject")
    parser.add_argument("request", help="the request id (on the requester's 'Waiting for approval' card)")
    parser.add_argument("--comment", default="", help="an optional comment on the vote")
    parser.add_argument("--playground", default=f"http://127.0.0.1:{DEFAULT_PORT}", help="the Playground's URL")
    parser.add_argument("--conversation", default=GENERAL_CHANNEL_ID, help="where to press (default: General)")
    options = parser.parse_args(argv)

    async def run() -> VoteResult:
        async with aiohttp.ClientSession() as session:
            client = PlaygroundClient(options.playground, session)
            return await act_as(client, options.user, options.vote, options.request, comment=options.comment,
                                conversation=options.conversation)

    try:
        result = asyncio.run(run())
    except (aiohttp.ClientError, TimeoutError, RuntimeError) as exc:
        print(f"could not reach the Playground or the bot at {options.playground}: {exc}", file=sys.stderr)
        return 2
    print(result.shown)
    return 0 if result.counted else 1


if __name__ == "__main__":
    sys.exit(main())
