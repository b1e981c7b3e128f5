"""The audit-chain vectors (docs/envelope.md 5.2): another implementation's hashes, head signature
and batch must come out byte for byte like these."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assisted_mode import audit
from sync.envelope import verify_batch

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "envelope" / "audit.json").read_text())
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"rathaus-vector kiosk signing").digest())


def test_each_entry_hash_is_sha256_over_the_domain_the_kiosk_id_and_the_entry_json():
    previous = None
    for vector in VECTORS["entries"]:
        entry = audit.read_entry(vector["entry"])
        data = b"rathaus-audit/1\n" + b"kiosk-lueder\n" + vector["entry_json"].encode()
        assert hashlib.sha256(data).hexdigest() == vector["hash"] == audit.entry_hash("kiosk-lueder", entry)
        assert entry.prev == (previous or audit.GENESIS)
        previous = vector["hash"]


def test_the_head_signature_and_the_batch_of_version_2():
    head = audit.SignedHead(**VECTORS["head"])
    message = VECTORS["head_message"].encode()
    KEY.public_key().verify(base64.b64decode(head.signature), message)
    assert audit.head_is_genuine("kiosk-lueder", head, KEY.public_key())
    batch = verify_batch(base64.b64decode(VECTORS["batch_base64"]), KEY.public_key())
    assert batch.header.version == 2
    assert [e.to_json() for e in batch.header.audit.entries] == [v["entry"] for v in VECTORS["entries"]]
    assert audit.check_chain("kiosk-lueder", batch.header.audit.entries, [batch.header.audit.head], [KEY.public_key()]) == []


def test_the_vector_file_is_what_the_script_makes(tmp_path, monkeypatch):
    import importlib.util

    script = Path(__file__).parents[1] / "vectors" / "envelope" / "make_audit_vectors.py"
    spec = importlib.util.spec_from_file_location("make_audit_vectors", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = tmp_path / "audit.json"
    monkeypatch.setattr(module, "HERE", tmp_path)
    (tmp_path / "items.json").write_bytes((script.parent / "items.json").read_bytes())
    module.main()
    assert json.loads(target.read_text()) == VECTORS
