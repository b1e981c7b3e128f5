"""Enrolment requests: a kiosk's public signing key, signed by itself, carried to the town hall.

The file is JSON so a person can carry and inspect it: ``{"format", "payload", "signature"}`` where
``payload`` is base64 of a JSON object and ``signature`` is base64 of the kiosk's Ed25519 signature
over ``"rathaus-enrolment/1\\n" || payload bytes``. Signing the decoded payload bytes, not the JSON
around them, means nobody ever has to re-encode JSON to check it. The self-signature proves the
kiosk holds the private key; the town-hall key ids inside let the town hall refuse a kiosk that
pinned someone else's keys.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.envelope import fields as f
from sync.envelope.failures import (
    BAD_SIGNATURE,
    KIND_ENROLMENT,
    UNSUPPORTED_VERSION,
    envelope_error,
)
from sync.envelope.keyids import decode_ed25519_public, encode_public_key, fingerprint
from sync.envelope.limits import MAX_ENROLMENT_BYTES
from sync.envelope.wire import check_size, decode_json, encode_json, magic_line

ENROLMENT_LABEL = "enrolment"
ENROLMENT_FORMAT = "rathaus-enrolment/1"
MAX_MUNICIPALITY_CHARS = 200
_OUTER_KEYS = frozenset({"format", "payload", "signature"})
_PAYLOAD_KEYS = frozenset(
    {
        "created_at",
        "kiosk_id",
        "municipality",
        "signing_public_key",
        "townhall_encryption_key_id",
        "townhall_signing_key_id",
    }
)


@dataclass(frozen=True)
class EnrolmentRequest:
    """A kiosk asking to be trusted; ``raw`` is the file's bytes."""

    kiosk_id: str
    public_key: Ed25519PublicKey
    created_at: str
    municipality: str
    townhall_signing_key_id: str
    townhall_encryption_key_id: str
    raw: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def _signed_message(payload: bytes) -> bytes:
    return magic_line(ENROLMENT_LABEL) + payload


def _b64(fields: f.Fields, key: str) -> bytes:
    value = fields.value[key]
    try:
        if not isinstance(value, str):
            raise ValueError
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise fields.fail(f"{key!r} is not base64") from None


def _check_payload(value: object, raw: bytes) -> EnrolmentRequest:
    fields = f.Fields(value, KIND_ENROLMENT, _PAYLOAD_KEYS, where="payload")
    try:
        public_key = decode_ed25519_public(fields.value["signing_public_key"])
    except ValueError:
        raise fields.fail("'signing_public_key' is not an Ed25519 key") from None
    return EnrolmentRequest(
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        public_key=public_key,
        created_at=fields.timestamp("created_at"),
        municipality=fields.free_text("municipality", MAX_MUNICIPALITY_CHARS),
        townhall_signing_key_id=fields.text("townhall_signing_key_id", f.KEY_ID),
        townhall_encryption_key_id=fields.text("townhall_encryption_key_id", f.KEY_ID),
        raw=raw,
    )


def build_enrolment_request(
    *,
    kiosk_id: str,
    signing_key: Ed25519PrivateKey,
    municipality: str,
    townhall_signing_key_id: str,
    townhall_encryption_key_id: str,
    created_at: str | None = None,
) -> bytes:
    """The file a kiosk's installer carries to the town hall."""
    payload_fields = {
        "created_at": created_at if created_at is not None else f.utc_timestamp(),
        "kiosk_id": kiosk_id,
        "municipality": municipality,
        "signing_public_key": encode_public_key(signing_key.public_key()),
        "townhall_encryption_key_id": townhall_encryption_key_id,
        "townhall_signing_key_id": townhall_signing_key_id,
    }
    _check_payload(payload_fields, b"")
    payload = encode_json(payload_fields)
    document = {
        "format": ENROLMENT_FORMAT,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signature": base64.b64encode(signing_key.sign(_signed_message(payload))).decode("ascii"),
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")


def read_enrolment_request(data: bytes) -> EnrolmentRequest:
    """Parse the file and check the kiosk's self-signature."""
    check_size(data, MAX_ENROLMENT_BYTES, KIND_ENROLMENT)
    data = bytes(data)
    document = decode_json(data, KIND_ENROLMENT)
    # The version is read before the key set: another version may well have other keys.
    label = document.get("format") if isinstance(document, dict) else None
    if isinstance(label, str) and label.startswith("rathaus-enrolment/") and label != ENROLMENT_FORMAT:
        tail = label.rsplit("/", 1)[1]
        version = tail if tail.isascii() and tail.isdigit() and len(tail) <= 4 else "?"
        raise envelope_error(UNSUPPORTED_VERSION, KIND_ENROLMENT, version=version)
    outer = f.Fields(document, KIND_ENROLMENT, _OUTER_KEYS)
    if outer.value["format"] != ENROLMENT_FORMAT:
        raise outer.fail("'format' is not rathaus-enrolment/1")
    payload = _b64(outer, "payload")
    signature = _b64(outer, "signature")
    request = _check_payload(decode_json(payload, KIND_ENROLMENT), data)
    try:
        request.public_key.verify(signature, _signed_message(payload))
    except InvalidSignature:
        raise envelope_error(BAD_SIGNATURE, KIND_ENROLMENT, detail="self-signature") from None
    return request
