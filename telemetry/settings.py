"""The telemetry section of the settings: where logs and traces go, and how much is logged.

Read by the composition root into :class:`TelemetrySettings` (``Settings.telemetry``) and handed
to :func:`telemetry.configure_telemetry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from appsettings import SettingSpec

__all__ = ["LOG_LEVELS", "TELEMETRY_SETTINGS", "TelemetryConfig", "TelemetrySettings"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

TELEMETRY_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name='APPLICATIONINSIGHTS_CONNECTION_STRING',
        description=(
            'Application Insights connection string. When set, logs, traces and audit events go to Azure '
            'Monitor; otherwise readable console logs.'
        ),
        required='in Azure',
        example='InstrumentationKey=...;IngestionEndpoint=...',
        secret=True,
    ),
    SettingSpec(
        name='SWITCHBOARD_LOG_LEVEL',
        description=(
            'Console and exporter log level: DEBUG, INFO, WARNING or ERROR. '
            'Message text is logged only at DEBUG.'
        ),
        required='no (INFO)',
        example='INFO',
    ),
)


class TelemetryConfig(Protocol):
    """What :func:`telemetry.configure_telemetry` reads: :class:`TelemetrySettings`, or any object with these."""

    @property
    def appinsights_connection_string(self) -> str | None: ...

    @property
    def log_level(self) -> str: ...


@dataclass(frozen=True)
class TelemetrySettings:
    """Azure Monitor when ``appinsights_connection_string`` is set, console logs otherwise; at ``log_level``."""

    appinsights_connection_string: str | None = field(default=None, repr=False)
    log_level: str = "INFO"

    @classmethod
    def read(cls, env: Mapping[str, str], problems: list[str]) -> TelemetrySettings:
        """The section from ``env``; each malformed setting adds a line to ``problems``."""
        log_level = (env.get("SWITCHBOARD_LOG_LEVEL", "").strip() or "INFO").upper()
        if log_level not in LOG_LEVELS:
            problems.append(f"SWITCHBOARD_LOG_LEVEL: expected one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
        appinsights = env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip() or None
        if appinsights and "InstrumentationKey=" not in appinsights:
            problems.append(
                "APPLICATIONINSIGHTS_CONNECTION_STRING: expected an Application Insights connection string "
                "(InstrumentationKey=...;IngestionEndpoint=...)"
            )
        return cls(appinsights_connection_string=appinsights, log_level=log_level)
