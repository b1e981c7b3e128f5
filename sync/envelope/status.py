"""Status updates from the town hall to a kiosk, and the kiosk's signed request for them.

A status bundle is signed by the town hall and names the kiosk it is for, so a kiosk never shows a
status that another kiosk's receipt holder should see. Every update carries the town hall's serial
number; a kiosk asks for "everything after serial N" and applies an update only if its serial is
higher than the one it holds for that reference, so an old bundle replayed later changes nothing.
Bundles are signed, not encrypted: messages are shown to whoever types the receipt code at the
kiosk, so they hold no more than the receipt holder may read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.envelope import fields as f
from sync.envelope.failures import (
    KIND_STATUS_BUNDLE,
    KIND_STATUS_REQUEST,
    MALFORMED,
    STALE,
    TOO_LARGE,
    WRONG_KIOSK,
    envelope_error,
)
from sync.envelope.limits import (
    MAX_STATUS_BUNDLE_BYTES,
    MAX_STATUS_MESSAGE_CHARS,
    MAX_STATUS_REQUEST_BYTES,
    MAX_STATUS_UPDATES,
)
from sync.envelope.wire import SignedFrame, check_signature, read_signed_frame, sign_frame

STATUS_LABEL = "status"
STATUS_REQUEST_LABEL = "status-request"
STATUSES: tuple[str, ...] = (
    "received",
    "in_progress",
    "accepted",
    "rejected",
    "appointment_confirmed",
    "needs_information",
)
DEFAULT_MAX_AGE_SECONDS = 600
_BUNDLE_KEYS = frozenset({"created_at", "kiosk_id", "updates"})
_UPDATE_KEYS = frozenset({"message", "reference", "serial", "status", "updated_at"})
_REQUEST_KEYS = frozenset({"created_at", "kiosk_id", "since_serial"})


@dataclass(frozen=True)
class StatusUpdate:
    reference: str
    status: str
    message: str
    updated_at: str
    serial: int


@dataclass(frozen=True)
class StatusRequest:
    kiosk_id: str
    since_serial: int
    created_at: str


def check_update(value: object, position: int) -> StatusUpdate:
    """One update object (also an entry of the download channel ``status``)."""
    fields = f.Fields(value, KIND_STATUS_BUNDLE, _UPDATE_KEYS, where=f"update {position}")
    return StatusUpdate(
        reference=fields.text("reference", f.REFERENCE),
        status=fields.choice("status", STATUSES),
        message=fields.free_text("message", MAX_STATUS_MESSAGE_CHARS),
        updated_at=fields.timestamp("updated_at"),
        serial=fields.integer("serial", minimum=1),
    )


def _check_bundle(header: object) -> tuple[str, list[StatusUpdate]]:
    fields = f.Fields(header, KIND_STATUS_BUNDLE, _BUNDLE_KEYS)
    kiosk_id = fields.text("kiosk_id", f.KIOSK_ID)
    fields.timestamp("created_at")
    entries = fields.objects("updates", maximum=MAX_STATUS_UPDATES)
    return kiosk_id, [check_update(entry, i) for i, entry in enumerate(entries)]


def _read(data: bytes, label: str, kind: str, limit: int) -> SignedFrame:
    frame = read_signed_frame(data, label, kind, limit=limit, header_limit=limit)
    if frame.body:
        raise envelope_error(MALFORMED, kind, detail="bytes between header and signature")
    return frame


def build_status_bundle(
    updates: Iterable[StatusUpdate],
    *,
    kiosk_id: str,
    signing_key: Ed25519PrivateKey,
    created_at: str | None = None,
) -> bytes:
    """Sign the status updates for one kiosk (at most ``MAX_STATUS_UPDATES`` per bundle)."""
    header = {
        "created_at": created_at if created_at is not None else f.utc_timestamp(),
        "kiosk_id": kiosk_id,
        "updates": [asdict(update) for update in updates],
    }
    if len(header["updates"]) > MAX_STATUS_UPDATES:
        raise envelope_error(TOO_LARGE, KIND_STATUS_BUNDLE, detail=f"{len(header['updates'])} updates")
    _check_bundle(header)
    data = sign_frame(STATUS_LABEL, header, b"", signing_key)
    if len(data) > MAX_STATUS_BUNDLE_BYTES:
        raise envelope_error(TOO_LARGE, KIND_STATUS_BUNDLE, detail=f"{len(data)} bytes")
    return data


def verify_status_bundle(
    data: bytes, townhall_signing_key: Ed25519PublicKey, *, kiosk_id: str
) -> list[StatusUpdate]:
    """The updates, if the town hall signed them for this kiosk."""
    frame = _read(data, STATUS_LABEL, KIND_STATUS_BUNDLE, MAX_STATUS_BUNDLE_BYTES)
    check_signature(frame, townhall_signing_key, KIND_STATUS_BUNDLE)
    bundle_kiosk, updates = _check_bundle(frame.header.fields)
    if bundle_kiosk != kiosk_id:
        raise envelope_error(WRONG_KIOSK, KIND_STATUS_BUNDLE, found=bundle_kiosk, expected=kiosk_id)
    return updates


def _check_request(header: object) -> StatusRequest:
    fields = f.Fields(header, KIND_STATUS_REQUEST, _REQUEST_KEYS)
    return StatusRequest(
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        since_serial=fields.integer("since_serial", minimum=0),
        created_at=fields.timestamp("created_at"),
    )


def build_status_request(
    *,
    kiosk_id: str,
    since_serial: int,
    signing_key: Ed25519PrivateKey,
    created_at: str | None = None,
) -> bytes:
    """A kiosk's signed "send me every update after ``since_serial``"."""
    header = {
        "created_at": created_at if created_at is not None else f.utc_timestamp(),
        "kiosk_id": kiosk_id,
        "since_serial": since_serial,
    }
    _check_request(header)
    return sign_frame(STATUS_REQUEST_LABEL, header, b"", signing_key)


def parse_status_request(data: bytes) -> StatusRequest:
    """Who is asking, without checking the signature: to look up that kiosk's key."""
    frame = _read(data, STATUS_REQUEST_LABEL, KIND_STATUS_REQUEST, MAX_STATUS_REQUEST_BYTES)
    return _check_request(frame.header.fields)


def verify_status_request(
    data: bytes,
    kiosk_public_key: Ed25519PublicKey,
    *,
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
    now: dt.datetime | None = None,
) -> StatusRequest:
    """Signature, then freshness: ``created_at`` within ``max_age_seconds`` of now, either way."""
    frame = _read(data, STATUS_REQUEST_LABEL, KIND_STATUS_REQUEST, MAX_STATUS_REQUEST_BYTES)
    check_signature(frame, kiosk_public_key, KIND_STATUS_REQUEST)
    request = _check_request(frame.header.fields)
    moment = now or dt.datetime.now(dt.timezone.utc)
    age = abs((moment - f.parse_timestamp(request.created_at)).total_seconds())
    if age > max_age_seconds:
        raise envelope_error(
            STALE,
            KIND_STATUS_REQUEST,
            created_at=request.created_at,
            detail=f"{age:.0f} s from now, allowed {max_age_seconds} s",
        )
    return request
