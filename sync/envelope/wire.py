"""Byte framing shared by all formats: magic line, length-prefixed JSON header, Ed25519 signature.

Every format starts with an ASCII magic line ``rathaus-<label>/<version>\\n``. Signed formats end
with a 64-byte Ed25519 signature over all bytes before it, exactly as transmitted, so no reader ever
has to re-encode anything to check a signature; the distinct magic lines keep a signature made for
one format from being valid for another.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.envelope.failures import (
    BAD_SIGNATURE,
    MALFORMED,
    TOO_LARGE,
    UNSUPPORTED_VERSION,
    envelope_error,
)

FORMAT_VERSION = 1
SIGNATURE_SIZE = 64
_LENGTH = struct.Struct(">I")
_VERSION_DIGITS = re.compile(rb"[1-9][0-9]{0,3}")
_MAX_MAGIC_LINE = 48


def magic_line(label: str, version: int = FORMAT_VERSION) -> bytes:
    """``rathaus-batch/1\\n`` and friends."""
    return f"rathaus-{label}/{version}\n".encode("ascii")


def length_prefixed(chunk: bytes) -> bytes:
    """A 4-byte big-endian length, then the bytes."""
    return _LENGTH.pack(len(chunk)) + chunk


def encode_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: one stable spelling, so the same input gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def decode_json(raw: bytes | memoryview, kind: str) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no NaN/Infinity (two readers must never disagree)."""
    try:
        text = str(raw, "utf-8")
        return json.loads(
            text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise envelope_error(MALFORMED, kind, detail=f"invalid JSON: {exc}") from None


def read_magic(
    data: bytes | memoryview, label: str, kind: str, versions: tuple[int, ...] = (FORMAT_VERSION,)
) -> tuple[int, int]:
    """Check the magic line against the ``versions`` this reader knows; return (version, offset)."""
    data = bytes(data[:_MAX_MAGIC_LINE])  # the line is short; the rest is never copied
    prefix = f"rathaus-{label}/".encode("ascii")
    end = data.find(b"\n", 0, _MAX_MAGIC_LINE)
    if not data.startswith(prefix) or end < 0:
        raise envelope_error(MALFORMED, kind, detail=f"does not start with {prefix!r}")
    digits = data[len(prefix) : end]
    if not _VERSION_DIGITS.fullmatch(digits):
        raise envelope_error(MALFORMED, kind, detail="version in magic line is not a number")
    version = int(digits)
    if version not in versions:
        raise envelope_error(
            UNSUPPORTED_VERSION, kind, version=version, detail=f"version {version}"
        )
    return version, end + 1


def read_length_prefixed(
    data: bytes | memoryview, offset: int, *, limit: int, end: int, kind: str, what: str
) -> tuple[bytes | memoryview, int]:
    """Read one length-prefixed chunk that must end at or before ``end`` (a view into ``data``
    when ``data`` is a memoryview, so large inputs are never copied)."""
    if offset + _LENGTH.size > end:
        raise envelope_error(MALFORMED, kind, detail=f"{what}: length cut off")
    (length,) = _LENGTH.unpack_from(data, offset)
    if length > limit:
        raise envelope_error(TOO_LARGE, kind, detail=f"{what}: {length} bytes")
    start = offset + _LENGTH.size
    if start + length > end:
        raise envelope_error(MALFORMED, kind, detail=f"{what}: cut off")
    return data[start : start + length], start + length


@dataclass(frozen=True)
class Header:
    """The parsed start of a file: version, header object, and where the header bytes end."""

    version: int
    fields: dict[str, Any]
    end: int


def read_header(
    data: bytes | memoryview,
    label: str,
    kind: str,
    *,
    limit: int,
    end: int | None = None,
    versions: tuple[int, ...] = (FORMAT_VERSION,),
) -> Header:
    """Magic line plus length-prefixed JSON object."""
    stop = len(data) if end is None else end
    version, offset = read_magic(data, label, kind, versions)
    raw, after = read_length_prefixed(
        data, offset, limit=limit, end=stop, kind=kind, what="header"
    )
    fields = decode_json(raw, kind)
    if not isinstance(fields, dict):
        raise envelope_error(MALFORMED, kind, detail="header is not a JSON object")
    return Header(version, fields, after)


def check_size(data: bytes, limit: int, kind: str) -> None:
    """Refuse oversized or non-bytes input before looking inside."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise envelope_error(MALFORMED, kind, detail=f"expected bytes, got {type(data).__name__}")
    if len(data) > limit:
        raise envelope_error(TOO_LARGE, kind, detail=f"{len(data)} bytes")


@dataclass(frozen=True)
class SignedFrame:
    """A signed file split into its parts; ``signed`` is every byte the signature covers.

    ``body`` and ``signed`` are read-only views into the input, not copies: a batch of 8 MiB is
    held once, however many readers look at it."""

    header: Header
    body: memoryview
    signed: memoryview
    signature: bytes


def read_signed_frame(
    data: bytes | memoryview,
    label: str,
    kind: str,
    *,
    limit: int,
    header_limit: int,
    versions: tuple[int, ...] = (FORMAT_VERSION,),
) -> SignedFrame:
    """Split magic, header, body and signature; nothing is verified yet, nothing is copied."""
    check_size(data, limit, kind)
    data = memoryview(data).toreadonly().cast("B")
    read_magic(data, label, kind, versions)  # an unknown version is named before any length is looked at
    body_end = len(data) - SIGNATURE_SIZE
    if body_end < 0:
        raise envelope_error(MALFORMED, kind, detail="shorter than a signature")
    header = read_header(data, label, kind, limit=header_limit, end=body_end, versions=versions)
    return SignedFrame(header, data[header.end : body_end], data[:body_end], data[body_end:])


def sign_frame(
    label: str, header: dict[str, Any], body: bytes, key: Ed25519PrivateKey, version: int = FORMAT_VERSION
) -> bytes:
    """Magic line, length-prefixed header, body, then the signature over all of it."""
    signed = magic_line(label, version) + length_prefixed(encode_json(header)) + body
    return signed + key.sign(signed)


def check_signature(frame: SignedFrame, key: Ed25519PublicKey, kind: str) -> None:
    """Ed25519 over exactly the transmitted bytes before the signature."""
    try:
        key.verify(frame.signature, frame.signed)
    except InvalidSignature:
        raise envelope_error(BAD_SIGNATURE, kind, detail="Ed25519 verification failed") from None
