"""Bot turns through botbuilder's TestAdapter/TestFlow: routing, install/uninstall, tenants, errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from botbuilder.core.adapters import TestFlow
from botbuilder.schema import Activity

from bot import replies
from bot.teams_bot import tenant_of
from dialogs import texts as dialog_texts
from tests.support.connector import TEST_BOT_ID, TEST_TENANT_ID, teams_activity
from tests.unit.bot.conftest import BotHarness

FOREIGN_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
REF = re.compile(r"\(ref ([0-9a-f]{12})\)")


def texts(sent: list[Activity]) -> list[str]:
    return [a.text for a in sent if a.type == "message"]


def state_key(activity: Activity) -> str:
    return f"{activity.channel_id}/conversations/{activity.conversation.id}"


def user_state_key(activity: Activity) -> str:
    return f"{activity.channel_id}/users/{activity.from_property.id}"


# --------------------------------------------------------------------------- messages
async def test_help_in_personal_chat_lists_what_the_bot_can_do(harness: BotHarness) -> None:
    def is_help(reply: Activity, description: str | None = None) -> None:
        assert reply.type == "message"
        assert reply.text.startswith("Here is what I can do:")
        assert "`help [command]`" in reply.text
        assert "@mention me" not in reply.text  # personal chat: no channel hint

    flow = await TestFlow(None, harness.adapter).send(harness.activity(text="help"))
    await flow.assert_reply(is_help)


async def test_help_for_one_command_shows_its_usage_and_examples(harness: BotHarness) -> None:
    [reply] = texts(await harness.send(harness.activity(text="help help")))
    assert reply.startswith("**help**")
    assert "Usage: `help [command]`" in reply
    assert "- `help help`" in reply


async def test_help_for_an_unknown_topic_does_not_echo_markup(harness: BotHarness) -> None:
    [reply] = texts(await harness.send(harness.activity(text="help `rm -rf`<b>")))
    assert reply == dialog_texts.unknown_help_topic("rm")


@pytest.mark.parametrize("text", ["Help", "HELP?", "  help  ", "help!"])
async def test_the_command_word_is_normalized(harness: BotHarness, text: str) -> None:
    [reply] = texts(await harness.send(harness.activity(text=text)))
    assert reply.startswith("Here is what I can do:")


@pytest.mark.parametrize("text", ["helpme", "please help", "what can you do", "unhelpful"])
async def test_unknown_text_points_to_help_routing_on_tokens_not_substrings(harness: BotHarness, text: str) -> None:
    flow = await TestFlow(None, harness.adapter).send(harness.activity(text=text))
    await flow.assert_reply(dialog_texts.unknown_command(in_channel=False))


async def test_an_empty_message_gets_a_short_hint(harness: BotHarness) -> None:
    assert texts(await harness.send(harness.activity(text=""))) == [dialog_texts.empty_message(in_channel=False)]


@pytest.mark.parametrize("conversation_type", ["channel", "groupChat"])
async def test_in_a_channel_the_mention_is_removed_before_routing(
    harness: BotHarness, conversation_type: str
) -> None:
    activity = harness.activity(text="help", mention_bot=True, conversation_type=conversation_type)
    assert activity.text == "<at>Switchboard</at> help"
    [reply] = texts(await harness.send(activity))
    assert reply.startswith("Here is what I can do:")
    assert "@mention me first" in reply  # help tells channel users how to address the bot


async def test_in_a_channel_unknown_text_after_the_mention_points_to_help(harness: BotHarness) -> None:
    activity = harness.activity(text="scale everything", mention_bot=True, conversation_type="channel")
    assert texts(await harness.send(activity)) == [dialog_texts.unknown_command(in_channel=True)]


async def test_in_a_channel_a_mention_alone_gets_the_hint(harness: BotHarness) -> None:
    activity = harness.activity(text="", mention_bot=True, conversation_type="channel")
    assert texts(await harness.send(activity)) == [dialog_texts.empty_message(in_channel=True)]


@pytest.mark.parametrize("conversation_type", ["channel", "groupChat"])
async def test_in_a_channel_without_a_mention_the_bot_stays_silent(
    harness: BotHarness, conversation_type: str
) -> None:
    activity = harness.activity(text="help", conversation_type=conversation_type)
    flow = await TestFlow(None, harness.adapter).send(activity)
    await flow.assert_no_reply(timeout=200)


async def test_a_mention_of_someone_else_is_not_a_mention_of_the_bot(harness: BotHarness) -> None:
    activity = harness.activity(text="<at>Megan</at> help", conversation_type="channel")
    activity.entities = [
        Activity().deserialize({"entities": [{"type": "mention", "mentioned": {"id": "29:megan"},
                                              "text": "<at>Megan</at>"}]}).entities[0]
    ]
    assert await harness.send(activity) == []


# --------------------------------------------------------------------------- Teams' HTML-flavoured text
BOT_MENTION = {
    "type": "mention", "mentioned": {"id": TEST_BOT_ID, "name": "Switchboard"}, "text": "<at>Switchboard</at>",
}
MARKUP = set("<>&[]*~|#\\")


@pytest.mark.parametrize("conversation_type", ["channel", "groupChat"])
@pytest.mark.parametrize(
    "text",
    [
        "<at>Switchboard</at>&nbsp;help",  # what Teams sends after picking the bot in the @ list
        "<p><at>Switchboard</at>&nbsp;help</p>",
        "<div><at>Switchboard</at></div><div>help</div>",
        "<at>Switchboard</at><br>help&nbsp;",
        "<at>Switchboard</at>\u200bhelp\u200b",
        "<at>Switchboard</at>&#160;&#x68;elp",
    ],
)
async def test_in_a_channel_teams_html_after_the_mention_is_understood(
    harness: BotHarness, text: str, conversation_type: str
) -> None:
    activity = harness.activity(text=text, conversation_type=conversation_type, entities=[BOT_MENTION])
    [reply] = texts(await harness.send(activity))
    assert reply.startswith("Here is what I can do:")
    assert "@mention me first" in reply


@pytest.mark.parametrize(
    "text", ["help&nbsp;", "<p>help</p>", "<div><div>help</div></div>", "&nbsp;help<br/>", "\u200bhelp", "&#104;elp"]
)
async def test_in_personal_chat_teams_html_is_understood(harness: BotHarness, text: str) -> None:
    [reply] = texts(await harness.send(harness.activity(text=text)))
    assert reply.startswith("Here is what I can do:")


@pytest.mark.parametrize(("conversation_type", "mention"), [("personal", False), ("channel", True)])
async def test_a_message_sent_only_as_an_html_attachment_is_understood(
    harness: BotHarness, conversation_type: str, mention: bool
) -> None:
    mention_span = '<span itemscope="" itemtype="http://schema.skype.com/Mention" itemid="0">Switchboard</span>'
    content = f"<div><div>{mention_span if mention else ''}&nbsp;help</div></div>"
    activity = harness.activity(
        text="", conversation_type=conversation_type, entities=[BOT_MENTION] if mention else [],
        attachments=[{"contentType": "text/html", "content": content}],
    )
    [reply] = texts(await harness.send(activity))
    assert reply.startswith("Here is what I can do:")


@pytest.mark.parametrize("conversation_type", ["personal", "channel"])
async def test_a_near_miss_is_answered_without_echoing_entities_or_markup(
    harness: BotHarness, conversation_type: str
) -> None:
    text = "scael&nbsp;node&nbsp;pool &lt;b&gt;aks-prod&lt;/b&gt; [np1](https://evil.example) *to* 5"
    mention = conversation_type != "personal"
    activity = harness.activity(
        text=f"<at>Switchboard</at>&nbsp;{text}" if mention else text, conversation_type=conversation_type,
        entities=[BOT_MENTION] if mention else [],
    )
    [message] = [a for a in await harness.send(activity) if a.type == "message"]
    [card] = [attachment.content for attachment in message.attachments]  # did-you-mean: a card with buttons
    reply = card["body"][0]["text"]
    assert reply.startswith("I don't know the action 'scael node pool'. Did you mean: scale node pool")
    assert "nbsp" not in reply
    assert not MARKUP & set(reply)
    assert "](" not in reply


async def test_an_unknown_word_after_the_mention_is_not_echoed_with_its_entities(harness: BotHarness) -> None:
    activity = harness.activity(
        text="<at>Switchboard</at>&nbsp;frobnicate&nbsp;&lt;i&gt;now&lt;/i&gt;", conversation_type="channel",
        entities=[BOT_MENTION],
    )
    assert texts(await harness.send(activity)) == [dialog_texts.unknown_command(in_channel=True)]


async def test_a_help_turn_writes_no_state(harness: BotHarness) -> None:
    activity = harness.activity(text="help")
    await harness.send(activity)
    assert await harness.stored_state(state_key(activity)) is None
    assert await harness.stored_state(user_state_key(activity)) is None


# --------------------------------------------------------------------------- install / uninstall
@pytest.mark.parametrize("conversation_type", ["personal", "groupChat", "channel"])
async def test_install_greets_once_and_stores_the_reference(harness: BotHarness, conversation_type: str) -> None:
    install = harness.activity("installationUpdate", action="add", conversation_type=conversation_type)
    sent = await harness.send(install)
    assert texts(sent) == [replies.greeting(in_channel=conversation_type != "personal")]

    stored = await harness.switchboard.references.get(install.conversation.id)
    assert stored is not None
    assert stored.conversation_type == conversation_type
    assert stored.reference.conversation.id == install.conversation.id
    assert stored.reference.bot.id == TEST_BOT_ID
    assert stored.reference.service_url == install.service_url
    if conversation_type == "channel":
        assert stored.team_id == "19:team-general@thread.tacv2"

    # Teams also sends conversationUpdate with the bot among membersAdded: no second greeting.
    added = harness.activity(
        "conversationUpdate", conversation_type=conversation_type, membersAdded=[{"id": TEST_BOT_ID}]
    )
    assert texts(await harness.send(added)) == []
    assert await harness.switchboard.references.get(install.conversation.id) is not None


async def test_bot_added_by_conversation_update_alone_greets_and_stores(harness: BotHarness) -> None:
    added = harness.activity("conversationUpdate", conversation_type="channel", membersAdded=[{"id": TEST_BOT_ID}])
    assert texts(await harness.send(added)) == [replies.greeting(in_channel=True)]
    assert await harness.switchboard.references.get(added.conversation.id) is not None


async def test_other_members_joining_neither_greet_nor_store(harness: BotHarness) -> None:
    joined = harness.activity("conversationUpdate", conversation_type="channel", membersAdded=[{"id": "29:megan"}])
    assert await harness.send(joined) == []
    assert await harness.switchboard.references.get(joined.conversation.id) is None


@pytest.mark.parametrize("how", ["installationUpdate", "conversationUpdate"])
async def test_uninstall_deletes_the_reference_and_the_conversation_state(harness: BotHarness, how: str) -> None:
    install = harness.activity("installationUpdate", action="add", conversation_type="groupChat")
    await harness.send(install)
    # Some conversation state kept for this conversation before the bot is removed.
    await harness.switchboard.states.storage.write({state_key(install): {"kept": True}})
    assert await harness.stored_state(state_key(install)) is not None

    if how == "installationUpdate":
        removal = harness.activity("installationUpdate", action="remove", conversation_type="groupChat")
    else:
        removal = harness.activity(
            "conversationUpdate", conversation_type="groupChat", membersRemoved=[{"id": TEST_BOT_ID}]
        )
    assert await harness.send(removal) == []
    assert await harness.switchboard.references.get(install.conversation.id) is None
    assert await harness.stored_state(state_key(install)) is None

    # Installed again later: greeted again.
    assert texts(await harness.send(install)) == [replies.greeting(in_channel=True)]


# --------------------------------------------------------------------------- tenants
async def test_a_foreign_tenant_is_refused_logged_and_nothing_is_stored(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    message = harness.activity(text="help with the secret plan", tenant_id=FOREIGN_TENANT)
    assert texts(await harness.send(message)) == [replies.tenant_refused()]

    install = harness.activity("installationUpdate", action="add", tenant_id=FOREIGN_TENANT)
    assert await harness.send(install) == []

    assert await harness.switchboard.references.get(install.conversation.id) is None
    assert await harness.stored_state(state_key(install)) is None
    assert await harness.stored_state(user_state_key(message)) is None
    refusals = [r for r in caplog.records if r.levelno == logging.WARNING and "refused" in r.getMessage()]
    assert len(refusals) == 2
    assert all(FOREIGN_TENANT in r.getMessage() for r in refusals)
    assert "secret plan" not in caplog.text


async def test_an_invoke_from_a_foreign_tenant_gets_403(harness: BotHarness) -> None:
    invoke = harness.activity(
        "invoke", name="adaptiveCard/action", value={"action": {"type": "Action.Execute", "verb": "x"}},
        tenant_id=FOREIGN_TENANT,
    )
    [response] = await harness.send(invoke)
    assert response.type == "invokeResponse"
    assert response.value.status == 403


async def test_channel_data_and_conversation_disagreeing_on_the_tenant_is_refused(harness: BotHarness) -> None:
    message = harness.activity(text="help")
    message.conversation.tenant_id = FOREIGN_TENANT
    assert texts(await harness.send(message)) == [replies.tenant_refused()]


async def test_a_missing_tenant_is_refused(harness: BotHarness) -> None:
    message = harness.activity(text="help", tenant_id=None)
    assert texts(await harness.send(message)) == [replies.tenant_refused()]


def with_tenants(harness: BotHarness, *, channel_data: str | None, conversation: str | None) -> Activity:
    """A message whose tenant is given in channelData.tenant.id and/or conversation.tenantId (as on the wire)."""
    raw = teams_activity(
        text="help", tenant_id=None, conversation_id=f"personal-{harness.suffix}", user_id=f"29:user-{harness.suffix}"
    )
    if channel_data is not None:
        raw["channelData"]["tenant"] = {"id": channel_data}
    if conversation is not None:
        raw["conversation"]["tenantId"] = conversation
    return Activity().deserialize(raw)


@pytest.mark.parametrize(
    "tenant", [TEST_TENANT_ID, TEST_TENANT_ID.upper(), f" {TEST_TENANT_ID} "], ids=["as-sent", "upper", "spaced"]
)
async def test_a_tenant_given_only_in_the_conversation_is_served(harness: BotHarness, tenant: str) -> None:
    # The Playground's "Mock an Activity" sends conversation.tenantId and no channelData.tenant.
    message = with_tenants(harness, channel_data=None, conversation=tenant)
    [reply] = texts(await harness.send(message))
    assert reply.startswith("Here is what I can do:")


async def test_a_foreign_tenant_given_only_in_the_conversation_is_refused(harness: BotHarness) -> None:
    message = with_tenants(harness, channel_data=None, conversation=FOREIGN_TENANT)
    assert texts(await harness.send(message)) == [replies.tenant_refused()]


@pytest.mark.parametrize(
    ("channel_data", "conversation"), [(TEST_TENANT_ID, FOREIGN_TENANT), (FOREIGN_TENANT, TEST_TENANT_ID)]
)
async def test_channel_data_and_conversation_tenant_id_disagreeing_is_refused(
    harness: BotHarness, channel_data: str, conversation: str
) -> None:
    message = with_tenants(harness, channel_data=channel_data, conversation=conversation)
    assert texts(await harness.send(message)) == [replies.tenant_refused()]


def test_tenant_of_reads_every_source_and_refuses_disagreement() -> None:
    def tenant(channel_data: str | None, wire: str | None, schema: str | None = None) -> str | None:
        raw = teams_activity(text="x", tenant_id=None)
        if channel_data is not None:
            raw["channelData"]["tenant"] = {"id": channel_data}
        if wire is not None:
            raw["conversation"]["tenantId"] = wire
        if schema is not None:
            raw["conversation"]["tenantID"] = schema  # botbuilder-schema's own key for tenant_id
        return tenant_of(Activity().deserialize(raw))

    assert tenant("T1", None) == "t1"
    assert tenant(None, "T1") == "t1"
    assert tenant(None, None, "T1") == "t1"
    assert tenant("T1", "t1", "T1 ") == "t1"
    assert tenant(None, None) is None
    assert tenant("T1", "T2") is None
    assert tenant(None, "T1", "T2") is None
    assert tenant("T1", None, "T2") is None


# --------------------------------------------------------------------------- card actions
async def test_a_card_action_invoke_is_answered_with_a_body(harness: BotHarness) -> None:
    # A card that is not Switchboard's (no card data): the dialogs answer 400 with an error body.
    invoke = harness.activity(
        "invoke", name="adaptiveCard/action", value={"action": {"type": "Action.Execute", "verb": "old", "data": {}}}
    )
    [response] = await harness.send(invoke)
    assert response.type == "invokeResponse"
    assert response.value.status == 400
    assert response.value.body["type"] == "application/vnd.microsoft.error"


# --------------------------------------------------------------------------- failures
async def test_a_failed_turn_tells_a_correlation_id_logs_it_and_clears_conversation_state(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    install = harness.activity("installationUpdate", action="add", conversation_type="groupChat")
    await harness.send(install)
    await harness.switchboard.states.storage.write({state_key(install): {"kept": True}})
    assert await harness.stored_state(state_key(install)) is not None

    harness.adapter.failures = 1  # the Bot Connector fails the next reply (help's), then recovers
    sent = await harness.send(harness.activity(text="help", mention_bot=True, conversation_type="groupChat"))

    [message] = texts(sent)
    match = REF.search(message)
    assert match, message
    assert message == replies.error_message(match.group(1))
    assert "ConnectionError" not in message
    assert "Connector" not in message
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and match.group(1) in r.getMessage()]
    assert failures
    assert failures[0].exc_info is not None
    assert await harness.stored_state(state_key(install)) is None  # conversation state cleared

    # Nobody is stuck: the next turn works.
    sent = await harness.send(harness.activity(text="help", mention_bot=True, conversation_type="groupChat"))
    assert texts(sent)[0].startswith("Here is what I can do:")


async def test_unreachable_storage_is_reported_with_a_correlation_id(
    make_harness: Callable[..., BotHarness], caplog: pytest.LogCaptureFixture, refused_port: int
) -> None:
    port = refused_port
    unreachable = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTCtr/KBHBeksoGMGw==;"
        f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    harness = make_harness(connection_string=unreachable)
    [message] = texts(await harness.send(harness.activity(text="help")))
    match = REF.search(message)
    assert match
    assert message == replies.storage_unavailable(match.group(1))
    assert any(r.levelno == logging.ERROR and match.group(1) in r.getMessage() for r in caplog.records)


async def test_unreachable_storage_on_install_greets_nobody_and_posts_nothing(
    make_harness: Callable[..., BotHarness], caplog: pytest.LogCaptureFixture, refused_port: int
) -> None:
    port = refused_port
    unreachable = f"AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    harness = make_harness(connection_string=unreachable)
    assert await harness.send(harness.activity("installationUpdate", action="add")) == []
    # Nobody typed anything: the failure is logged with its correlation id, not posted into the chat.
    assert any(r.levelno == logging.ERROR and REF.search(r.getMessage()) for r in caplog.records)
