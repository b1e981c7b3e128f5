"""Sealed items: one application's answers, readable only with the town hall's X25519 key.

A sealed item is ``magic line || length-prefixed JSON header || HPKE enc || HPKE ciphertext``. The
header carries the routing data (form, kiosk, receipt reference, time, recipient key id) in clear
text so the town hall can route and deduplicate before opening anything; the whole prefix up to the
HPKE output is the HPKE ``info``, so changing one header byte makes the item impossible to open.
The answers are compressed JSON inside the ciphertext and never touch the kiosk's disk unsealed.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from sync.envelope import fields as f
from sync.envelope.failures import (
    KIND_ANSWERS,
    KIND_ITEM,
    MALFORMED,
    TAMPERED,
    TOO_LARGE,
    WRONG_RECIPIENT,
    envelope_error,
)
from sync.envelope.keyids import key_id
from sync.envelope.limits import MAX_ANSWERS_BYTES, MAX_ITEM_BYTES, MAX_ITEM_HEADER_BYTES
from sync.envelope.wire import (
    check_size,
    decode_json,
    encode_json,
    length_prefixed,
    magic_line,
    read_header,
)

ITEM_LABEL = "item"
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
ENC_SIZE = 32
TAG_SIZE = 16
_HEADER_KEYS = frozenset(
    {
        "captured_at",
        "form_hash",
        "form_id",
        "form_version",
        "kiosk_id",
        "recipient_key_id",
        "reference",
    }
)


@dataclass(frozen=True)
class ItemMeta:
    """What the town hall may read without opening an item: which form, from where, which receipt."""

    form_id: str
    form_version: str
    form_hash: str
    kiosk_id: str
    reference: str
    captured_at: str  # YYYY-MM-DDTHH:MM:SSZ


@dataclass(frozen=True)
class _ParsedItem:
    meta: ItemMeta
    recipient_key_id: str
    info: bytes
    hpke_output: bytes


def _read_meta(header: Any) -> tuple[ItemMeta, str]:
    fields = f.Fields(header, KIND_ITEM, _HEADER_KEYS)
    meta = ItemMeta(
        form_id=fields.text("form_id", f.FORM_ID),
        form_version=fields.text("form_version", f.FORM_VERSION),
        form_hash=fields.text("form_hash", f.FORM_HASH),
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        reference=fields.text("reference", f.REFERENCE),
        captured_at=fields.timestamp("captured_at"),
    )
    return meta, fields.text("recipient_key_id", f.KEY_ID)


def _encode_answers(answers: Mapping[str, Any]) -> bytes:
    if not isinstance(answers, Mapping) or not all(isinstance(k, str) for k in answers):
        raise envelope_error(MALFORMED, KIND_ANSWERS, detail="answers must map text keys to values")
    try:
        return encode_json(dict(answers))
    except (TypeError, ValueError) as exc:
        # The exception text may quote an answer; only its type goes to the log.
        raise envelope_error(
            MALFORMED, KIND_ANSWERS, detail=f"answers are not plain JSON data ({type(exc).__name__})"
        ) from None


def _decode_answers(compressed: bytes) -> dict[str, Any]:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, MAX_ANSWERS_BYTES + 1)
    except zlib.error:
        raise envelope_error(MALFORMED, KIND_ANSWERS, detail="not zlib data") from None
    if len(raw) > MAX_ANSWERS_BYTES:
        raise envelope_error(TOO_LARGE, KIND_ANSWERS, detail="inflated")
    if not inflater.eof or inflater.unused_data:
        raise envelope_error(MALFORMED, KIND_ANSWERS, detail="zlib stream incomplete or followed by data")
    answers = decode_json(raw, KIND_ANSWERS)
    if not isinstance(answers, dict):
        raise envelope_error(MALFORMED, KIND_ANSWERS, detail="answers are not a JSON object")
    return answers


def _parse(sealed: bytes) -> _ParsedItem:
    check_size(sealed, MAX_ITEM_BYTES, KIND_ITEM)
    sealed = bytes(sealed)
    header = read_header(sealed, ITEM_LABEL, KIND_ITEM, limit=MAX_ITEM_HEADER_BYTES)
    meta, recipient = _read_meta(header.fields)
    hpke_output = sealed[header.end :]
    if len(hpke_output) < ENC_SIZE + TAG_SIZE:
        raise envelope_error(MALFORMED, KIND_ITEM, detail="HPKE output cut off")
    return _ParsedItem(meta, recipient, sealed[: header.end], hpke_output)


def seal_item(meta: ItemMeta, answers: Mapping[str, Any], recipient: X25519PublicKey) -> bytes:
    """Seal one application for the town hall's encryption key; the result is safe to store."""
    header = {**asdict(meta), "recipient_key_id": key_id(recipient)}
    _read_meta(header)  # the same checks a reader makes, so we never produce an unreadable item
    info = magic_line(ITEM_LABEL) + length_prefixed(encode_json(header))
    plaintext = zlib.compress(_encode_answers(answers), 9)
    sealed = info + SUITE.encrypt(plaintext, recipient, info=info)
    if len(sealed) > MAX_ITEM_BYTES:
        raise envelope_error(
            TOO_LARGE, KIND_ITEM, detail=f"{len(sealed)} bytes sealed"
        )
    return sealed


def parse_item(sealed: bytes) -> _ParsedItem:
    """Meta and recipient key id in one reading (for checking many items); the seal is not checked."""
    return _parse(sealed)


def read_item_meta(sealed: bytes) -> ItemMeta:
    """The clear-text routing data; checks the format, not the seal."""
    return _parse(sealed).meta


def item_recipient_key_id(sealed: bytes) -> str:
    """Which encryption key the item was sealed for."""
    return _parse(sealed).recipient_key_id


def open_item(sealed: bytes, private_key: X25519PrivateKey) -> tuple[ItemMeta, dict[str, Any]]:
    """Decrypt an item with the town hall's private key; the meta is returned only if authentic."""
    item = _parse(sealed)
    own_key_id = key_id(private_key.public_key())
    if own_key_id != item.recipient_key_id:
        raise envelope_error(
            WRONG_RECIPIENT, KIND_ITEM, expected=item.recipient_key_id, found=own_key_id
        )
    try:
        compressed = SUITE.decrypt(item.hpke_output, private_key, info=item.info)
    except InvalidTag:
        raise envelope_error(TAMPERED, KIND_ITEM, detail="HPKE open failed") from None
    return item.meta, _decode_answers(compressed)


def item_digest(sealed: bytes) -> str:
    """Lower-case hex SHA-256 of the sealed bytes: the item's name in batches and acknowledgements."""
    return hashlib.sha256(bytes(sealed)).hexdigest()
