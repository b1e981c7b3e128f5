"""The wire formats between kiosks and the town hall (specified in docs/envelope.md).

Pure functions over bytes and keys, no files and no network: sealed items (HPKE to the town hall's
encryption key, signed by the kiosk that made them), batches signed by a kiosk (Ed25519),
acknowledgements and status bundles signed by the town hall, a kiosk's signed status request, and
the enrolment request a kiosk carries to the town hall. Items of format 2 name their HPKE suite
(``suites``) and their compression (``compression``). Every rejection is a ``kiosk.errors.EnvelopeError`` with one of ``ERROR_CODES``.
"""

from __future__ import annotations

from sync.envelope.acks import Ack, build_ack, verify_ack
from sync.envelope.batches import Batch, BatchHeader, build_batch, parse_batch, verify_batch
from sync.envelope.enrolment import (
    EnrolmentRequest,
    build_enrolment_request,
    read_enrolment_request,
)
from sync.envelope.failures import ERROR_CODES
from sync.envelope.fields import is_kiosk_id, parse_timestamp, utc_timestamp
from sync.envelope.items import (
    ItemHeader,
    ItemMeta,
    item_digest,
    item_recipient_key_id,
    open_item,
    read_item_header,
    read_item_meta,
    seal_item,
    verify_item_signature,
)
from sync.envelope.keyids import fingerprint, key_id
from sync.envelope.limits import (
    MAX_BATCH_BYTES,
    MAX_ITEM_BYTES,
    MAX_ITEMS_PER_BATCH,
    MAX_STATUS_MESSAGE_CHARS,
    MAX_STATUS_UPDATES,
)
from sync.envelope.status import (
    STATUSES,
    StatusRequest,
    StatusUpdate,
    build_status_bundle,
    build_status_request,
    parse_status_request,
    verify_status_bundle,
    verify_status_request,
)

__all__ = [
    "Ack",
    "Batch",
    "BatchHeader",
    "ERROR_CODES",
    "EnrolmentRequest",
    "ItemHeader",
    "ItemMeta",
    "MAX_BATCH_BYTES",
    "MAX_ITEMS_PER_BATCH",
    "MAX_ITEM_BYTES",
    "MAX_STATUS_MESSAGE_CHARS",
    "MAX_STATUS_UPDATES",
    "STATUSES",
    "StatusRequest",
    "StatusUpdate",
    "build_ack",
    "build_batch",
    "build_enrolment_request",
    "build_status_bundle",
    "build_status_request",
    "fingerprint",
    "is_kiosk_id",
    "item_digest",
    "item_recipient_key_id",
    "key_id",
    "open_item",
    "parse_batch",
    "parse_status_request",
    "parse_timestamp",
    "read_enrolment_request",
    "read_item_header",
    "read_item_meta",
    "seal_item",
    "utc_timestamp",
    "verify_ack",
    "verify_batch",
    "verify_item_signature",
    "verify_status_bundle",
    "verify_status_request",
]
