"""The ARM section of the settings: where the actions reach Azure Resource Manager, and what they may touch.

Read by the composition root into :class:`ArmSettings` (``Settings.arm``), and alone by tools that
need nothing else (``python -m actions``). An :class:`~actions.context.ActionContext` is built
from this section only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from appsettings import GUID, SettingSpec, raise_problems

__all__ = ["ARM_SETTINGS", "ArmSettings"]

_RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")
_SANDBOX_URL = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}/?$")

ARM_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name='SWITCHBOARD_ARM_SANDBOX_URL',
        description=(
            'Loopback URL of the local ARM sandbox (`http://127.0.0.1:PORT`). Set: actions run against '
            'the sandbox with its static test credential. Empty: real Azure '
            '(`https://management.azure.com`) with `DefaultAzureCredential` (managed identity in Azure).'
        ),
        required='no (real Azure)',
        example='http://127.0.0.1:8710',
        unset_in_azure='the sandbox is a local tool; start-up refuses it in Azure',
    ),
    SettingSpec(
        name='SWITCHBOARD_SUBSCRIPTIONS',
        description=(
            'Comma-separated Azure subscription ids the actions may operate in. '
            'Empty: actions refuse every resource.'
        ),
        required='to run actions',
        example='11111111-1111-1111-1111-111111111111,22222222-2222-2222-2222-222222222222',
    ),
    SettingSpec(
        name='SWITCHBOARD_RESOURCE_GROUPS',
        description=(
            'Comma-separated resource group names the actions may operate in (case-insensitive, in any '
            'configured subscription). Empty: every resource group of the configured subscriptions.'
        ),
        required='no (all groups)',
        example='rg-dev,rg-prod',
    ),
    SettingSpec(
        name='SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS',
        description=(
            'Time budget of one discovery call (listing clusters, pools, VMs, apps to choose from). When '
            'Azure is slower, the user sees what is known and a note that the list may be incomplete. 0.1'
            ' to 30.'
        ),
        required='no (3)',
        example='3',
    ),
)


@dataclass(frozen=True)
class ArmSettings:
    """Where the platform actions reach Azure Resource Manager, and what they may touch.

    ``sandbox_url`` set: the local ARM sandbox on loopback, with its static test credential.
    Empty: real Azure (``https://management.azure.com``) with ``DefaultAzureCredential``.
    """

    sandbox_url: str | None = None
    subscriptions: tuple[str, ...] = ()  # lowercase subscription ids in scope, in configured order
    resource_groups: frozenset[str] = frozenset()  # lowercase names; empty = every group of those subscriptions
    discovery_timeout_seconds: float = 3.0

    @property
    def uses_sandbox(self) -> bool:
        return self.sandbox_url is not None

    @property
    def endpoint(self) -> str:
        """The ARM base URL the SDK clients talk to."""
        return self.sandbox_url.rstrip("/") if self.sandbox_url else "https://management.azure.com"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ArmSettings:
        """Only the ARM settings (for tools such as ``python -m actions``); raises ``SettingsError``."""
        problems: list[str] = []
        arm = cls.read(env, problems)
        raise_problems(problems)
        return arm

    @classmethod
    def read(cls, env: Mapping[str, str], problems: list[str]) -> ArmSettings:
        """The section from ``env``; each malformed setting adds a line to ``problems``."""
        sandbox_url = env.get("SWITCHBOARD_ARM_SANDBOX_URL", "").strip() or None
        if sandbox_url and not _SANDBOX_URL.match(sandbox_url):
            problems.append(
                "SWITCHBOARD_ARM_SANDBOX_URL: expected a loopback http URL such as http://127.0.0.1:8710 "
                "(the sandbox's static credential never leaves this machine), or empty for real Azure"
            )
        subscriptions: list[str] = []
        for raw in env.get("SWITCHBOARD_SUBSCRIPTIONS", "").split(","):
            sub = raw.strip().lower()
            if not sub:
                continue
            if not GUID.match(sub):
                problems.append(f"SWITCHBOARD_SUBSCRIPTIONS: {sub!r} is not a subscription id (expected a GUID)")
            elif sub not in subscriptions:
                subscriptions.append(sub)
        groups = frozenset(
            g.strip().lower() for g in env.get("SWITCHBOARD_RESOURCE_GROUPS", "").split(",") if g.strip()
        )
        for group in sorted(groups):
            if not _RESOURCE_GROUP.match(group):
                problems.append(f"SWITCHBOARD_RESOURCE_GROUPS: {group!r} is not a resource group name")
        timeout_raw = env.get("SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS", "").strip() or "3"
        timeout = 3.0
        try:
            timeout = float(timeout_raw)
        except ValueError:
            problems.append(
                f"SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS: expected a number of seconds, got {timeout_raw!r}"
            )
        else:
            if not 0.1 <= timeout <= 30:
                problems.append(
                    f"SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS: expected 0.1 to 30 seconds, got {timeout_raw}"
                )
        return cls(
            sandbox_url=sandbox_url,
            subscriptions=tuple(subscriptions),
            resource_groups=groups,
            discovery_timeout_seconds=timeout,
        )
