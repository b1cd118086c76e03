"""Table Storage adapters: bot state, references, the delivery ledger, the guardrails' stores, the table provider.

Build one :class:`TableProvider` per process from ``Settings.storage`` and hand it to the stores::

    tables = TableProvider.from_settings(settings.storage)
    bot_storage = TableBotStorage(tables)                  # botbuilder Storage for ConversationState/UserState
    references = ConversationReferenceStore(tables)
    deliveries = DeliveryLedger(tables)                    # activity receipts, confirmation decisions
    ...
    await tables.close()

Every failure surfaces as a :class:`StorageError` subclass (bad input as ``ValueError``); the
guardrail stores (``TableGrantStore`` … ``PolicySnapshotReader``, docs/guardrail-storage.md) raise
the errors of :mod:`guardrails.ports` instead, as their ports declare.
"""

from storage.approvals import ApprovalUpdate, TableApprovalStore
from storage.approver_rules import TableApproverRuleStore
from storage.audit import TableAuditStore
from storage.bot_state import TableBotStorage
from storage.codec import StateCodec, TypeRegistry
from storage.conversation_references import ConversationReferenceStore, StoredConversationReference
from storage.deliveries import DeliveryLedger, FormDecision
from storage.errors import (
    AlreadyExistsError,
    ConcurrencyConflictError,
    SerializationError,
    StorageError,
    StorageUnavailableError,
    ValueTooLargeError,
)
from storage.freezes import TableFreezeStore
from storage.grants import TableGrantStore
from storage.groups import TableGroupStore
from storage.leases import Lease, LeaseResult, TableLeaseStore
from storage.operations import StoredOperation, TableOperationStore
from storage.policy_snapshot import PolicySnapshotReader, SnapshotRead
from storage.queues import OperationQueue
from storage.rate_counters import TableRateCounter
from storage.tables import TableClientOptions, TableProvider, http_env_settings_present

__all__ = [
    "AlreadyExistsError",
    "ApprovalUpdate",
    "ConcurrencyConflictError",
    "ConversationReferenceStore",
    "DeliveryLedger",
    "FormDecision",
    "Lease",
    "LeaseResult",
    "OperationQueue",
    "PolicySnapshotReader",
    "SerializationError",
    "SnapshotRead",
    "StateCodec",
    "StorageError",
    "StorageUnavailableError",
    "StoredConversationReference",
    "StoredOperation",
    "TableApprovalStore",
    "TableApproverRuleStore",
    "TableAuditStore",
    "TableBotStorage",
    "TableClientOptions",
    "TableFreezeStore",
    "TableGrantStore",
    "TableGroupStore",
    "TableLeaseStore",
    "TableOperationStore",
    "TableProvider",
    "TableRateCounter",
    "TypeRegistry",
    "ValueTooLargeError",
    "http_env_settings_present",
]
