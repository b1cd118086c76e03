"""Table Storage adapters: bot state, conversation references, the delivery ledger, and the shared table provider.

Build one :class:`TableProvider` per process from ``Settings.storage`` and hand it to the stores::

    tables = TableProvider.from_settings(settings.storage)
    bot_storage = TableBotStorage(tables)                  # botbuilder Storage for ConversationState/UserState
    references = ConversationReferenceStore(tables)
    deliveries = DeliveryLedger(tables)                    # activity receipts, confirmation decisions
    ...
    await tables.close()

Every failure surfaces as a :class:`StorageError` subclass (bad input as ``ValueError``).
"""

from storage.bot_state import TableBotStorage
from storage.codec import StateCodec, TypeRegistry
from storage.conversation_references import ConversationReferenceStore, StoredConversationReference
from storage.deliveries import DeliveryLedger, FormDecision
from storage.errors import (
    ConcurrencyConflictError,
    SerializationError,
    StorageError,
    StorageUnavailableError,
    ValueTooLargeError,
)
from storage.tables import TableClientOptions, TableProvider, http_env_settings_present

__all__ = [
    "ConcurrencyConflictError",
    "ConversationReferenceStore",
    "DeliveryLedger",
    "FormDecision",
    "SerializationError",
    "StateCodec",
    "StorageError",
    "StorageUnavailableError",
    "StoredConversationReference",
    "TableBotStorage",
    "TableClientOptions",
    "TableProvider",
    "TypeRegistry",
    "ValueTooLargeError",
    "http_env_settings_present",
]
