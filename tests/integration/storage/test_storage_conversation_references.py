"""ConversationReferenceStore against Azurite: personal, group chat and channel conversations."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)

from storage import (
    ConversationReferenceStore,
    StorageUnavailableError,
    StoredConversationReference,
    TableProvider,
    ValueTooLargeError,
)
from tests.support.table_storage import FAST, unreachable_connection_string

TENANT = "00000000-0000-0000-0000-0000000000001"
OTHER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def reference(conversation_id: str, conversation_type: str, tenant: str = TENANT) -> ConversationReference:
    return ConversationReference(
        activity_id="1764126000000",
        user=ChannelAccount(id="29:1user", name="Alex Wilber", aad_object_id="00000000-0000-0000-0000-000000000020"),
        bot=ChannelAccount(id="28:bot", name="Switchboard"),
        conversation=ConversationAccount(
            id=conversation_id,
            conversation_type=conversation_type,
            tenant_id=tenant,
            is_group=conversation_type != "personal",
        ),
        channel_id="msteams",
        locale="en-GB",
        service_url=SERVICE_URL,
    )


PERSONAL = "a:1Xy-z_0AbCdEfGh"
GROUP = "19:meeting_abc@thread.v2"
CHANNEL = "19:general@thread.tacv2;messageid=1764126000000"


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tables: TableProvider, unique_name: str, clock: Clock) -> ConversationReferenceStore:
    return ConversationReferenceStore(tables, table_name=f"refs{unique_name}", clock=clock)


@pytest.mark.parametrize(
    ("conversation_id", "conversation_type", "team_id"),
    [(PERSONAL, "personal", None), (GROUP, "groupChat", None), (CHANNEL, "channel", "19:team@thread.tacv2")],
)
async def test_save_then_get_round_trips_what_proactive_messages_need(
    store: ConversationReferenceStore,
    clock: Clock,
    conversation_id: str,
    conversation_type: str,
    team_id: str | None,
) -> None:
    original = reference(conversation_id, conversation_type)

    saved = await store.save(original, team_id=team_id)
    got = await store.get(conversation_id)

    assert got == saved
    assert got is not None
    assert got.conversation_id == conversation_id
    assert got.conversation_type == conversation_type
    assert got.tenant_id == TENANT
    assert got.team_id == team_id
    assert got.updated_at == clock.now
    assert got.reference.serialize() == original.serialize()
    assert got.reference.service_url == SERVICE_URL
    assert got.reference.conversation.id == conversation_id


async def test_only_the_save_that_inserts_a_reference_says_created(store: ConversationReferenceStore) -> None:
    # The two install events of one installation arrive together: exactly one save inserts.
    results = await asyncio.gather(*(store.save(reference(GROUP, "groupChat")) for _ in range(4)))
    assert sorted(r.created for r in results) == [False, False, False, True]
    again = await store.save(reference(GROUP, "groupChat"))
    assert again.created is False
    got = await store.get(GROUP)
    assert got is not None
    assert got.created is False

    await store.delete(GROUP)
    assert (await store.save(reference(GROUP, "groupChat"))).created is True


async def test_get_of_unknown_conversation_is_none(store: ConversationReferenceStore) -> None:
    assert await store.get("19:never-seen@thread.v2") is None


async def test_save_replaces_and_updates_the_time(store: ConversationReferenceStore, clock: Clock) -> None:
    await store.save(reference(PERSONAL, "personal"))
    clock.now += dt.timedelta(hours=1)
    newer = reference(PERSONAL, "personal")
    newer.service_url = "https://smba.trafficmanager.net/amer/"

    await store.save(newer)
    got = await store.get(PERSONAL)

    assert got is not None
    assert got.updated_at == clock.now
    assert got.reference.service_url == "https://smba.trafficmanager.net/amer/"


async def test_delete_forgets_and_missing_is_fine(store: ConversationReferenceStore) -> None:
    await store.save(reference(GROUP, "groupChat"))

    await store.delete(GROUP)
    await store.delete(GROUP)
    await store.delete("19:never-seen@thread.v2")

    assert await store.get(GROUP) is None


async def test_list_returns_every_reference_and_filters(store: ConversationReferenceStore) -> None:
    await store.save(reference(PERSONAL, "personal"))
    await store.save(reference(GROUP, "groupChat"))
    await store.save(reference(CHANNEL, "channel"), team_id="19:team@thread.tacv2")
    await store.save(reference("a:other-tenant", "personal", tenant=OTHER_TENANT))

    async def ids(**filters: str) -> list[str]:
        return sorted([item.conversation_id async for item in store.list_references(**filters)])

    assert await ids() == sorted([PERSONAL, GROUP, CHANNEL, "a:other-tenant"])
    assert await ids(conversation_type="personal") == sorted([PERSONAL, "a:other-tenant"])
    assert await ids(conversation_type="channel") == [CHANNEL]
    assert await ids(tenant_id=OTHER_TENANT) == ["a:other-tenant"]
    assert await ids(conversation_type="personal", tenant_id=TENANT) == [PERSONAL]
    assert await ids(conversation_type="groupChat'or'1'eq'1") == []  # filter values are parameters, not text


async def test_conversation_ids_with_forbidden_characters_stay_distinct(store: ConversationReferenceStore) -> None:
    first, second = "19:a/b#c?d@thread.v2", "19:a%2Fb#c?d@thread.v2"
    await store.save(reference(first, "groupChat"))
    await store.save(reference(second, "groupChat"))

    got_first, got_second = await store.get(first), await store.get(second)

    assert got_first is not None
    assert got_second is not None
    assert got_first.reference.conversation.id == first
    assert got_second.reference.conversation.id == second


async def test_save_activity_takes_team_id_from_teams_channel_data(store: ConversationReferenceStore) -> None:
    activity = Activity(
        type=ActivityTypes.message,
        id="1764126000000",
        channel_id="msteams",
        service_url=SERVICE_URL,
        from_property=ChannelAccount(id="29:1user", name="Alex Wilber"),
        recipient=ChannelAccount(id="28:bot", name="Switchboard"),
        conversation=ConversationAccount(id=CHANNEL, conversation_type="channel", tenant_id=TENANT, is_group=True),
        channel_data={"team": {"id": "19:team@thread.tacv2"}, "tenant": {"id": TENANT}},
    )

    saved = await store.save_activity(activity)

    assert isinstance(saved, StoredConversationReference)
    got = await store.get(CHANNEL)
    assert got is not None
    assert got.team_id == "19:team@thread.tacv2"
    assert got.reference.bot.id == "28:bot"
    assert got.reference.user.id == "29:1user"


async def test_reference_without_conversation_id_is_refused(store: ConversationReferenceStore) -> None:
    with pytest.raises(ValueError, match=r"conversation\.id"):
        await store.save(ConversationReference(conversation=ConversationAccount(id="")))


async def test_oversized_reference_is_refused(store: ConversationReferenceStore) -> None:
    huge = reference(PERSONAL, "personal")
    huge.user.name = "n" * 40_000

    with pytest.raises(ValueTooLargeError, match="limit"):
        await store.save(huge)
    assert await store.get(PERSONAL) is None


async def test_unreachable_storage_raises_unavailable(refused_port: int) -> None:
    connection_string = unreachable_connection_string(refused_port)
    provider = TableProvider(connection_string=connection_string, options=FAST)
    try:
        store = ConversationReferenceStore(provider)
        with pytest.raises(StorageUnavailableError):
            await store.get(PERSONAL)
        with pytest.raises(StorageUnavailableError):
            await store.save(reference(PERSONAL, "personal"))
    finally:
        await provider.close()


async def test_personal_chat_is_found_by_the_users_entra_object_id(
    store: ConversationReferenceStore, clock: Clock
) -> None:
    alex = "00000000-0000-0000-0000-000000000020"
    # A group chat and a channel with the same user are not their personal chat.
    await store.save(reference(GROUP, "groupChat"))
    await store.save(reference(CHANNEL, "channel"), team_id="19:team@thread.tacv2")
    assert await store.personal_chat(alex) is None

    await store.save(reference(PERSONAL, "personal"))
    clock.now += dt.timedelta(days=1)
    reinstalled = reference("a:1reinstalled-chat", "personal")
    await store.save(reinstalled)
    other = reference("a:1someone-else", "personal")
    other.user = ChannelAccount(id="29:2user", name="Megan", aad_object_id="00000000-0000-0000-0000-000000000021")
    await store.save(other)

    found = await store.personal_chat(alex)

    assert found is not None
    assert found.conversation_id == "a:1reinstalled-chat"  # the newest of the user's personal chats
    assert found.reference.user.aad_object_id == alex
    megan = await store.personal_chat("00000000-0000-0000-0000-000000000021")
    assert megan is not None
    assert megan.conversation_id == "a:1someone-else"
    assert await store.personal_chat("00000000-0000-0000-0000-00000000dead") is None
    assert await store.personal_chat("") is None
    assert await store.personal_chat("x' or '1' eq '1") is None  # the id is a parameter, not filter text

    await store.delete("a:1reinstalled-chat")
    older = await store.personal_chat(alex)
    assert older is not None
    assert older.conversation_id == PERSONAL
