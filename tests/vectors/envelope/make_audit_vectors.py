"""Make ``audit.json``: an audit chain, its hashes, a signed head and a ``rathaus-batch/2``.

Everything here is deterministic (Ed25519 signs deterministically, the kiosk key is the vector key
``kiosk_signing`` of ``keys.json``, the batch carries item 2 of ``items.json``), so running it again
gives the same file: ``python tests/vectors/envelope/make_audit_vectors.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assisted_mode import audit
from sync.envelope import build_batch
from sync.envelope.wire import encode_json

HERE = Path(__file__).parent
KIOSK = "kiosk-lueder"
STEPS = [
    ("2026-03-23T09:00:00Z", audit.SIGN_IN, "V0007", ""),
    ("2026-03-23T09:01:10Z", audit.CONSENT, "V0007", ""),
    ("2026-03-23T09:07:45Z", audit.SUBMIT, "V0007", "7KQM2X9TJ"),
    ("2026-03-23T09:08:00Z", audit.SIGN_OUT, "V0007", ""),
]


def main() -> None:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"rathaus-vector kiosk signing").digest())
    entries, hashes = [], []
    for at, action, actor, reference in STEPS:
        entry, entry_hash = audit.next_entry(
            KIOSK, entries[-1] if entries else None, at=at, action=action, actor=actor, reference=reference
        )
        entries.append(entry)
        hashes.append(entry_hash)
    head = audit.sign_head(KIOSK, entries[-1].seq, hashes[-1], key)
    item = json.loads((HERE / "items.json").read_text())["items"][2]
    sealed = base64.b64decode(item["sealed_base64"])
    batch = build_batch(
        [sealed], kiosk_id=KIOSK, sequence=9, signing_key=key, recipient_key_id=item["recipient_key_id"],
        batch_id="0123456789abcdef0123456789abcdef", created_at="2026-03-23T10:00:00Z",
        audit=audit.AuditSegment(tuple(entries), head),
    )
    vectors = {
        "description": "An audit chain of kiosk-lueder (docs/envelope.md 5.2): each entry with the exact "
        "entry-json its hash is over, the head message and its signature by kiosk_signing, and a "
        "rathaus-batch/2 carrying item 2 of items.json with the four entries.",
        "kiosk_id": KIOSK,
        "entries": [
            {"entry": e.to_json(), "entry_json": encode_json(e.to_json()).decode(), "hash": h}
            for e, h in zip(entries, hashes)
        ],
        "head": head.to_json(),
        "head_message": (audit.HEAD_DOMAIN + f"{KIOSK}\n{head.seq}\n{head.hash}".encode()).decode(),
        "batch_base64": base64.b64encode(batch).decode(),
    }
    (HERE / "audit.json").write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
