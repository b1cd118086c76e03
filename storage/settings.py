"""The storage section of the settings: where Switchboard keeps its tables and queues.

Read by the composition root into :class:`StorageSettings` (``Settings.storage``) and handed to
:meth:`storage.TableProvider.from_settings`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from appsettings import GUID, SettingSpec

__all__ = ["STORAGE_SETTINGS", "StorageSettings"]

_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d+)?$")

STORAGE_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name='SwitchboardStorage',
        description="Storage connection string for Switchboard's tables and queues (Azurite locally).",
        required='one of the two',
        example='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;...',
        secret=True,
        unset_in_azure='identity-based access instead (SwitchboardStorage__accountName): the account refuses keys',
    ),
    SettingSpec(
        name='SwitchboardStorage__accountName',
        description=(
            'Storage account name for identity-based access (managed identity in Azure; needs Storage '
            'Table/Queue Data Contributor).'
        ),
        required='one of the two',
        example='stswitchboardprod',
    ),
    SettingSpec(
        name='SwitchboardStorage__queueServiceUri',
        description=(
            "Queue service URI of the account of SwitchboardStorage__accountName, where the operations queue "
            "lives: Switchboard sends to it, and the Functions host's queue triggers (connection "
            "SwitchboardStorage, with SwitchboardStorage__credential and __clientId) read it with the identity."
        ),
        required='no (https://<accountName>.queue.core.windows.net)',
        example='https://stswitchboardprod.queue.core.windows.net',
    ),
    SettingSpec(
        name='SwitchboardStorage__clientId',
        description='Client id of a user-assigned managed identity used for storage; empty for system-assigned.',
        required='no',
        example='a1b2c3d4-0000-0000-0000-000000000000',
    ),
    SettingSpec(
        name='SwitchboardStorage__timeoutSeconds',
        description=(
            'Time budget of one storage call, retries included, in seconds (0.5 to 60). A storage account '
            "that does not answer makes the user wait this long for the \"can't reach my storage\" message; "
            'Teams gives a turn 10 to 15 seconds.'
        ),
        required='no (5)',
        example='5',
    ),
    SettingSpec(
        name='SwitchboardStorage__connectTimeoutSeconds',
        description=(
            'Time to set up one connection to storage, in seconds (0.1 to 60; never more than what is '
            "left of the call's budget)."
        ),
        required='no (2)',
        example='2',
    ),
    SettingSpec(
        name='SwitchboardStorage__readTimeoutSeconds',
        description=(
            "Time one storage request waits for the service's answer, in seconds (0.1 to 60; never "
            "more than what is left of the call's budget)."
        ),
        required='no (4)',
        example='4',
    ),
)


@dataclass(frozen=True)
class StorageSettings:
    """Where Switchboard keeps its tables and queues.

    Either ``connection_string`` (Azurite locally, or an account key: not recommended in Azure)
    or ``account_name`` (identity-based: ``DefaultAzureCredential``, managed identity in Azure).
    """

    connection_string: str | None = field(default=None, repr=False)
    account_name: str | None = None
    client_id: str | None = None  # user-assigned managed identity client id, if any
    queue_service_uri: str | None = None  # identity-based: the queue endpoint, when not the account's default
    connect_timeout_seconds: float = 2.0  # one attempt's connection set-up
    read_timeout_seconds: float = 4.0  # one attempt's wait for the answer
    timeout_seconds: float = 5.0  # one storage call, every attempt and pause included

    @property
    def table_endpoint(self) -> str | None:
        return f"https://{self.account_name}.table.core.windows.net" if self.account_name else None

    @property
    def queue_endpoint(self) -> str | None:
        """Identity-based: the queue service URI (``SwitchboardStorage__queueServiceUri``, else the account's)."""
        if not self.account_name:
            return None
        return self.queue_service_uri or f"https://{self.account_name}.queue.core.windows.net"

    @property
    def uses_identity(self) -> bool:
        return self.connection_string is None

    @classmethod
    def read(cls, env: Mapping[str, str], problems: list[str]) -> StorageSettings:
        """The section from ``env``; each missing or malformed setting adds a line to ``problems``."""
        connection_string = env.get("SwitchboardStorage", "").strip() or None
        account_name = env.get("SwitchboardStorage__accountName", "").strip() or None
        client_id = env.get("SwitchboardStorage__clientId", "").strip() or None
        queue_service_uri = env.get("SwitchboardStorage__queueServiceUri", "").strip().rstrip("/") or None
        if connection_string and account_name:
            problems.append(
                "SwitchboardStorage: set either a connection string or SwitchboardStorage__accountName, not both"
            )
        elif not connection_string and not account_name:
            problems.append(
                "SwitchboardStorage: required; a storage connection string (Azurite locally) "
                "or SwitchboardStorage__accountName for managed identity"
            )
        if connection_string and not _looks_like_connection_string(connection_string):
            problems.append(
                "SwitchboardStorage: expected a storage connection string "
                "(AccountName=...;AccountKey=...;TableEndpoint=... or DefaultEndpointsProtocol=...)"
            )
        if account_name and not _ACCOUNT_NAME.match(account_name):
            problems.append("SwitchboardStorage__accountName: expected 3-24 lowercase letters and digits")
        if queue_service_uri and not account_name:
            problems.append(
                "SwitchboardStorage__queueServiceUri: only with SwitchboardStorage__accountName "
                "(a connection string names its own queue endpoint)"
            )
        elif queue_service_uri and not _HTTPS_URL.match(queue_service_uri):
            problems.append("SwitchboardStorage__queueServiceUri: expected an https URL such as "
                            "https://stswitchboardprod.queue.core.windows.net")
        if client_id and not GUID.match(client_id):
            problems.append("SwitchboardStorage__clientId: expected a GUID (a managed identity's client id)")
        defaults = cls()
        return cls(
            connection_string=connection_string,
            account_name=account_name,
            client_id=client_id,
            queue_service_uri=queue_service_uri,
            connect_timeout_seconds=_seconds(
                env, "SwitchboardStorage__connectTimeoutSeconds", defaults.connect_timeout_seconds, 0.1, 60, problems
            ),
            read_timeout_seconds=_seconds(
                env, "SwitchboardStorage__readTimeoutSeconds", defaults.read_timeout_seconds, 0.1, 60, problems
            ),
            timeout_seconds=_seconds(
                env, "SwitchboardStorage__timeoutSeconds", defaults.timeout_seconds, 0.5, 60, problems
            ),
        )


def _seconds(
    env: Mapping[str, str], name: str, default: float, low: float, high: float, problems: list[str]
) -> float:
    """The setting ``name`` as a number of seconds in [low, high]; ``default`` when empty."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name}: expected a number of seconds, got {raw!r}")
        return default
    if not low <= value <= high:  # also refuses nan
        problems.append(f"{name}: expected {low:g} to {high:g} seconds, got {raw}")
        return default
    return value


def _looks_like_connection_string(value: str) -> bool:
    keys = {part.split("=", 1)[0].strip().lower() for part in value.split(";") if "=" in part}
    return "accountname" in keys or "tableendpoint" in keys or "usedevelopmentstorage" in keys
