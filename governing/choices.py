"""Only resources the person may act on: discovered choices narrowed by their grants.

:class:`GrantChoiceFilter` is the dialogs' choice filter (``dialogs.turn.ChoiceFilter``). A
discovered resource (a choice whose value is an ARM id) is offered when one of the person's
active action or break-glass grants for the action covers it, or lies inside it (a grant on one
node pool keeps its cluster on offer). Others move to ``unavailable`` ("no grant of yours"), so the
question says what was left out. Choices that are not resource ids are offered as discovered, and
limits are not checked here: the decision explains a value outside them. If the grants cannot be
read, nothing is filtered (the decision still refuses what no grant allows).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from actions.spec import ChoiceList, Unavailable
from governing.context import Governance
from guardrails.ports import StoreError
from guardrails.records import Grant, GrantKind, Principal
from guardrails.scopes import covers
from requesting import Requester

__all__ = ["NO_GRANT_REASON", "GrantChoiceFilter"]

_log = logging.getLogger("switchboard.governing")

NO_GRANT_REASON = "no grant of yours"
_ARM_PREFIX = "/subscriptions/"


class GrantChoiceFilter:
    """Narrows discovered choices to the resources ``requester`` holds a grant for (see the module)."""

    def __init__(self, governance: Governance) -> None:
        self._gov = governance

    async def _grants(self, object_id: str) -> list[Grant]:
        policy = await self._gov.reader.policy()
        groups = await policy.groups.groups_of(object_id)
        principals = [Principal.user(object_id), *(Principal.group(g) for g in sorted(groups))]
        return await policy.grants.for_principals(principals)

    async def __call__(self, requester: Requester, action: str, listed: ChoiceList) -> ChoiceList:
        """``listed`` with the resources no grant of ``requester`` for ``action`` reaches moved to ``unavailable``."""
        if not any(c.value.lower().startswith(_ARM_PREFIX) for c in listed.choices):
            return listed
        object_id = requester.aad_object_id or ""
        try:
            grants = await self._grants(object_id) if object_id else []
        except StoreError:
            _log.warning("grants could not be read to narrow choices; all are offered", exc_info=True)
            return listed
        now = self._gov.now()
        usable = [
            g for g in grants
            if g.kind in (GrantKind.ACTION, GrantKind.BREAK_GLASS) and g.active_at(now) and g.allows_action(action)
        ]
        offered, refused = [], list(listed.unavailable)
        for choice in listed.choices:
            value = choice.value
            if not value.lower().startswith(_ARM_PREFIX) or any(
                covers(g.scope, value) or covers(value, g.scope) for g in usable
            ):
                offered.append(choice)
            else:
                refused.append(Unavailable(choice, NO_GRANT_REASON))
        return replace(listed, choices=tuple(offered), unavailable=tuple(refused))
