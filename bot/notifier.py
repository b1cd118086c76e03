"""``TeamsNotifier``: the :class:`requesting.Notifier` port on the Bot Framework, for messages sent outside a turn.

Each notice is one proactive turn: the adapter's ``continue_conversation`` with the bot's app id
(``MicrosoftAppId``; empty, i.e. anonymous, in local runs) and the stored, serialized
``ConversationReference``:

- :meth:`TeamsNotifier.send` posts a new message to the reference's conversation. A channel
  reference's conversation id names the thread the user asked in (``…;messageid=…``), so the
  message is a reply in that thread; a personal chat's is the chat;
- :meth:`TeamsNotifier.update` replaces the message ``activity_id`` (``update_activity``: a card
  updated in place);
- :meth:`TeamsNotifier.send_to_user` finds the user's personal chat in the conversation-reference
  store (by Entra object id) and sends there.

Teams' limits (docs/notifications.md): the calls of this process to one conversation run one at a
time in arrival order and paced below Teams' rates (:class:`~bot.conversation_pacing.ConversationPacer`);
``429``, ``412``, ``502``, ``503`` and ``504`` are retried (tenacity) after the answer's
``Retry-After``, else with exponential backoff and jitter, within :class:`NoticePolicy`'s bounds
(the connector pipeline's own in-turn retries are switched off for these calls).

Failures are receipts, never exceptions: ``403`` (the bot is not in the conversation, or it is
blocked) and ``404`` (the conversation is gone) give :attr:`~requesting.NoticeStatus.GONE`, and the
dead conversation reference is pruned when the answer says the bot was removed
(``BotNotInConversationRoster``) or the conversation does not exist; anything else gives
:attr:`~requesting.NoticeStatus.FAILED` after the retries. The receipt's ``reason`` (status, Teams
code, log reference) is what a caller that knows the operation appends to the audit trail; the
optional ``on_undelivered`` hook sees every undelivered notice too. Message text is logged at
DEBUG only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from botbuilder.core import CardFactory, CloudAdapterBase, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationReference, ResourceResponse
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from bot.connector_errors import BotNotInConversation, ConnectorError, ConversationNotFound
from bot.connector_pipeline import answers_not_retried
from bot.conversation_pacing import NOTICE_WINDOWS, ConversationPacer, RateWindow, conversation_key
from requesting import Notice, NoticeReceipt, NoticeStatus

__all__ = ["NoticePolicy", "NoticeReferences", "TeamsNotifier", "UndeliveredNotice"]

_log = logging.getLogger("switchboard.notifier")

RETRIED_STATUSES = frozenset({412, 429, 502, 503, 504})
NOT_FOUND_CODES = frozenset({"ConversationNotFound"})


@dataclass(frozen=True)
class NoticePolicy:
    """How patiently a notice is delivered.

    ``max_attempts``: calls per notice, the first included. ``initial_backoff``, ``max_backoff``,
    ``jitter`` (seconds): the exponential backoff without ``Retry-After`` (``initial * 2**n`` plus
    up to ``jitter``, at most ``max_backoff``). ``max_total_wait`` (seconds): the most one notice
    sleeps across its retries; a ``Retry-After`` that would pass it ends the retries (FAILED).
    ``deadline`` (seconds): the most one notice takes once its conversation's turn has come,
    calls included. ``windows``: the per-conversation rate windows.
    """

    max_attempts: int = 6
    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    jitter: float = 1.0
    max_total_wait: float = 60.0
    deadline: float = 120.0
    windows: tuple[RateWindow, ...] = NOTICE_WINDOWS

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("a notice needs at least one attempt")
        if min(self.initial_backoff, self.max_backoff, self.jitter, self.max_total_wait) < 0 or self.deadline <= 0:
            raise ValueError("notice waits must not be negative and the deadline must be positive")


@dataclass(frozen=True)
class UndeliveredNotice:
    """What the ``on_undelivered`` hook is told: never the notice's text.

    ``kind``: ``send``, ``update`` or ``send_to_user``; ``status``: GONE or FAILED;
    ``conversation_id`` (``None`` when no conversation was found); ``reason``: as in the receipt;
    ``pruned``: the conversation reference was deleted.
    """

    kind: str
    status: NoticeStatus
    conversation_id: str | None
    reason: str
    pruned: bool = False


class NoticeReferences(Protocol):
    """The conversation references the notifier reads and prunes (``storage.ConversationReferenceStore``)."""

    async def personal_chat(self, aad_object_id: str) -> _StoredReference | None: ...

    async def delete(self, conversation_id: str) -> None: ...


class _StoredReference(Protocol):
    @property
    def reference(self) -> ConversationReference: ...


class _Attempt:
    """What one proactive turn produced: the connector's answer, or the error it raised."""

    __slots__ = ("error", "response")

    def __init__(self) -> None:
        self.response: ResourceResponse | None = None
        self.error: Exception | None = None


class TeamsNotifier:
    """The :class:`requesting.Notifier` of the Teams edge (see the module's docstring).

    :param adapter: the process's Bot Framework adapter (``bot.adapter.build_adapter``).
    :param references: the conversation-reference store (lookups by user, pruning).
    :param app_id: the bot's app id (``MicrosoftAppId``); ``""`` for local anonymous runs.
    :param policy: retries, waits and rate windows.
    :param clock: monotonic seconds, for the rate windows; ``sleep``: awaits seconds (backoff and
        pacing). Tests pass a fake clock whose sleep advances it.
    :param on_undelivered: awaited with an :class:`UndeliveredNotice` for every notice not
        delivered; its errors are logged and ignored.
    """

    def __init__(
        self,
        adapter: CloudAdapterBase,
        references: NoticeReferences,
        *,
        app_id: str = "",
        policy: NoticePolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_undelivered: Callable[[UndeliveredNotice], Awaitable[None]] | None = None,
    ) -> None:
        self._adapter = adapter
        self._references = references
        self._app_id = app_id
        self._policy = policy or NoticePolicy()
        self._sleep = sleep
        self._pacer = ConversationPacer(self._policy.windows, clock=clock, sleep=sleep)
        self._on_undelivered = on_undelivered
        self._backoff = wait_exponential_jitter(
            initial=self._policy.initial_backoff, max=self._policy.max_backoff, jitter=self._policy.jitter
        )

    # ------------------------------------------------------------------ the port
    async def send(self, conversation: Mapping[str, Any], notice: Notice) -> NoticeReceipt:
        """Post ``notice`` as a new message in ``conversation`` (a serialized ``ConversationReference``)."""
        return await self._deliver("send", conversation, notice, None)

    async def update(self, conversation: Mapping[str, Any], activity_id: str, notice: Notice) -> NoticeReceipt:
        """Replace the message ``activity_id`` in ``conversation`` with ``notice`` (the card updated in place)."""
        if not activity_id:
            return await self._undelivered("update", NoticeStatus.FAILED, None, "no activity id to update")
        return await self._deliver("update", conversation, notice, activity_id)

    async def send_to_user(self, user_key: str, notice: Notice) -> NoticeReceipt:
        """Post ``notice`` in the personal chat of ``user_key`` (Entra object id); GONE without one."""
        try:
            stored = await self._references.personal_chat(user_key)
        except Exception as error:  # storage down: the notice is not delivered, the caller carries on
            reason = f"conversation references unreadable ({type(error).__name__})"
            return await self._undelivered("send_to_user", NoticeStatus.FAILED, None, reason)
        if stored is None:
            return await self._undelivered("send_to_user", NoticeStatus.GONE, None, "no personal chat with the user")
        return await self._deliver("send_to_user", stored.reference.serialize(), notice, None)

    # ------------------------------------------------------------------ delivery
    async def _deliver(
        self, kind: str, conversation: Mapping[str, Any], notice: Notice, activity_id: str | None
    ) -> NoticeReceipt:
        try:
            reference = ConversationReference.deserialize(dict(conversation))
        except Exception:  # msrest raises several types for bad shapes
            reference = None
        conversation_id = getattr(getattr(reference, "conversation", None), "id", None)
        if reference is None or not conversation_id or not reference.service_url:
            return await self._undelivered(kind, NoticeStatus.FAILED, None, "malformed conversation reference")
        _log.debug("notice (%s) to a %s conversation: %r", kind, _type_of(reference), notice.text)
        try:
            async with self._pacer.one_at_a_time(conversation_id):
                async with asyncio.timeout(self._policy.deadline):
                    response = await self._with_retries(reference, notice, activity_id)
        except ConnectorError as error:
            return await self._connector_refused(kind, reference, conversation_id, activity_id, error)
        except TimeoutError:
            return await self._undelivered(
                kind, NoticeStatus.FAILED, conversation_id, f"not delivered within {self._policy.deadline:g} s"
            )
        except Exception as error:  # never raise for a delivery failure (connection refused, token errors …)
            return await self._undelivered(
                kind, NoticeStatus.FAILED, conversation_id, f"delivery failed ({type(error).__name__})"
            )
        delivered_id = (response.id if response is not None and response.id else None) or activity_id
        return NoticeReceipt(NoticeStatus.DELIVERED, activity_id=delivered_id, conversation=dict(conversation))

    async def _with_retries(
        self, reference: ConversationReference, notice: Notice, activity_id: str | None
    ) -> ResourceResponse | None:
        policy = self._policy
        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=self._wait,
            stop=stop_after_attempt(policy.max_attempts) | self._waited_enough,
            sleep=self._sleep,
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self._pacer.pace(reference.conversation.id)
                return await self._call(reference, notice, activity_id)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _call(
        self, reference: ConversationReference, notice: Notice, activity_id: str | None
    ) -> ResourceResponse | None:
        """One proactive turn making one connector call; its error is raised here, not in the turn pipeline."""
        attempt = _Attempt()

        async def logic(context: TurnContext) -> None:
            activity = TurnContext.apply_conversation_reference(_activity(notice), reference)
            activity.reply_to_id = None  # a new message in the conversation (or the thread its id names)
            try:
                if activity_id is None:
                    [attempt.response] = await context.adapter.send_activities(context, [activity])
                else:
                    activity.id = activity_id
                    attempt.response = await context.adapter.update_activity(context, activity)
            except Exception as error:  # handed to the retry policy outside the turn
                attempt.error = error

        with answers_not_retried():
            await self._adapter.continue_conversation(reference, logic, bot_app_id=self._app_id)
        if attempt.error is not None:
            raise attempt.error
        return attempt.response

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after >= 0:
            return float(retry_after)
        return float(self._backoff(state))

    def _waited_enough(self, state: RetryCallState) -> bool:
        return state.idle_for + state.upcoming_sleep > self._policy.max_total_wait

    # ------------------------------------------------------------------ failures
    async def _connector_refused(
        self,
        kind: str,
        reference: ConversationReference,
        conversation_id: str,
        activity_id: str | None,
        error: ConnectorError,
    ) -> NoticeReceipt:
        reason = f"{error.status}{' ' + error.code if error.code else ''} (ref {error.correlation_id})"
        if error.status not in (403, 404):
            return await self._undelivered(kind, NoticeStatus.FAILED, conversation_id, reason)
        # 403 BotNotInConversationRoster: the app was removed; 404 ConversationNotFound (or any 404 to a
        # new message): the conversation is gone. A 404 to an update may only mean that one message was
        # deleted, and other 403s (blocked by the user, disabled by an admin) may be undone: kept.
        dead = isinstance(error, BotNotInConversation) or (
            isinstance(error, ConversationNotFound) and (activity_id is None or error.code in NOT_FOUND_CODES)
        )
        pruned = await self._prune(conversation_id) if dead else False
        return await self._undelivered(kind, NoticeStatus.GONE, conversation_id, reason, pruned=pruned)

    async def _prune(self, conversation_id: str) -> bool:
        """Delete the conversation's references (the thread's and its channel's); False if storage failed."""
        ids = dict.fromkeys([conversation_id, conversation_key(conversation_id)])
        try:
            for stale in ids:
                await self._references.delete(stale)
        except Exception as error:
            _log.warning("could not prune a dead conversation reference (%s)", type(error).__name__)
            return False
        return True

    async def _undelivered(
        self,
        kind: str,
        status: NoticeStatus,
        conversation_id: str | None,
        reason: str,
        *,
        pruned: bool = False,
    ) -> NoticeReceipt:
        level = logging.INFO if status is NoticeStatus.GONE else logging.WARNING
        _log.log(level, "notice (%s) %s: %s%s", kind, status.value, reason, "; reference pruned" if pruned else "")
        if self._on_undelivered is not None:
            try:
                await self._on_undelivered(UndeliveredNotice(kind, status, conversation_id, reason, pruned))
            except Exception as error:
                _log.warning("the undelivered-notice hook failed (%s)", type(error).__name__)
        return NoticeReceipt(status, reason=reason)


def _transient(error: BaseException) -> bool:
    return isinstance(error, ConnectorError) and error.status in RETRIED_STATUSES


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    _log.info(
        "notice call answered %s; retry %d in %.1f s",
        getattr(error, "status", type(error).__name__),
        state.attempt_number,
        state.upcoming_sleep,
    )


def _activity(notice: Notice) -> Activity:
    attachments = [CardFactory.adaptive_card(dict(notice.card))] if notice.card is not None else None
    return Activity(type=ActivityTypes.message, text=notice.text, attachments=attachments)


def _type_of(reference: ConversationReference) -> str:
    return getattr(reference.conversation, "conversation_type", None) or "personal"

