"""The Switchboard of one host process, composed lazily on the first request.

Hosts (``function_app.py``, the dev host) hold one :class:`SwitchboardRuntime` and hand it
:class:`~bot.edge_types.EdgeRequest` s. Composition happens once, on first use, from the
environment (:meth:`app.settings.Settings.from_env`): a settings error is logged once with its
full message and every request is answered 503 with a short JSON body, instead of a crash loop
nobody can read. Importing this module is cheap: the settings sections, botbuilder and the Azure SDKs load on
first request.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from appsettings import SettingsError
from bot.edge_types import EdgeRequest, EdgeResponse
from operations.messages import OPERATIONS_POISON_QUEUE, OPERATIONS_QUEUE  # re-exported for function_app.py

if TYPE_CHECKING:
    from app.composition import Switchboard

__all__ = [
    "OPERATIONS_POISON_QUEUE", "OPERATIONS_QUEUE", "SWEEPER_SCHEDULE", "NotConfiguredError", "SwitchboardRuntime",
]

SWEEPER_SCHEDULE = "0 */1 * * * *"
"""The sweeper's NCRONTAB schedule: every minute, at second 0."""

_log = logging.getLogger("switchboard.runtime")


class NotConfiguredError(RuntimeError):
    """The settings are invalid; the process cannot serve until they are fixed and it restarts."""


class SwitchboardRuntime:
    """Lazily composes and then serves one :class:`~app.composition.Switchboard`.

    :param env: the settings source; default ``os.environ`` (read at first request).
    :param freeze_after_compose: move every object alive after composing (the imported SDKs, the
        composed graph) out of the garbage collector's reach (``gc.freeze()``). A full collection
        then scans only what turns allocate: ~1 ms instead of ~50 ms of CPU on the event loop,
        which one request in a few hundred would otherwise pay. For the process's one runtime
        (``function_app``); tests, which compose many, leave it off.
    :param warm_sdks: import the Azure management SDKs in a worker thread
        (:func:`actions.clients.import_sdks`) once started (:meth:`start`) or once the first
        message is answered, then freeze again when ``freeze_after_compose``:
        the first action of each family then costs no import on the event loop (170-300 ms of
        CPU each otherwise). :meth:`warmed` waits for it. For the process's one runtime.
    :param build_options: passed to :func:`app.composition.build_switchboard` (tests use
        ``credentials_factory`` and ``table_options``).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        freeze_after_compose: bool = False,
        warm_sdks: bool = False,
        **build_options: Any,
    ) -> None:
        self._env = env
        self._freeze_after_compose = freeze_after_compose
        self._warm_sdks = warm_sdks
        self._warming: asyncio.Future[None] | None = None
        self._build_options = build_options
        self._switchboard: Switchboard | None = None
        self._settings_error: SettingsError | None = None
        self._lock: asyncio.Lock | None = None

    async def switchboard(self) -> Switchboard:
        """The composed Switchboard; raises :class:`NotConfiguredError` when the settings are invalid."""
        if self._switchboard is not None:
            return self._switchboard
        if self._settings_error is not None:
            raise NotConfiguredError(str(self._settings_error))
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._switchboard is None and self._settings_error is None:
                self._switchboard = self._compose()
        if self._switchboard is None:
            raise NotConfiguredError(str(self._settings_error))
        return self._switchboard

    async def start(self) -> Switchboard:
        """Compose now (hosts with a start-up phase call this): raises the :class:`SettingsError`
        that names every missing or malformed setting, so start-up stops with that message."""
        try:
            switchboard = await self.switchboard()
        except NotConfiguredError:
            assert self._settings_error is not None
            raise self._settings_error from None
        self._start_warming()  # a host with a start-up phase: nothing is being answered yet
        return switchboard

    def _compose(self) -> Switchboard | None:
        env = os.environ if self._env is None else self._env
        from app.settings import Settings  # the packages' sections: loads storage, telemetry, actions

        try:
            settings = Settings.from_env(env)
        except SettingsError as error:
            self._settings_error = error
            _log.error("%s", error)
            return None
        from app.composition import build_switchboard  # heavy: botbuilder, Azure SDKs

        switchboard = build_switchboard(settings, **self._build_options)
        if self._freeze_after_compose:
            gc.freeze()
        return switchboard

    def _start_warming(self) -> None:
        if self._warm_sdks and self._warming is None and self._switchboard is not None:
            self._warming = asyncio.get_running_loop().run_in_executor(None, self._warm)

    def _warm(self) -> None:
        from actions.clients import import_sdks

        try:
            import_sdks()
        except Exception:  # the actions then import them on first use, as without warming
            _log.warning("could not import the Azure management SDKs ahead of use", exc_info=True)
        if self._freeze_after_compose:
            gc.freeze()

    async def warmed(self) -> None:
        """Wait until the SDK warm-up started at composition has ended (at once when there is none)."""
        if self._warming is not None:
            await self._warming

    async def messages(self, request: EdgeRequest) -> EdgeResponse:
        """``/api/messages``: the HTTP edge of the composed bot, or 503 when not configured."""
        try:
            switchboard = await self.switchboard()
        except NotConfiguredError:
            return _not_configured()
        except Exception:
            return _start_failed()
        try:
            return await switchboard.messages.handle(request)
        finally:
            self._start_warming()  # after the first answer: a cold start's first turn never competes with it

    async def health(self, request: EdgeRequest) -> EdgeResponse:
        """``/api/health``: 200 ``{"status": "ok"}`` once composed, 503 when the settings are invalid."""
        if request.method not in ("GET", "HEAD"):
            return EdgeResponse.error(405, "MethodNotAllowed", "Use GET.")
        try:
            switchboard = await self.switchboard()
        except NotConfiguredError:
            return EdgeResponse.json(503, {"status": "misconfigured"})
        except Exception:
            return _start_failed()
        authentication = "on" if switchboard.settings.authentication_enabled else "off"
        return EdgeResponse.json(200, {"status": "ok", "authentication": authentication})

    async def run_operation(self, body: bytes) -> None:
        """One message of the operations queue: one step of one operation. Raises when the step could
        not be taken (storage unreachable, settings invalid): the host retries the message."""
        switchboard = await self.switchboard()
        await switchboard.execution.worker.handle(body)

    async def operation_poisoned(self, body: bytes) -> None:
        """A message of the poison queue: its operation is marked failed and the requester told."""
        switchboard = await self.switchboard()
        await switchboard.execution.worker.poisoned(body)

    async def sweep(self) -> None:
        """One run of the sweeper (approvals, operations, leases, the delivery ledger)."""
        switchboard = await self.switchboard()
        await switchboard.execution.sweeper.sweep()

    async def close(self) -> None:
        """Close the composed Switchboard, if any; a later request composes a new one."""
        switchboard, self._switchboard = self._switchboard, None
        if switchboard is not None:
            await switchboard.close()


def _start_failed() -> EdgeResponse:
    reference = uuid.uuid4().hex[:12]
    _log.exception("Switchboard could not be composed (ref %s)", reference)
    return EdgeResponse.error(500, "StartFailed", "Switchboard could not start.", correlationId=reference)


def _not_configured() -> EdgeResponse:
    return EdgeResponse.error(
        503, "NotConfigured", "Switchboard is not configured correctly; the host's log names the settings to fix."
    )
