"""The guardrails' chat commands through the real HTTP edge of the composed app (``build_switchboard`` wires them)."""

from __future__ import annotations

import uuid

from guardrails.ports import AuditQuery
from guardrails.records import AuditKind
from storage import TableAuditStore, TableProvider
from tests.support.connector import ConnectorStandIn, teams_activity
from tests.support.hosted_app import HostedApp

SCOPE = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-prod"


def stranger() -> str:
    """An Entra object id nobody granted anything (the shared Azurite may hold other tests' policies)."""
    return f"{uuid.uuid4().hex[:8]}-0000-4000-8000-{uuid.uuid4().hex[:12]}"


async def test_a_person_without_grants_is_told_so_and_a_freeze_they_may_not_declare_is_refused_and_audited(
    hosted: HostedApp, connector: ConnectorStandIn, storage_connection_string: str
) -> None:
    who = stranger()
    grants = teams_activity(text="grants", service_url=connector.service_url, user_aad_object_id=who)
    assert (await hosted.post_activity(grants)).status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text == ("You hold no grants, so every request of yours is refused. Ask an admin of the scope you "
                          "work on for one.")

    freeze = teams_activity(text=f'freeze {SCOPE} until 2099-01-01 00:00 "not mine to declare"',
                            service_url=connector.service_url, user_aad_object_id=who)
    assert (await hosted.post_activity(freeze)).status_code == 200
    [_, refusal] = await connector.wait_for_async(2)
    assert refusal.text.startswith(f"You can't declare a freeze on `{SCOPE}`: you hold no admin grant covering that "
                                   "scope. Admins of it:")
    async with TableProvider(connection_string=storage_connection_string) as tables:
        [record] = await TableAuditStore(tables).query(AuditQuery(actor=who, kind=AuditKind.FREEZE_DECLARED))
    assert (record.decision, record.scope, record.details["via"]) == ("refused", SCOPE, "chat")
