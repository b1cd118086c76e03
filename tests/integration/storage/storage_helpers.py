"""Shared helpers of the storage tests (importable as ``storage_helpers`` from this folder)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from botbuilder.core import Storage, StoreItem

from storage import TableClientOptions

# Fail fast in tests: no retries, short timeouts (production defaults retry a few times).
FAST = TableClientOptions(retry_total=0, retry_backoff_factor=0.0, connection_timeout=2.0, read_timeout=10.0)

# tools/azurite.py carries a one-character typo in the well-known Azurite key ("FPTCtr" instead of
# "FPTOtr"), so shared-key requests signed with it are refused (403). Until that is fixed there,
# the storage tests correct the key they use; once it is fixed this is a no-op.
TYPO_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTCtr/KBHBeksoGMGw=="
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class SimpleStoreItem(StoreItem):
    """A StoreItem subclass like the SDK's own storage tests use."""

    def __init__(self, counter: int = 1, e_tag: str | None = "*") -> None:
        super().__init__()
        self.counter = counter
        self.e_tag = e_tag


@dataclass
class StorageUnderTest:
    """A Storage implementation and what its failures look like."""

    kind: str
    storage: Storage
    conflict_error: type[BaseException]
    # MemoryStorage raises a bare Exception for an empty etag; TableBotStorage raises ValueError.
    empty_etag_error: type[BaseException] = field(default=Exception)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
