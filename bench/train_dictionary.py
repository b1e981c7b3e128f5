"""Train the zstd dictionary for sealed answers: ``python -m bench.train_dictionary [--size BYTES]``.

A developer's tool, never run at install or at run time. It answers the shipped forms many times
with ``bench.answers`` (training seed), encodes each set of answers exactly as ``seal_item`` does
(sorted keys, no spaces, UTF-8) and trains a zstd dictionary on them. The file is written to
``sync/envelope/dictionaries/<id>.zdict``, named by its id (8 hex digits of SHA-256); an existing
dictionary is never replaced, because items sealed with it must stay readable. To make kiosks use
a new dictionary, set ``DEFAULT_DICTIONARY_ID`` in ``sync/envelope/compression.py`` and run
``python -m bench compression`` to check that it still wins.

Training is deterministic for the same inputs and zstandard version, so the shipped file can be
reproduced.
"""

from __future__ import annotations

import argparse
import sys

import zstandard

from bench.answers import samples
from sync.envelope.compression import DICTIONARY_DIR, DICTIONARY_SUFFIX, ZSTD_LEVEL, dictionary_id
from sync.envelope.wire import encode_json

TRAINING_SEED = 20261102
TRAINING_SAMPLES = 6000
DEFAULT_SIZE = 4096


def training_set(count: int = TRAINING_SAMPLES, seed: int = TRAINING_SEED) -> list[bytes]:
    return [encode_json(answers) for _, answers in samples(count, seed=seed)]


def train(size: int = DEFAULT_SIZE) -> bytes:
    """The dictionary bytes (``size`` at most), trained on the realistic answers."""
    trained = zstandard.train_dictionary(size, training_set(), level=ZSTD_LEVEL, threads=1)
    return trained.as_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="dictionary size in bytes")
    args = parser.parse_args(argv)
    data = train(args.size)
    dict_id = dictionary_id(data)
    path = DICTIONARY_DIR / f"{dict_id}{DICTIONARY_SUFFIX}"
    if path.exists():
        print(f"{path} exists already (same dictionary)")
        return 0
    DICTIONARY_DIR.mkdir(exist_ok=True)
    with open(path, "xb") as fh:
        fh.write(data)
    print(f"wrote {path} ({len(data)} bytes); codec name zstd-{dict_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
