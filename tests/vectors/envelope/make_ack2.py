"""Generate ``ack2.json``, the vectors of the compact acknowledgement ``rathaus-ack/2``.

Run from the repository root: ``.venv/bin/python tests/vectors/envelope/make_ack2.py``. Ed25519
is deterministic and the keys come from fixed labels (SHA-256 of the label is the seed, as in
``keys.json``), so running it again gives the same bytes; the file is committed and only read by
tests. The acknowledgement answers a batch of three items, one refused as ``reference_conflict``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from sync.envelope.acks import RefusedItem, build_ack  # noqa: E402
from sync.envelope.wire import encode_json, length_prefixed, magic_line  # noqa: E402


def key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode("ascii")).digest())


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


TOWNHALL = key("rathaus-vector townhall signing")
KIOSK = key("rathaus-vector kiosk signing")
BATCH_ID = "00112233445566778899aabbccddeeff"
KIOSK_ID = "kiosk-lueder"
# Stand-ins for a batch's exact bytes and its items (the rule needs only their digests).
BATCH_DIGEST = digest("rathaus-vector ack2 batch bytes")
ITEMS = [digest(f"rathaus-vector ack2 item {n}") for n in (1, 2, 3)]
RECEIVED_AT = "2026-03-23T10:00:05Z"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def ack(signing_key: Ed25519PrivateKey = TOWNHALL, **changes) -> bytes:
    options = dict(
        batch_id=BATCH_ID,
        kiosk_id=KIOSK_ID,
        batch_digest=BATCH_DIGEST,
        item_count=len(ITEMS),
        refused=[RefusedItem(ITEMS[1], "reference_conflict")],
        received_at=RECEIVED_AT,
        signing_key=signing_key,
    )
    options.update(changes)
    return build_ack(**options)


def main() -> None:
    good = ack()
    header = {
        "batch_digest": BATCH_DIGEST,
        "batch_id": BATCH_ID,
        "item_count": 3,
        "kiosk_id": KIOSK_ID,
        "received_at": RECEIVED_AT,
        "refused": [{"code": "reference_conflict", "digest": ITEMS[1]}],
    }
    signed = magic_line("ack", 2) + length_prefixed(encode_json(header))
    assert good == signed + TOWNHALL.sign(signed)
    padded = signed + b"\x00"
    negatives = [
        ("ack2_for_other_batch_bytes", "checked by a kiosk whose batch bytes have another digest",
         good, "wrong_batch", {"batch_digest": digest("other bytes"), "batch_item_digests": ITEMS}),
        ("ack2_for_other_kiosk", "checked by another kiosk", good, "wrong_kiosk",
         {"kiosk_id": "kiosk-other"}),
        ("ack2_for_other_batch_id", "checked against another batch id", good, "wrong_batch",
         {"batch_id": "ffeeddccbbaa99887766554433221100"}),
        ("ack2_signed_by_kiosk", "signed by the kiosk's key, verified with the town hall's",
         ack(signing_key=KIOSK), "bad_signature", {}),
        ("ack2_refuses_an_item_not_in_the_batch", "refuses a digest the batch does not carry",
         ack(refused=[RefusedItem(digest("stranger"), "reference_conflict")]), "wrong_batch", {}),
        ("ack2_other_item_count", "item_count differs from the batch's", ack(item_count=2), "wrong_batch", {}),
        ("ack2_bytes_before_signature", "a byte between header and signature (validly signed)",
         padded + TOWNHALL.sign(padded), "malformed", {}),
        ("ack2_unknown_version", "magic rathaus-ack/3", b"rathaus-ack/3\n" + good[14:], "unsupported_version", {}),
    ]
    document = {
        "description": (
            "rathaus-ack/2 (docs/envelope.md section 6): keys are Ed25519 seeds SHA-256(label); "
            "the batch is given by its digest and its items' digests only. A kiosk verifies with "
            "the town hall's key, its kiosk id, the batch id and batch digest, then settles: every "
            "item not refused is held (expected_held) and may be deleted; refused ones stay."
        ),
        "townhall_signing_label": "rathaus-vector townhall signing",
        "kiosk_signing_label": "rathaus-vector kiosk signing",
        "ack": {
            "data_base64": b64(good),
            "header_json": encode_json(header).decode("utf-8"),
            "signed_length": len(signed),
            "signature_hex": good[len(signed):].hex(),
            "batch_id": BATCH_ID,
            "kiosk_id": KIOSK_ID,
            "batch_digest": BATCH_DIGEST,
            "batch_item_digests": ITEMS,
            "expected_held": [ITEMS[0], ITEMS[2]],
            "expected_refused": {ITEMS[1]: "reference_conflict"},
        },
        "negative": [
            {"name": name, "description": text, "data_base64": b64(data), "expect_code": code, **checked_with}
            for name, text, data, code, checked_with in negatives
        ],
    }
    (HERE / "ack2.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
