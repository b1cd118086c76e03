"""The plan hash: what an approval is bound to, so that what runs is exactly what was approved.

``sha256`` over canonical JSON (sorted keys, no whitespace, UTF-8) of: the action (lower
case), the resource's scope key, the resolved arguments (names and values as given: ``5`` and
``"5"`` differ), the preview's current values (each change's field and current display value)
and the current integer values ``before``. A change of arguments, of target, or of the
resource's state since the preview gives another hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

from actions.spec import ArgValue, Preview
from guardrails.records import ApprovalRequest
from guardrails.scopes import scope_key

__all__ = ["PLAN_HASH_PREFIX", "plan_hash", "verify_plan"]

PLAN_HASH_PREFIX = "sha256:v1:"


def plan_hash(
    action: str, resource_id: str, args: Mapping[str, ArgValue], preview: Preview, before: Mapping[str, int]
) -> str:
    """``sha256:v1:<hex>`` of the plan. Raises :class:`~guardrails.scopes.ScopeError` for a bad resource id."""
    payload = {
        "action": action.strip().lower(),
        "resource": scope_key(resource_id),
        "args": {name: args[name] for name in args},
        "current": sorted([change.field, change.current] for change in preview.changes),
        "before": {name: before[name] for name in before},
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return PLAN_HASH_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_plan(approval: ApprovalRequest, current_preview: Preview, current_before: Mapping[str, int]) -> bool:
    """Whether the approved plan, re-previewed now, still hashes to ``approval.plan_hash``."""
    now_hash = plan_hash(approval.action, approval.resource_id, approval.args, current_preview, current_before)
    return hmac.compare_digest(now_hash, approval.plan_hash)
