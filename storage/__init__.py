"""Table Storage adapters: bot state, conversation references, and the shared table provider.

Build one :class:`TableProvider` per process from ``Settings.storage`` and hand it to the stores::

    tables = TableProvider.from_settings(settings.storage)
    bot_storage = TableBotStorage(tables)                  # botbuilder Storage for ConversationState/UserState
    references = ConversationReferenceStore(tables)
    ...
    await tables.close()

Every failure surfaces as a :class:`StorageError` subclass (bad input as ``ValueError``).
"""

from storage.bot_state import TableBotStorage
from storage.codec import StateCodec, TypeRegistry
from storage.conversation_references import ConversationReferenceStore, StoredConversationReference
from storage.errors import (
    AlreadyExistsError,
    ConcurrencyConflictError,
    SerializationError,
    StorageError,
    StorageUnavailableError,
    ValueTooLargeError,
)
from storage.tables import TableClientOptions, TableProvider, http_env_settings_present

__all__ = [
    "AlreadyExistsError",
    "ConcurrencyConflictError",
    "ConversationReferenceStore",
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
