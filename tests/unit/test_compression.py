"""Compression of sealed answers: both codecs round-trip, and opening never inflates past 1 MiB."""

from __future__ import annotations

import zlib

import pytest
import zstandard

from sync.envelope import compression
from sync.envelope.limits import MAX_ANSWERS_BYTES

CODEC = compression.default_codec()
ANSWERS = '{"address":{"number":"7","postcode":"39517","street":"Lindenstraße","town":"Lüderitz"}}'.encode()


def _dictionary():
    return compression._dictionary(CODEC[len("zstd-") :])


@pytest.mark.parametrize("codec", compression.known_codecs())
def test_every_shipped_codec_gives_back_the_same_bytes(codec):
    assert compression.decompress(codec, compression.compress(codec, ANSWERS), MAX_ANSWERS_BYTES) == ANSWERS


def test_the_kiosks_codec_is_a_shipped_dictionary_named_by_its_hash():
    assert CODEC in compression.known_codecs() and CODEC != "zlib"
    data = (compression.DICTIONARY_DIR / f"{CODEC[5:]}.zdict").read_bytes()
    assert compression.dictionary_id(data) == CODEC[5:]
    assert not compression.is_known("zstd-00000000") and not compression.is_known("zstd-../../x")


def test_the_dictionary_makes_small_answers_smaller_than_zlib():
    assert len(compression.compress(CODEC, ANSWERS)) < len(zlib.compress(ANSWERS, 9))


def _bomb(**params) -> bytes:
    if "compression_params" not in params:
        params["write_content_size"] = False
    compressor = zstandard.ZstdCompressor(dict_data=_dictionary(), **params)
    return compressor.compress(b'{"a":"' + b" " * (4 * 1024 * 1024) + b'"}')


@pytest.mark.parametrize(
    "frame",
    [
        _bomb(level=3),  # needs a window larger than the limit
        _bomb(compression_params=zstandard.ZstdCompressionParameters(
            window_log=17, compression_level=3, write_content_size=False
        )),
        zstandard.ZstdCompressor(dict_data=_dictionary()).compress(b" " * (MAX_ANSWERS_BYTES + 1)),
    ],
    ids=["large-window", "small-window-no-size", "declared-size"],
)
def test_a_zstd_bomb_is_refused_as_too_large(frame):
    assert len(frame) < 32 * 1024
    with pytest.raises(compression.CompressionError) as caught:
        compression.decompress(CODEC, frame, MAX_ANSWERS_BYTES)
    assert caught.value.too_large


def test_a_zlib_bomb_is_refused_as_too_large():
    with pytest.raises(compression.CompressionError) as caught:
        compression.decompress("zlib", zlib.compress(b" " * (2 * MAX_ANSWERS_BYTES)), MAX_ANSWERS_BYTES)
    assert caught.value.too_large


@pytest.mark.parametrize(
    "data",
    [
        compression.compress(CODEC, ANSWERS) + b"\x00",
        compression.compress(CODEC, ANSWERS) * 2,
        compression.compress(CODEC, ANSWERS)[:-3],
        b"not zstd at all",
        b"",
    ],
    ids=["trailing-byte", "two-frames", "cut-off", "garbage", "empty"],
)
def test_anything_but_exactly_one_complete_frame_is_refused(data):
    with pytest.raises(compression.CompressionError) as caught:
        compression.decompress(CODEC, data, MAX_ANSWERS_BYTES)
    assert not caught.value.too_large
