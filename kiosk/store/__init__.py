"""The kiosk's local queue (SQLite): sealed submissions, batches, status answers, sync times.

No personal data is stored in plain text: only sealed bytes and metadata (reference, service,
times, states). See ``docs/architecture.md`` (Queue).
"""

from kiosk.store.outbox import DB_NAME, STATUS_CHANNEL, AuditNote, BuildBatch, Seal, Store, digest_of, open_store
from kiosk.store.records import (
    ChannelState,
    OutboxState,
    PendingBatch,
    PinFailures,
    QueuedSubmission,
    ReceiptRecord,
    SettledBatch,
    StatusRecord,
    StatusView,
    utc_timestamp,
)

__all__ = [
    "DB_NAME",
    "STATUS_CHANNEL",
    "AuditNote",
    "BuildBatch",
    "ChannelState",
    "OutboxState",
    "PendingBatch",
    "PinFailures",
    "QueuedSubmission",
    "ReceiptRecord",
    "Seal",
    "SettledBatch",
    "StatusRecord",
    "StatusView",
    "Store",
    "digest_of",
    "open_store",
    "utc_timestamp",
]
