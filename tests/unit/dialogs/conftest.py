"""Transcript tests of the dialogs: the real bot, the real actions, the ARM sandbox, TestAdapter.

Each test talks to a real :class:`~bot.teams_bot.SwitchboardBot` wired with real
:class:`~dialogs.Conversations`, the built-in action catalog and a
:class:`~app.direct.DirectRequestHandler`, whose actions call the ARM sandbox through the Azure
SDKs. State is botbuilder's ``MemoryStorage`` (the Table Storage path has its own
integration tests); botbuilder's ``TestAdapter`` stands in for the Bot Connector. Every card
the bot sends or answers an invoke with is validated by the Adaptive Cards JS library when
the test ends.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from botbuilder.core import MemoryStorage, Storage, TurnContext
from botbuilder.core.adapters import TestAdapter, TestFlow
from botbuilder.schema import Activity, InvokeResponse, ResourceResponse

from actions.context import ActionContext, ClientOptions
from actions.registry import Registry, default_registry
from actions.settings import ArmSettings
from app.direct import DirectRequestHandler
from bot.state import BotStates
from bot.teams_bot import SwitchboardBot
from cards import CARD_CONTENT_TYPE
from dialogs import Conversations
from storage import DeliveryLedger, TableClientOptions, TableProvider
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.card_checks import assert_valid_cards, card_validator
from tests.support.connector import TEST_TENANT_ID, teams_activity
from tools.card_validation import CardValidator

__all__ = ["ALEX", "MEGAN", "Chat", "ConnectorStandIn", "Person", "card_validator"]

FAST_TABLES = TableClientOptions(retry_total=0, connection_timeout=2, read_timeout=5)
FAST_CLIENTS = ClientOptions(polling_interval=0.02, retry_total=1, retry_backoff_factor=0.01, retry_backoff_max=0.05)


@dataclass(frozen=True)
class Person:
    """A Teams user as the channel identifies them."""

    user_id: str
    aad_object_id: str
    name: str


ALEX = Person("29:user-alex", "00000000-0000-0000-0000-0000000000020", "Alex Wilber")
MEGAN = Person("29:user-megan", "00000000-0000-0000-0000-0000000000021", "Megan Bowen")


class MemoryReferences:
    """Conversation references kept in a dict (the bot's reference store port)."""

    def __init__(self) -> None:
        self.saved: dict[str, Activity] = {}

    async def save_activity(self, activity: Activity) -> SimpleNamespace:
        created = activity.conversation.id not in self.saved
        self.saved[activity.conversation.id] = activity
        return SimpleNamespace(created=created)

    async def delete(self, conversation_id: str) -> None:
        self.saved.pop(conversation_id, None)


class ConnectorStandIn(TestAdapter):
    """botbuilder's TestAdapter (the Bot Connector's stand-in) whose "send" can run a hook once, when
    the bot sends a matching activity: for what happens at an exact point of a turn in real life —
    the user's next message while the turn still runs, the connector failing, storage going away."""

    def __init__(self, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        super().__init__(logic)
        self.hook: tuple[Callable[[Activity], bool], Callable[[], Awaitable[None]]] | None = None
        self.hook_times = 0
        self.events: list[tuple[str, Activity]] = []  # ("post" | "update", activity) in the order they happened

    def when_sending(
        self, matches: Callable[[Activity], bool], then: Callable[[], Awaitable[None]], *, times: int = 1
    ) -> None:
        """Run ``then`` just before the bot's first ``times`` activities that ``matches`` are delivered
        (sent, or updated in place)."""
        self.hook = (matches, then)
        self.hook_times = times

    async def _run_hook(self, activities: list[Activity]) -> None:
        if self.hook is not None and any(self.hook[0](activity) for activity in activities):
            then = self.hook[1]
            self.hook_times -= 1
            if self.hook_times <= 0:
                self.hook = None
            await then()

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        await self._run_hook(activities)
        responses = await super().send_activities(context, activities)
        for activity, response in zip([a for a in activities if a.type != "trace"], responses, strict=True):
            activity.id = activity.id or response.id  # what the channel calls it, as the real one would
        self.events.extend(("post", activity) for activity in activities if activity.type == "message")
        return responses  # type: ignore[no-any-return]

    async def update_activity(self, context: TurnContext, activity: Activity) -> None:
        await self._run_hook([activity])
        await super().update_activity(context, activity)
        self.events.append(("update", activity))


@dataclass
class Chat:
    """One conversation (personal chat or channel thread) with the bot, driven through TestAdapter."""

    adapter: TestAdapter
    conversation_type: str = "personal"
    conversation_id: str = "a:personal-alex"
    cards: dict[str, Any] = field(default_factory=dict)
    updated: list[Activity] = field(default_factory=list)  # the activities the last turn updated in place
    _counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def in_channel(self) -> bool:
        return self.conversation_type != "personal"

    def activity(self, person: Person, activity_type: str = "message", **fields: Any) -> Activity:
        """A Teams activity from ``person`` in this conversation."""
        sender = {"from": {"id": person.user_id, "name": person.name, "aadObjectId": person.aad_object_id}}
        raw = teams_activity(
            activity_type, conversation_type=self.conversation_type, conversation_id=self.conversation_id,
            **fields, **sender,
        )
        return Activity().deserialize(raw)

    async def send(self, activity: Activity) -> list[Activity]:
        """Run one turn; return what the bot sent (and record every card in it, and in what it updated:
        :attr:`updated`)."""
        self.adapter.activity_buffer.clear()
        self.adapter.updated_activities.clear()
        await TestFlow(None, self.adapter).send(activity)
        sent = list(self.adapter.activity_buffer)
        self.updated = list(self.adapter.updated_activities)
        self.adapter.activity_buffer.clear()
        self.adapter.updated_activities.clear()
        for reply in [*sent, *self.updated]:
            for attachment in reply.attachments or []:
                if attachment.content_type == CARD_CONTENT_TYPE:
                    self.cards[f"card {next(self._counter)}"] = attachment.content
            body = reply.value.body if reply.type == "invokeResponse" else None
            if isinstance(body, dict) and body.get("type") == CARD_CONTENT_TYPE:
                self.cards[f"invoke card {next(self._counter)}"] = body["value"]
        return sent

    async def say(self, person: Person, text: str) -> list[Activity]:
        """``person`` types ``text`` (with an @mention of the bot in a channel)."""
        return await self.send(self.activity(person, text=text, mention_bot=self.in_channel))

    async def press(
        self, person: Person, card: dict[str, Any], title: str, inputs: dict[str, Any] | None = None,
        *, data: dict[str, Any] | None = None,
    ) -> tuple[InvokeResponse, list[Activity]]:
        """``person`` presses the ``Action.Execute`` button ``title`` of ``card``: an ``adaptiveCard/action``
        invoke carrying the button's data merged with ``inputs``; ``data`` replaces the button's data."""
        button = find_button(card, title)
        payload = {**(button["data"] if data is None else data), **(inputs or {})}
        value = {"action": {"type": "Action.Execute", "verb": button["verb"], "data": payload}, "trigger": "manual"}
        sent = await self.send(self.activity(person, "invoke", name="adaptiveCard/action", value=value))
        [response] = [a.value for a in sent if a.type == "invokeResponse"]
        return response, [a for a in sent if a.type == "message"]

    async def press_fallback(
        self, person: Person, card: dict[str, Any], title: str, inputs: dict[str, Any] | None = None
    ) -> list[Activity]:
        """``person`` presses ``title`` on a client without Universal Actions: the ``Action.Submit``
        fallback arrives as a message whose ``value`` is the data merged with the inputs."""
        fallback = find_button(card, title)["fallback"]
        return await self.send(self.activity(person, value={**fallback["data"], **(inputs or {})}))


def updated_cards(chat: Chat) -> list[tuple[str, dict[str, Any]]]:
    """The cards the last turn updated in place: (activity id, card), in order."""
    return [(str(a.id), att.content) for a in chat.updated for att in a.attachments or []
            if att.content_type == CARD_CONTENT_TYPE]


def find_button(card: dict[str, Any], title: str) -> dict[str, Any]:
    """The card's ``Action.Execute`` titled ``title``."""
    for action in card.get("actions", []):
        if action.get("title") == title:
            return action
    titles = [action.get("title") for action in card.get("actions", [])]
    raise AssertionError(f"no button {title!r} on the card; buttons: {titles}")


def texts(sent: list[Activity]) -> list[str]:
    """The text of every message the bot sent."""
    return [a.text for a in sent if a.type == "message" and a.text]


def said(sent: list[Activity]) -> list[str]:
    """What the bot said, in order: each message's text, and each card's text (its lines joined)."""
    found: list[str] = []
    for activity in sent:
        if activity.type != "message":
            continue
        if activity.text:
            found.append(activity.text)
        for attachment in activity.attachments or []:
            if attachment.content_type == CARD_CONTENT_TYPE:
                found.append("\n".join(card_texts(attachment.content)))
    return found


def run_buttons(card: dict[str, Any]) -> dict[str, str]:
    """The card's suggestion buttons: title → the command it runs (checked to be the same on the fallback)."""
    found: dict[str, str] = {}
    for action in card.get("actions", []):
        meta = action.get("data", {}).get("switchboard", {})
        if action.get("verb") == "run":
            assert action["fallback"]["type"] == "Action.Submit"
            assert action["fallback"]["data"] == action["data"]
            found[action["title"]] = meta["command"]
    return found


def sent_cards(sent: list[Activity]) -> list[dict[str, Any]]:
    """Every Adaptive Card the bot sent in messages."""
    return [att.content for a in sent for att in a.attachments or [] if att.content_type == CARD_CONTENT_TYPE]


def card_texts(card: dict[str, Any]) -> list[str]:
    """Every TextBlock text and fact of a card, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            if node.get("type") == "FactSet":
                found.extend(f"{fact['title']}: {fact['value']}" for fact in node["facts"])
            for key, value in node.items():
                if key not in ("data", "fallback"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body", []))
    return found


def inputs_of(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's inputs by id."""
    return {e["id"]: e for e in card.get("body", []) if str(e.get("type", "")).startswith("Input.")}


@pytest.fixture
async def actions(sandbox: SandboxHandle) -> AsyncIterator[ActionContext]:
    """The root action context on the sandbox, both demo subscriptions in scope."""
    arm = ArmSettings(
        sandbox_url=sandbox.url,
        subscriptions=(DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID),
        discovery_timeout_seconds=30.0,  # the widest allowed: a busy machine never cuts a list short
    )
    async with ActionContext(arm, options=FAST_CLIENTS) as context:
        yield context


@pytest.fixture(scope="session")
def registry() -> Registry:
    return default_registry()


@pytest.fixture
def storage() -> Storage:
    return MemoryStorage()


@pytest.fixture
def request_budget() -> float:
    """Seconds the request handler waits for Azure: generous here, so a test expecting "Done" never
    races a loaded machine's clock; tests of the budget override this fixture with a tiny one."""
    return 60.0


@pytest.fixture
async def ledger(storage_connection_string: str, unique_name: str) -> AsyncIterator[DeliveryLedger]:
    """The real delivery ledger on Azurite (a fresh table)."""
    async with TableProvider(connection_string=storage_connection_string, options=FAST_TABLES) as tables:
        yield DeliveryLedger(tables, table_name=f"deliveries{unique_name}")


@pytest.fixture
def bot(
    storage: Storage, registry: Registry, actions: ActionContext, ledger: DeliveryLedger, request_budget: float
) -> SwitchboardBot:
    """The real bot, wired with the real dialogs, request handler and delivery ledger."""
    states = BotStates.create(storage, private_conversation=True)
    assert states.private_conversation is not None
    conversations = Conversations(
        state=states.private_conversation, registry=registry, actions=actions,
        handler=DirectRequestHandler(registry, actions, budget=request_budget), decisions=ledger,
    )
    return SwitchboardBot(
        states=states, references=MemoryReferences(), allowed_tenants=[TEST_TENANT_ID], conversations=conversations,
        deliveries=ledger,
    )


@pytest.fixture
def adapter(bot: SwitchboardBot) -> ConnectorStandIn:
    async def logic(turn_context: TurnContext) -> None:
        await bot.on_turn(turn_context)

    return ConnectorStandIn(logic)


@pytest.fixture
def chat(adapter: TestAdapter, card_validator: CardValidator) -> Iterator[Chat]:
    """Alex's personal chat; every card seen is validated at the end of the test."""
    conversation = Chat(adapter)
    yield conversation
    if conversation.cards:
        assert_valid_cards(card_validator, conversation.cards)


@pytest.fixture
def channel(adapter: TestAdapter, card_validator: CardValidator) -> Iterator[Chat]:
    """A thread in a Teams channel; every card seen is validated at the end of the test."""
    conversation = Chat(adapter, "channel", "19:general@thread.tacv2;messageid=1700000000000")
    yield conversation
    if conversation.cards:
        assert_valid_cards(card_validator, conversation.cards)


def changed_card(chat: Chat) -> dict[str, Any]:
    """The card the last turn left in place of the request's card (its last in-place update)."""
    changed = updated_cards(chat)
    assert changed, "the last turn changed no card in place"
    return changed[-1][1]
