"""Compressing answers before sealing: zlib, or zstd with a dictionary trained on the shipped forms.

One application is a few hundred bytes of JSON. A general compressor barely shrinks that (there is
nothing earlier in the stream to refer back to); zstd with a preset dictionary of what answers
usually look like (field ids, option values, German street and place names) does, which matters on
links of a few kilobits per second. ``docs/performance.md`` has the measurement.

A codec is named in the item header: ``zlib`` or ``zstd-<id>``, where ``<id>`` is the first
8 hex digits of SHA-256 over the dictionary file, so a reader knows exactly which bytes it needs.
Dictionaries are package data in ``sync/envelope/dictionaries/<id>.zdict`` and are never changed:
a new dictionary gets a new id and the old file stays, so every item ever sealed stays readable.

Decompression is bounded: at most ``limit`` bytes come out, whatever the input claims, so a broken
or hostile sender cannot make the town hall inflate gigabytes.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from functools import lru_cache
from pathlib import Path

import zstandard

ZLIB = "zlib"
ZSTD_PREFIX = "zstd-"
CODEC_PATTERN = re.compile(r"zlib|zstd-[0-9a-f]{8}")
DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionaries"
DICTIONARY_SUFFIX = ".zdict"
DEFAULT_DICTIONARY_ID = "94a213c2"
"""The dictionary kiosks use now (trained by ``bench/train_dictionary.py``)."""

ZSTD_LEVEL = 19
_FEED = 16
"""Bytes of compressed input given to zstd at a time: one feed can produce at most four blocks
(128 KiB each), so the output never runs more than 512 KiB past the limit before it is noticed."""


class CompressionError(ValueError):
    """The data is not a complete stream of the named codec (``too_large`` when over the limit)."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.too_large = too_large


def dictionary_id(data: bytes) -> str:
    """The id a dictionary file is named by: 8 hex digits of SHA-256 over its bytes."""
    return hashlib.sha256(data).hexdigest()[:8]


def default_codec() -> str:
    """What a kiosk writes into new items."""
    return ZSTD_PREFIX + DEFAULT_DICTIONARY_ID


def known_codecs() -> tuple[str, ...]:
    """``zlib`` and every shipped dictionary."""
    ids = sorted(path.stem for path in DICTIONARY_DIR.glob(f"*{DICTIONARY_SUFFIX}"))
    return (ZLIB, *(ZSTD_PREFIX + i for i in ids))


def is_known(codec: str) -> bool:
    if codec == ZLIB:
        return True
    if not isinstance(codec, str) or not CODEC_PATTERN.fullmatch(codec):
        return False
    return _shipped(codec[len(ZSTD_PREFIX):])


@lru_cache(maxsize=32)
def _shipped(dict_id: str) -> bool:
    """Whether the dictionary is installed; asked once per id and process, not once per item
    (dictionaries ship with the software and are never removed)."""
    return (DICTIONARY_DIR / f"{dict_id}{DICTIONARY_SUFFIX}").is_file()


@lru_cache(maxsize=8)
def _dictionary(dict_id: str) -> zstandard.ZstdCompressionDict:
    path = DICTIONARY_DIR / f"{dict_id}{DICTIONARY_SUFFIX}"
    data = path.read_bytes()
    if dictionary_id(data) != dict_id:
        raise RuntimeError(f"{path} does not match its id; the installation is damaged")
    dictionary = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_AUTO)
    dictionary.precompute_compress(level=ZSTD_LEVEL)  # once per process, not once per application
    return dictionary


def compress(codec: str, data: bytes) -> bytes:
    """Compress ``data`` with ``codec`` (which must be known)."""
    if codec == ZLIB:
        return zlib.compress(data, 9)
    compressor = zstandard.ZstdCompressor(
        level=ZSTD_LEVEL,
        dict_data=_dictionary(codec[len(ZSTD_PREFIX) :]),
        write_content_size=True,
        write_checksum=False,
        write_dict_id=False,
    )
    return compressor.compress(data)


def decompress(codec: str, data: bytes, limit: int) -> bytes:
    """Exactly one complete stream of ``codec`` with nothing after it, inflated to at most ``limit``."""
    if codec == ZLIB:
        return _inflate_zlib(data, limit)
    return _inflate_zstd(_dictionary(codec[len(ZSTD_PREFIX) :]), data, limit)


def _inflate_zlib(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise CompressionError("not zlib data") from None
    if len(raw) > limit:
        raise CompressionError("inflated", too_large=True)
    if not inflater.eof or inflater.unused_data:
        raise CompressionError("zlib stream incomplete or followed by data")
    return raw


def _inflate_zstd(dictionary: zstandard.ZstdCompressionDict, data: bytes, limit: int) -> bytes:
    try:
        frame = zstandard.get_frame_parameters(data)
    except zstandard.ZstdError:
        raise CompressionError("not zstd data") from None
    # A frame that says it holds more than the limit, or needs a window larger than the limit
    # (which only more content than the limit can need), is refused before anything is inflated.
    declared = frame.content_size
    if declared != zstandard.CONTENTSIZE_UNKNOWN and declared > limit:
        raise CompressionError("declared size", too_large=True)
    if frame.window_size > max(limit, 1 << 17):
        raise CompressionError("window", too_large=True)
    decompressor = zstandard.ZstdDecompressor(dict_data=dictionary, max_window_size=max(limit, 1 << 17))
    inflater = decompressor.decompressobj()
    out: list[bytes] = []
    produced = 0
    try:
        for start in range(0, len(data), _FEED):
            chunk = inflater.decompress(data[start : start + _FEED])
            produced += len(chunk)
            if produced > limit:
                raise CompressionError("inflated", too_large=True)
            out.append(chunk)
            if inflater.eof:
                if start + _FEED < len(data) or inflater.unused_data:
                    raise CompressionError("zstd frame followed by data")
                break
    except zstandard.ZstdError:
        raise CompressionError("not zstd data") from None
    if not inflater.eof:
        raise CompressionError("zstd frame incomplete")
    return b"".join(out)
