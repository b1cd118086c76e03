"""What a Switchboard card sends back, and how a submission is read — without trusting it.

Every button on a Switchboard card is an ``Action.Execute`` whose verb is ``<kind>:<action>``
(``submit:aks-scale-node-pool``, ``confirm:…``, ``cancel:…``, ``breakglass:…``) and whose ``data`` is::

    {"switchboard": {"v": 1, "verb": "submit:aks-scale-node-pool", "form": "<form id>",
                     "owner": "<owner's user id>", "ownerName": "Alex Wilber"}}

merged by the client with the card's inputs, keyed by parameter name. Teams sends it as an
``adaptiveCard/action`` invoke (``value.action.verb`` / ``value.action.data``); the
``Action.Submit`` fallback sends it as a message whose ``value`` is the same object, which is
why the verb is repeated inside ``data``.

Nothing in card data is trusted: ``owner``/``ownerName`` only word the refusal shown to
someone else; who submitted always comes from the activity, and whether the form exists and
belongs to them is decided by the submitter's own dialog state (:mod:`dialogs`). Input values
are re-validated on the server like typed ones.

Input values as clients send them: ``null`` (mobile clients, for inputs the user did not touch)
is a missing value; strings are stripped of surrounding whitespace; numbers may come as JSON
numbers or strings (``5``, ``5.0`` and ``" 5 "`` all read ``"5"``). A list, an object or
true/false is not a value any Switchboard input sends: :class:`MalformedSubmission` names the field.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from actions.quoting import quoted

__all__ = [
    "ACKNOWLEDGE_INPUT",
    "ACKNOWLEDGE_VALUE",
    "APPROVAL_REFRESH_VERB",
    "BREAK_GLASS_INPUT",
    "CARD_DATA_KEY",
    "COMMENT_INPUT",
    "INVOKE_NAME",
    "MAX_RUN_COMMAND",
    "RUN_VERB",
    "VOTE_APPROVE_VERB",
    "VOTE_REJECT_VERB",
    "ApprovalPress",
    "CardRef",
    "CardSubmission",
    "CommandPress",
    "MalformedSubmission",
    "SubmissionChannel",
    "Verb",
    "acknowledged",
    "approval_data",
    "new_form_id",
    "read_approval_press",
    "read_command",
    "read_submission",
    "run_data",
]

CARD_DATA_KEY = "switchboard"
ACKNOWLEDGE_INPUT = "acknowledge"
"""Input id of a risky preview's "I understand: …" check box (no parameter may be named so)."""
ACKNOWLEDGE_VALUE = "understood"
"""What the check box sends when ticked."""
BREAK_GLASS_INPUT = "breakGlassReason"
"""Input id of the preview's break-glass reason (no parameter may be named so)."""
INVOKE_NAME = "adaptiveCard/action"
_PROTOCOL_VERSION = 1
_FORM_ID = re.compile(r"^f-[0-9a-f]{16}$")
_ACTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_MAX_INPUT_LENGTH = 2048
_SHOWN_KEY = 40  # characters of a field name repeated in a refusal


class Verb(StrEnum):
    """What a card button asks for."""

    SUBMIT = "submit"  # a form's values
    CONFIRM = "confirm"  # go ahead with the previewed request
    CANCEL = "cancel"  # stop, change nothing
    BREAK_GLASS = "breakglass"  # go ahead now, skipping approval and any freeze, with the reason given


class SubmissionChannel(StrEnum):
    """How the submission arrived: Universal Actions invoke, or the ``Action.Submit`` fallback message."""

    EXECUTE = "execute"
    SUBMIT = "submit"


class MalformedSubmission(ValueError):
    """A card submission that is not one Switchboard could have produced. The message is safe to show."""


def new_form_id() -> str:
    """A fresh, unguessable id for one card form (kept in its owner's dialog state)."""
    return f"f-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class CardRef:
    """What a card's button identifies: the verb, the action, the form, and who the card was made for."""

    verb: Verb
    action: str
    form_id: str
    owner_id: str
    owner_name: str

    @property
    def verb_text(self) -> str:
        """The ``Action.Execute`` verb, e.g. ``submit:aks-scale-node-pool``."""
        return f"{self.verb.value}:{self.action}"

    def with_verb(self, verb: Verb) -> CardRef:
        """The same form and owner, another button."""
        return CardRef(verb, self.action, self.form_id, self.owner_id, self.owner_name)

    def data(self) -> dict[str, Any]:
        """The button's ``data`` object (inputs are merged in by the client)."""
        return {
            CARD_DATA_KEY: {
                "v": _PROTOCOL_VERSION,
                "verb": self.verb_text,
                "form": self.form_id,
                "owner": self.owner_id,
                "ownerName": self.owner_name,
            }
        }


@dataclass(frozen=True)
class CardSubmission:
    """A card button press as received: the (untrusted) reference and input values as stripped strings
    (inputs sent as ``null`` are left out, as if absent)."""

    ref: CardRef
    inputs: Mapping[str, str] = field(default_factory=dict)
    channel: SubmissionChannel = SubmissionChannel.EXECUTE


def acknowledged(submission: CardSubmission) -> bool:
    """Whether the press carries a ticked "I understand: …" box of a risky preview. Decides on the
    server; the client's required check box is a convenience that tampered data can skip."""
    return submission.inputs.get(ACKNOWLEDGE_INPUT) == ACKNOWLEDGE_VALUE


# ---------------------------------------------------------------- buttons that run a command
# A suggestion button (:mod:`cards.suggestions`) carries a whole command instead of a form:
#     {"switchboard": {"v": 1, "verb": "run", "command": "restart app web-prod"}}
# The command is only ever treated as text the presser typed; it belongs to no form and no owner.
# ``"keep": true`` marks a button on a card that stays as it is when pressed (an operation's card
# offering Status and Undo); other pressed suggestion cards become "<who> chose: <command>".

RUN_VERB = "run"
MAX_RUN_COMMAND = 500
"""Longest command a button may carry, in characters (suggestions are at most 160)."""


@dataclass(frozen=True)
class CommandPress:
    """A suggestion button pressed: the command text it carries (untrusted: parse it like typed text)."""

    command: str
    channel: SubmissionChannel = SubmissionChannel.EXECUTE
    keep: bool = False  # the pressed card stays as it is (it is not a one-off suggestion)


def run_data(command: str, *, keep: bool = False) -> dict[str, Any]:
    """The ``data`` of a button that runs ``command``; ``keep``: pressing it leaves its card as it is."""
    meta: dict[str, Any] = {"v": _PROTOCOL_VERSION, "verb": RUN_VERB, "command": command}
    if keep:
        meta["keep"] = True
    return {CARD_DATA_KEY: meta}


def read_command(activity: Any) -> CommandPress | None:
    """The command a pressed suggestion button carries, or None when the activity is no such press.

    Raises :class:`MalformedSubmission` for a run button whose command is missing, not text,
    empty or longer than :data:`MAX_RUN_COMMAND` characters.
    """
    activity_type = getattr(activity, "type", None)
    value = getattr(activity, "value", None)
    data: Any = None
    channel = SubmissionChannel.SUBMIT
    if activity_type == "invoke" and getattr(activity, "name", None) == INVOKE_NAME and isinstance(value, Mapping):
        action = value.get("action")
        if isinstance(action, Mapping) and action.get("verb") == RUN_VERB:
            data, channel = action.get("data"), SubmissionChannel.EXECUTE
    elif activity_type == "message" and isinstance(value, Mapping):
        data = value
    meta = data.get(CARD_DATA_KEY) if isinstance(data, Mapping) else None
    if not isinstance(meta, Mapping) or meta.get("verb") != RUN_VERB:
        if channel is SubmissionChannel.EXECUTE:
            raise MalformedSubmission("This button carries no command.")
        return None
    if meta.get("v") != _PROTOCOL_VERSION:
        raise MalformedSubmission("This card was not made by this version of Switchboard. Start again from chat.")
    command = meta.get("command")
    if not isinstance(command, str) or not command.strip():
        raise MalformedSubmission("This button carries no command.")
    if len(command) > MAX_RUN_COMMAND:
        raise MalformedSubmission("This button's command is too long.")
    return CommandPress(command.strip(), channel, keep=meta.get("keep") is True)


def read_submission(activity: Any) -> CardSubmission | None:
    """The Switchboard card submission an activity carries, or None when it carries none.

    Returns None for ordinary messages and for invokes that are not ``adaptiveCard/action``.
    Raises :class:`MalformedSubmission` for an ``adaptiveCard/action`` invoke, or a message
    whose ``value`` names Switchboard, that no Switchboard card could have sent.
    """
    activity_type = getattr(activity, "type", None)
    value = getattr(activity, "value", None)
    if activity_type == "invoke":
        if getattr(activity, "name", None) != INVOKE_NAME:
            return None
        if not isinstance(value, Mapping) or not isinstance(value.get("action"), Mapping):
            raise MalformedSubmission("This card action carries no action.")
        action = value["action"]
        if action.get("type") not in (None, "Action.Execute"):
            raise MalformedSubmission(f"Card actions of type {quoted(action.get('type'), 40)} are not supported.")
        verb = action.get("verb")
        data = action.get("data")
        if not isinstance(data, Mapping):
            raise MalformedSubmission("This card action carries no data.")
        submission = _parse_data(data, SubmissionChannel.EXECUTE)
        if verb != submission.ref.verb_text:
            raise MalformedSubmission("This card action's verb does not match its data.")
        return submission
    if activity_type == "message" and isinstance(value, Mapping) and CARD_DATA_KEY in value:
        return _parse_data(value, SubmissionChannel.SUBMIT)
    return None


def _parse_data(data: Mapping[str, Any], channel: SubmissionChannel) -> CardSubmission:
    meta = data.get(CARD_DATA_KEY)
    if not isinstance(meta, Mapping) or meta.get("v") != _PROTOCOL_VERSION:
        raise MalformedSubmission("This card was not made by this version of Switchboard. Start again from chat.")
    verb_text = meta.get("verb")
    if not isinstance(verb_text, str) or ":" not in verb_text:
        raise MalformedSubmission("This card action has no valid verb.")
    kind, _, action = verb_text.partition(":")
    try:
        verb = Verb(kind)
    except ValueError:
        raise MalformedSubmission(f"Unknown card verb {quoted(kind, 40)}.") from None
    if not _ACTION_NAME.match(action):
        raise MalformedSubmission("This card action names no valid action.")
    form_id = meta.get("form")
    if not isinstance(form_id, str) or not _FORM_ID.match(form_id):
        raise MalformedSubmission("This card action names no valid form.")
    owner_id = meta.get("owner")
    owner_name = meta.get("ownerName")
    if not isinstance(owner_id, str) or not isinstance(owner_name, str):
        raise MalformedSubmission("This card action names no owner.")
    inputs: dict[str, str] = {}
    for key, raw in data.items():
        if key == CARD_DATA_KEY or raw is None:  # null: an input the user left untouched (mobile clients)
            continue
        text = _input_text(str(key), raw)
        if len(text) > _MAX_INPUT_LENGTH:
            raise MalformedSubmission(f"The field {quoted(key, _SHOWN_KEY)} is too long.")
        inputs[str(key)] = text
    ref = CardRef(verb, action, form_id, owner_id[:200], owner_name[:200])
    return CardSubmission(ref=ref, inputs=inputs, channel=channel)


def _input_text(key: str, raw: Any) -> str:
    """One input's value as text: strings stripped, numbers written plainly (``5.0`` is ``5``)."""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else str(raw)
    kind = "true/false" if isinstance(raw, bool) else "a list" if isinstance(raw, list) else "an object"
    raise MalformedSubmission(
        f"The field {quoted(key, _SHOWN_KEY)} must be a single value (text or a number), not {kind}."
    )


# ---------------------------------------------------------------- approval card buttons
# An approval card (:mod:`cards.approvals`) carries the request's id and the plan hash it shows:
#     {"switchboard": {"v": 1, "verb": "vote:approve", "approval": "<request id>", "plan": "sha256:v1:…"}}
# with the card's optional ``comment`` input merged in; its refresh action has verb "approval:refresh".
# Neither says who votes: that is always the activity's sender.

VOTE_APPROVE_VERB = "vote:approve"
VOTE_REJECT_VERB = "vote:reject"
APPROVAL_REFRESH_VERB = "approval:refresh"
COMMENT_INPUT = "comment"
_APPROVAL_VERBS = frozenset({VOTE_APPROVE_VERB, VOTE_REJECT_VERB, APPROVAL_REFRESH_VERB})
_MAX_ID = 200
_MAX_COMMENT = 1000


@dataclass(frozen=True)
class ApprovalPress:
    """An approval card's button or refresh: the verb and the (untrusted) request id, plan hash and comment."""

    verb: str  # one of VOTE_APPROVE_VERB, VOTE_REJECT_VERB, APPROVAL_REFRESH_VERB
    approval_id: str
    plan_hash: str = ""
    comment: str = ""
    channel: SubmissionChannel = SubmissionChannel.EXECUTE

    @property
    def is_vote(self) -> bool:
        return self.verb != APPROVAL_REFRESH_VERB


def approval_data(verb: str, approval_id: str, plan_hash: str = "") -> dict[str, Any]:
    """The ``data`` of an approval card's button (``verb``) for one request and the plan it shows."""
    if verb not in _APPROVAL_VERBS:
        raise ValueError(f"not an approval verb: {verb!r}")
    meta: dict[str, Any] = {"v": _PROTOCOL_VERSION, "verb": verb, "approval": approval_id}
    if plan_hash:
        meta["plan"] = plan_hash
    return {CARD_DATA_KEY: meta}


def read_approval_press(activity: Any) -> ApprovalPress | None:
    """The approval card press an activity carries (an ``adaptiveCard/action`` invoke or its
    ``Action.Submit`` fallback), or None when it carries none.

    Raises :class:`MalformedSubmission` when it names an approval verb with no request id, or with
    values no approval card sends (not text, too long).
    """
    activity_type = getattr(activity, "type", None)
    value = getattr(activity, "value", None)
    data: Any = None
    channel = SubmissionChannel.SUBMIT
    if activity_type == "invoke" and getattr(activity, "name", None) == INVOKE_NAME and isinstance(value, Mapping):
        action = value.get("action")
        if isinstance(action, Mapping) and action.get("verb") in _APPROVAL_VERBS:
            data, channel = action.get("data"), SubmissionChannel.EXECUTE
    elif activity_type == "message" and isinstance(value, Mapping):
        data = value
    meta = data.get(CARD_DATA_KEY) if isinstance(data, Mapping) else None
    if not isinstance(meta, Mapping) or meta.get("verb") not in _APPROVAL_VERBS:
        return None
    if meta.get("v") != _PROTOCOL_VERSION:
        raise MalformedSubmission("This card was not made by this version of Switchboard. Use the latest card.")
    approval_id, plan, comment = meta.get("approval"), meta.get("plan", ""), data.get(COMMENT_INPUT) or ""
    if not isinstance(approval_id, str) or not approval_id.strip() or len(approval_id) > _MAX_ID:
        raise MalformedSubmission("This approval card names no request.")
    if not isinstance(plan, str) or len(plan) > _MAX_ID:
        raise MalformedSubmission("This approval card's plan is not readable.")
    if not isinstance(comment, str) or len(comment) > _MAX_COMMENT:
        raise MalformedSubmission(f"A comment is at most {_MAX_COMMENT} characters; shorten it and vote again.")
    return ApprovalPress(str(meta["verb"]), approval_id.strip(), plan.strip(), comment.strip(), channel)
