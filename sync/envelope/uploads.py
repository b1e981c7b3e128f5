"""The upload ticket: a kiosk's signed request to send one batch to the town hall in chunks.

A batch can take longer on a rural link than the link stays up, so it goes up in pieces
(docs/transport-http.md). Before the first piece the kiosk names, in a small signed file, which
batch it will send: its id, the SHA-256 of its exact bytes and their length. The town hall checks
the signature against the enrolled kiosk's key before it keeps a single byte for the upload, and
at the end accepts only bytes whose digest is the one the kiosk signed, so a stranger can neither
open an upload nor finish one with other bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.i18n import N_
from sync.envelope import fields as f
from sync.envelope.failures import MALFORMED, STALE, envelope_error
from sync.envelope.limits import MAX_BATCH_BYTES
from sync.envelope.wire import SignedFrame, check_signature, read_signed_frame, sign_frame

TICKET_LABEL = "upload"
KIND_UPLOAD_TICKET = N_("The upload ticket")
KIND_UPLOAD_CHUNK = N_("The part of the upload")
MAX_TICKET_BYTES = 4 * 1024
TICKET_MAX_AGE_SECONDS = 600
"""As for status requests: a ticket overheard on the way cannot be used much later."""

_HEADER_KEYS = frozenset({"batch_digest", "batch_id", "created_at", "kiosk_id", "length"})


@dataclass(frozen=True)
class UploadTicket:
    kiosk_id: str
    batch_id: str
    batch_digest: str
    length: int
    created_at: str


def _check(header: object) -> UploadTicket:
    fields = f.Fields(header, KIND_UPLOAD_TICKET, _HEADER_KEYS)
    return UploadTicket(
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        batch_id=fields.text("batch_id", f.BATCH_ID),
        batch_digest=fields.text("batch_digest", f.DIGEST),
        length=fields.integer("length", minimum=1, maximum=MAX_BATCH_BYTES),
        created_at=fields.timestamp("created_at"),
    )


def _read(data: bytes) -> SignedFrame:
    frame = read_signed_frame(
        data, TICKET_LABEL, KIND_UPLOAD_TICKET, limit=MAX_TICKET_BYTES, header_limit=MAX_TICKET_BYTES
    )
    if frame.body:
        raise envelope_error(MALFORMED, KIND_UPLOAD_TICKET, detail="bytes between header and signature")
    return frame


def build_upload_ticket(
    *,
    kiosk_id: str,
    batch_id: str,
    batch_digest: str,
    length: int,
    signing_key: Ed25519PrivateKey,
    created_at: str | None = None,
) -> bytes:
    """The kiosk's signed "I will now send batch ``batch_id``: ``length`` bytes with this digest"."""
    header = {
        "batch_digest": batch_digest,
        "batch_id": batch_id,
        "created_at": created_at if created_at is not None else f.utc_timestamp(),
        "kiosk_id": kiosk_id,
        "length": length,
    }
    _check(header)
    return sign_frame(TICKET_LABEL, header, b"", signing_key)


def parse_upload_ticket(data: bytes) -> UploadTicket:
    """Who is asking, without checking the signature: to look up that kiosk's key."""
    return _check(_read(data).header.fields)


def verify_upload_ticket(
    data: bytes,
    kiosk_public_key: Ed25519PublicKey,
    *,
    max_age_seconds: int = TICKET_MAX_AGE_SECONDS,
    now: dt.datetime | None = None,
) -> UploadTicket:
    """Signature, then freshness: ``created_at`` within ``max_age_seconds`` of now, either way."""
    frame = _read(data)
    check_signature(frame, kiosk_public_key, KIND_UPLOAD_TICKET)
    ticket = _check(frame.header.fields)
    moment = now or dt.datetime.now(dt.timezone.utc)
    age = abs((moment - f.parse_timestamp(ticket.created_at)).total_seconds())
    if age > max_age_seconds:
        raise envelope_error(
            STALE,
            KIND_UPLOAD_TICKET,
            created_at=ticket.created_at,
            detail=f"{age:.0f} s from now, allowed {max_age_seconds} s",
        )
    return ticket
