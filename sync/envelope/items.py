"""Sealed items: one application's answers, readable only with the town hall's private key.

Format 2 (``rathaus-item/2``, what kiosks write) is ``magic line || length-prefixed JSON header ||
HPKE enc || HPKE ciphertext || Ed25519 signature``. The header carries the routing data (form,
kiosk, receipt code, time, recipient key id) in clear text so the town hall can route and
deduplicate before opening anything, plus the HPKE suite, the compression and the id of the kiosk
key that signs. The whole prefix up to the HPKE output is the HPKE ``info``, so changing one header
byte makes the item impossible to open; the kiosk's signature over every byte before it lets staff
check at opening that an enrolled kiosk made the item (HPKE Base mode alone cannot: anyone with the
town hall's public key can seal). Format 1 (``rathaus-item/1``: X25519, zlib, no signature) stays
readable. The answers are compressed JSON inside the ciphertext and never touch the kiosk's disk
unsealed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.envelope import compression
from sync.envelope import fields as f
from sync.envelope.failures import (
    BAD_SIGNATURE,
    KIND_ANSWERS,
    KIND_ITEM,
    MALFORMED,
    TAMPERED,
    TOO_LARGE,
    UNSUPPORTED_ALGORITHM,
    WRONG_RECIPIENT,
    envelope_error,
)
from sync.envelope.keyids import key_id
from sync.envelope.limits import MAX_ANSWERS_BYTES, MAX_ITEM_BYTES, MAX_ITEM_HEADER_BYTES
from sync.envelope.suites import (
    ENC_SIZES,
    SUITE_X25519,
    SUITES,
    RecipientPrivateKey,
    RecipientPublicKey,
    hpke_open,
    hpke_seal,
    suite_of,
)
from sync.envelope.wire import (
    SIGNATURE_SIZE,
    check_size,
    decode_json,
    encode_json,
    length_prefixed,
    magic_line,
    read_header,
)

ITEM_LABEL = "item"
ITEM_VERSIONS = (1, 2)
SIGNED_VERSION = 2
TAG_SIZE = 16
_HEADER_KEYS_V1 = frozenset(
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
_HEADER_KEYS_V2 = _HEADER_KEYS_V1 | {"compression", "kiosk_key_id", "suite"}


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
class ItemHeader:
    """Everything in an item's clear header; ``kiosk_key_id`` is ``None`` for unsigned format 1."""

    version: int
    meta: ItemMeta
    recipient_key_id: str
    suite: str
    compression: str
    kiosk_key_id: str | None

    @property
    def signed(self) -> bool:
        return self.version >= SIGNED_VERSION


@dataclass(frozen=True)
class _ParsedItem:
    header: ItemHeader
    info: bytes
    hpke_output: bytes
    signed_part: bytes
    signature: bytes

    @property
    def meta(self) -> ItemMeta:
        return self.header.meta

    @property
    def recipient_key_id(self) -> str:
        return self.header.recipient_key_id


_METHOD_NAME = re.compile(r"[A-Za-z0-9._+-]{1,40}")


def _printable(value: object) -> str:
    """A method name from the header, fit for a terminal message, or ``?``."""
    return value if isinstance(value, str) and _METHOD_NAME.fullmatch(value) else "?"


def _read_header(header: Any, version: int) -> ItemHeader:
    keys = _HEADER_KEYS_V2 if version >= SIGNED_VERSION else _HEADER_KEYS_V1
    fields = f.Fields(header, KIND_ITEM, keys)
    if version >= SIGNED_VERSION:
        # An unknown method is named before anything else is read: "update the software".
        suite, codec = fields.value["suite"], fields.value["compression"]
        if suite not in SUITES:
            raise envelope_error(UNSUPPORTED_ALGORITHM, KIND_ITEM, name=_printable(suite), detail="suite")
        if not compression.is_known(codec):
            raise envelope_error(
                UNSUPPORTED_ALGORITHM, KIND_ITEM, name=_printable(codec), detail="compression"
            )
        # Format 2 names the exact receipt code and the one spelling of form_hash (docs/envelope.md).
        form_hash = fields.text("form_hash", f.FORM_HASH)
        reference = fields.receipt_code("reference")
        kiosk_key_id: str | None = fields.text("kiosk_key_id", f.KEY_ID)
    else:
        form_hash = fields.text("form_hash", f.FORM_HASH_V1)
        reference = fields.text("reference", f.REFERENCE)
        suite, codec, kiosk_key_id = SUITE_X25519, compression.ZLIB, None
    meta = ItemMeta(
        form_id=fields.text("form_id", f.FORM_ID),
        form_version=fields.text("form_version", f.FORM_VERSION),
        form_hash=form_hash,
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        reference=reference,
        captured_at=fields.timestamp("captured_at"),
    )
    return ItemHeader(
        version=version,
        meta=meta,
        recipient_key_id=fields.text("recipient_key_id", f.KEY_ID),
        suite=str(suite),
        compression=str(codec),
        kiosk_key_id=kiosk_key_id,
    )


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


def _decode_answers(codec: str, compressed: bytes) -> dict[str, Any]:
    try:
        raw = compression.decompress(codec, compressed, MAX_ANSWERS_BYTES)
    except compression.CompressionError as exc:
        code = TOO_LARGE if exc.too_large else MALFORMED
        raise envelope_error(code, KIND_ANSWERS, detail=str(exc)) from None
    answers = decode_json(raw, KIND_ANSWERS)
    if not isinstance(answers, dict):
        raise envelope_error(MALFORMED, KIND_ANSWERS, detail="answers are not a JSON object")
    return answers


def _parse(sealed: bytes) -> _ParsedItem:
    check_size(sealed, MAX_ITEM_BYTES, KIND_ITEM)
    sealed = bytes(sealed)
    raw = read_header(
        sealed, ITEM_LABEL, KIND_ITEM, limit=MAX_ITEM_HEADER_BYTES, versions=ITEM_VERSIONS
    )
    header = _read_header(raw.fields, raw.version)
    end = len(sealed) - SIGNATURE_SIZE if header.signed else len(sealed)
    hpke_output = sealed[raw.end : end]
    if len(hpke_output) < ENC_SIZES[header.suite] + TAG_SIZE:
        raise envelope_error(MALFORMED, KIND_ITEM, detail="HPKE output cut off")
    return _ParsedItem(header, sealed[: raw.end], hpke_output, sealed[:end], sealed[end:])


def seal_item(
    meta: ItemMeta,
    answers: Mapping[str, Any],
    recipient: RecipientPublicKey,
    signing_key: Ed25519PrivateKey | None = None,
    *,
    codec: str | None = None,
) -> bytes:
    """Seal one application for the town hall's encryption key; the result is safe to store.

    Kiosks pass their ``signing_key`` and get format 2, sealed with the suite of ``recipient``
    (X25519 or the hybrid key) and compressed with ``codec`` (default: the shipped dictionary).
    Without a signing key the result is an unsigned format-1 item (X25519 and zlib only), which
    the inbox marks as made before item signatures: only for tests and for re-creating old items.
    """
    suite = suite_of(recipient)
    if signing_key is None:
        if suite != SUITE_X25519 or codec not in (None, compression.ZLIB):
            raise ValueError("format-1 items are X25519 and zlib only; pass the kiosk's signing key")
        header: dict[str, Any] = {**asdict(meta), "recipient_key_id": key_id(recipient)}
        version, codec = 1, compression.ZLIB
    else:
        codec = codec or compression.default_codec()
        header = {
            **asdict(meta),
            "compression": codec,
            "kiosk_key_id": key_id(signing_key.public_key()),
            "recipient_key_id": key_id(recipient),
            "suite": suite,
        }
        version = SIGNED_VERSION
    _read_header(header, version)  # the same checks a reader makes: we never write an unreadable item
    info = magic_line(ITEM_LABEL, version) + length_prefixed(encode_json(header))
    plaintext = compression.compress(codec, _encode_answers(answers))
    sealed = info + hpke_seal(suite, plaintext, recipient, info)
    if signing_key is not None:
        sealed += signing_key.sign(sealed)
    if len(sealed) > MAX_ITEM_BYTES:
        raise envelope_error(TOO_LARGE, KIND_ITEM, detail=f"{len(sealed)} bytes sealed")
    return sealed


def parse_item(sealed: bytes) -> _ParsedItem:
    """Header fields in one reading (for checking many items); neither seal nor signature checked."""
    return _parse(sealed)


def read_item_header(sealed: bytes) -> ItemHeader:
    """Everything in the clear header, including format version, suite and signing key id."""
    return _parse(sealed).header


def read_item_meta(sealed: bytes) -> ItemMeta:
    """The clear-text routing data; checks the format, not the seal."""
    return _parse(sealed).meta


def item_recipient_key_id(sealed: bytes) -> str:
    """Which encryption key the item was sealed for."""
    return _parse(sealed).recipient_key_id


def verify_item_signature(sealed: bytes, kiosk_public_key: Ed25519PublicKey) -> ItemHeader:
    """Check that the kiosk holding ``kiosk_public_key`` made this format-2 item.

    ``bad_signature`` when the key is not the one the header names or the signature does not
    verify; format-1 items carry no signature and also fail with ``bad_signature``, so a caller
    that accepts them must ask ``read_item_header(...).signed`` first.
    """
    return check_item_signature(_parse(sealed), kiosk_public_key)


def check_item_signature(item: _ParsedItem, kiosk_public_key: Ed25519PublicKey) -> ItemHeader:
    """``verify_item_signature`` for an item already read with ``parse_item`` (one reading for
    every check of a batch)."""
    if not item.header.signed:
        raise envelope_error(BAD_SIGNATURE, KIND_ITEM, detail="format 1 carries no signature")
    if key_id(kiosk_public_key) != item.header.kiosk_key_id:
        raise envelope_error(BAD_SIGNATURE, KIND_ITEM, detail="signed by another kiosk key")
    try:
        kiosk_public_key.verify(item.signature, item.signed_part)
    except InvalidSignature:
        raise envelope_error(BAD_SIGNATURE, KIND_ITEM, detail="Ed25519 verification failed") from None
    return item.header


def open_item(sealed: bytes, private_key: RecipientPrivateKey) -> tuple[ItemMeta, dict[str, Any]]:
    """Decrypt an item with the town hall's private key; the meta is returned only if authentic.

    Opening checks the seal, not who made the item: the inbox checks the kiosk's signature with
    ``verify_item_signature`` against the enrolled kiosks before it opens.
    """
    item = _parse(sealed)
    own_key_id = key_id(private_key.public_key())
    if own_key_id != item.recipient_key_id or suite_of(private_key) != item.header.suite:
        raise envelope_error(
            WRONG_RECIPIENT, KIND_ITEM, expected=item.recipient_key_id, found=own_key_id
        )
    try:
        compressed = hpke_open(item.header.suite, item.hpke_output, private_key, item.info)
    except (InvalidTag, ValueError):
        raise envelope_error(TAMPERED, KIND_ITEM, detail="HPKE open failed") from None
    return item.meta, _decode_answers(item.header.compression, compressed)


def item_digest(sealed: bytes) -> str:
    """Lower-case hex SHA-256 of the sealed bytes: the item's name in batches and acknowledgements."""
    return hashlib.sha256(bytes(sealed)).hexdigest()
