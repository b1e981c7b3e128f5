"""``python -m bench compression``: which codec makes sealed applications smallest, against zlib.

Measures, in one run on the same answers: zlib (level 9, what format 1 used), zstd without a
dictionary, and zstd with the shipped dictionary (``sync/envelope/compression.py``), on realistic
answers to the six shipped forms that the dictionary was not trained on (``bench.answers``, held-out
seed and free text). Prints the compressed answers and the whole sealed item (header, HPKE,
signature: what goes over the link) per form and in total, each as a ratio against zlib, and the
time to compress and inflate one set of answers, also as a ratio against zlib.
"""

from __future__ import annotations

import platform
import time
import zlib
from collections import defaultdict
from typing import Callable

import zstandard
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from bench.answers import samples
from kiosk.refcode import new_reference
from sync.envelope import ItemMeta, seal_item
from sync.envelope import compression
from sync.envelope.wire import encode_json

MEASURE_SEED = 4711
COUNT = 1200


def _codecs() -> dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]]:
    plain_zstd = zstandard.ZstdCompressor(level=compression.ZSTD_LEVEL, write_content_size=True, write_checksum=False)
    plain_unzstd = zstandard.ZstdDecompressor()
    product = compression.default_codec()
    return {
        "zlib": (lambda d: zlib.compress(d, 9), zlib.decompress),
        "zstd, no dictionary": (plain_zstd.compress, plain_unzstd.decompress),
        f"{product} (kiosks)": (
            lambda d: compression.compress(product, d),
            lambda d: compression.decompress(product, d, 1 << 20),
        ),
    }


def _seconds_per_call(fn: Callable[[], object], inputs: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) / inputs)
    return best


def main() -> None:
    pairs = list(samples(COUNT, seed=MEASURE_SEED, held_out=True))
    raw = [encode_json(answers) for _, answers in pairs]
    codecs = _codecs()
    print(f"compression: {len(raw)} answer sets, {sum(map(len, raw)) / len(raw):.0f} bytes JSON on average")
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
          f"zstandard {zstandard.__version__} (libzstd {zstandard.ZSTD_VERSION})")

    sizes: dict[str, dict[str, int]] = {}
    timings: dict[str, float] = {}
    for name, (pack, unpack) in codecs.items():
        per_form: dict[str, int] = defaultdict(int)
        packed = []
        for (form, _), data in zip(pairs, raw):
            out = pack(data)
            assert unpack(out) == data
            per_form[form.id] += len(out)
            packed.append(out)
        per_form["(all)"] = sum(len(p) for p in packed)
        sizes[name] = per_form

        def run(pack=pack, unpack=unpack) -> None:
            for data in raw:
                unpack(pack(data))

        timings[name] = _seconds_per_call(run, len(raw))

    baseline = sizes["zlib"]
    forms = sorted(k for k in baseline if k != "(all)") + ["(all)"]
    print(f"\n{'compressed answers, bytes':<34}" + "".join(f"{name[:24]:>26}" for name in codecs))
    for form_id in forms:
        cells = "".join(
            f"{sizes[name][form_id]:>14} ({sizes[name][form_id] / baseline[form_id]:5.2f}x)    " for name in codecs
        )
        print(f"{form_id:<34}{cells}")
    print(f"\n{'compress + inflate, µs per set':<34}" + "".join(
        f"{timings[name] * 1e6:>14.1f} ({timings[name] / timings['zlib']:5.2f}x)    " for name in codecs
    ))

    # The whole sealed item, as it travels: both codecs in format 2 with the same key and header.
    recipient = X25519PrivateKey.generate().public_key()
    signing = Ed25519PrivateKey.generate()
    whole: dict[str, int] = {}
    for codec in ("zlib", compression.default_codec()):
        total = 0
        for form, answers in pairs:
            meta = ItemMeta(form.id, form.version, form.content_hash, "kiosk-lueder", new_reference(), "2026-11-02T10:00:00Z")
            total += len(seal_item(meta, answers, recipient, signing, codec=codec))
        whole[codec] = total
    product = compression.default_codec()
    print(
        f"\nsealed item (format 2, x25519), bytes on average: zlib {whole['zlib'] / len(pairs):.0f}, "
        f"{product} {whole[product] / len(pairs):.0f} ({whole[product] / whole['zlib']:.2f}x)"
    )


if __name__ == "__main__":
    main()
