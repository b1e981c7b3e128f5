"""Write ticket.json: upload tickets signed with the fixed kiosk key of tests/vectors/envelope.

Run from the repository root: ``python tests/vectors/upload/make_vectors.py``. Ed25519 is
deterministic, so the same inputs always give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.envelope.uploads import build_upload_ticket

HERE = Path(__file__).resolve().parent
KIOSK_LABEL = "rathaus-vector kiosk signing"


def main() -> None:
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(KIOSK_LABEL.encode()).digest())
    batch = b"rathaus-batch/1\n" + bytes(range(256)) * 64  # stands in for a batch: only its digest counts
    fields = {
        "kiosk_id": "kiosk-lueder",
        "batch_id": "00112233445566778899aabbccddeeff",
        "batch_digest": hashlib.sha256(batch).hexdigest(),
        "length": len(batch),
        "created_at": "2026-03-23T09:30:00Z",
    }
    ticket = build_upload_ticket(signing_key=key, **fields)
    vectors = {
        "description": "rathaus-upload/1 tickets (docs/transport-http.md). Signed with the Ed25519 seed "
        "SHA-256(ASCII 'rathaus-vector kiosk signing'), the kiosk key of tests/vectors/envelope/keys.json.",
        "valid": [{"name": "ticket", "fields": fields, "ticket_hex": ticket.hex()}],
        "invalid": [
            {"name": "signature_flipped", "ticket_hex": (ticket[:-1] + bytes([ticket[-1] ^ 1])).hex(), "error": "bad_signature"},
            {"name": "version_2", "ticket_hex": ticket.replace(b"rathaus-upload/1", b"rathaus-upload/2", 1).hex(), "error": "unsupported_version"},
            {"name": "body_before_signature", "ticket_hex": (ticket[:-64] + b"x" + ticket[-64:]).hex(), "error": "malformed"},
        ],
    }
    (HERE / "ticket.json").write_text(json.dumps(vectors, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
