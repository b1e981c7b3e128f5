"""The committed test vectors (tests/vectors/envelope/) still open, verify and fail as specified.

These files are what another municipality implements against; if a change to the code makes one
of them fail, the change breaks compatibility with every kiosk and town hall already in use.
The HPKE part is also checked by a second, from-primitives RFC 9180 implementation below, so the
specification's formulas — not just this library — are what the vectors follow.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kiosk.errors import EnvelopeError
from sync.envelope import (
    ERROR_CODES,
    fingerprint,
    item_digest,
    key_id,
    open_item,
    read_enrolment_request,
    read_item_meta,
    verify_ack,
    verify_batch,
    verify_status_bundle,
    verify_status_request,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "envelope"


def _load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


KEYS = _load("keys.json")["keys"]


def _private(name: str):
    raw = bytes.fromhex(KEYS[name]["private_hex"])
    if "encryption" in name:
        return X25519PrivateKey.from_private_bytes(raw)
    return Ed25519PrivateKey.from_private_bytes(raw)


def _public(name: str):
    return _private(name).public_key()


def _moment(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("name", sorted(KEYS))
def test_key_ids_and_fingerprints_follow_the_formula(name):
    entry = KEYS[name]
    assert bytes.fromhex(entry["private_hex"]) == hashlib.sha256(entry["label"].encode("ascii")).digest()
    public = _public(name)
    digest = hashlib.sha256(bytes.fromhex(entry["public_hex"])).hexdigest()
    assert key_id(public) == entry["key_id"] == digest[:16]
    assert fingerprint(public) == entry["fingerprint"]
    assert entry["fingerprint"].replace("-", "") == digest[:20].upper()


@pytest.mark.parametrize("index", [0, 1])
def test_sealed_item_vector_opens_to_the_recorded_answers(index):
    item = _load("items.json")["items"][index]
    sealed = base64.b64decode(item["sealed_base64"])
    meta, answers = open_item(sealed, _private("townhall_encryption"))
    assert meta.__dict__ == item["meta"]
    assert answers == item["answers"]
    assert read_item_meta(sealed).__dict__ == item["meta"]
    assert item_digest(sealed) == item["digest"] == hashlib.sha256(sealed).hexdigest()
    assert sealed.hex().startswith(item["info_hex"])
    assert sealed.hex() == item["info_hex"] + item["enc_hex"] + item["ciphertext_hex"]


# -- a second implementation of the item formula, from primitives -----------------------------------

_KEM = b"KEM\x00\x20"
_SUITE = b"HPKE\x00\x20\x00\x01\x00\x03"


def _hkdf_extract(salt: bytes, label: bytes, ikm: bytes, suite: bytes) -> bytes:
    return hmac.new(salt, b"HPKE-v1" + suite + label + ikm, hashlib.sha256).digest()


def _hkdf_expand(prk: bytes, label: bytes, info: bytes, length: int, suite: bytes) -> bytes:
    labeled = length.to_bytes(2, "big") + b"HPKE-v1" + suite + label + info
    out, block = b"", b""
    for counter in range(1, 3):
        block = hmac.new(prk, block + labeled + bytes([counter]), hashlib.sha256).digest()
        out += block
    return out[:length]


@pytest.mark.parametrize("index", [0, 1])
def test_item_vector_follows_rfc9180_base_mode_from_primitives(index):
    """Reading the spec alone is enough: header bytes are the info, aad is empty, sequence 0."""
    item = _load("items.json")["items"][index]
    sealed = base64.b64decode(item["sealed_base64"])
    magic = b"rathaus-item/1\n"
    assert sealed.startswith(magic)
    header_length = int.from_bytes(sealed[len(magic) : len(magic) + 4], "big")
    info_end = len(magic) + 4 + header_length
    info, enc, ct = sealed[:info_end], sealed[info_end : info_end + 32], sealed[info_end + 32 :]
    assert json.loads(info[len(magic) + 4 :])["recipient_key_id"] == KEYS["townhall_encryption"]["key_id"]

    private = _private("townhall_encryption")
    dh = private.exchange(X25519PublicKey.from_public_bytes(enc))
    kem_context = enc + bytes.fromhex(KEYS["townhall_encryption"]["public_hex"])
    eae_prk = _hkdf_extract(b"", b"eae_prk", dh, _KEM)
    shared_secret = _hkdf_expand(eae_prk, b"shared_secret", kem_context, 32, _KEM)
    context = (
        b"\x00"
        + _hkdf_extract(b"", b"psk_id_hash", b"", _SUITE)
        + _hkdf_extract(b"", b"info_hash", info, _SUITE)
    )
    secret = _hkdf_extract(shared_secret, b"secret", b"", _SUITE)
    key = _hkdf_expand(secret, b"key", context, 32, _SUITE)
    base_nonce = _hkdf_expand(secret, b"base_nonce", context, 12, _SUITE)
    assert item["hpke"] == {
        "shared_secret": shared_secret.hex(),
        "key": key.hex(),
        "base_nonce": base_nonce.hex(),
    }

    plaintext = ChaCha20Poly1305(key).decrypt(base_nonce, ct, b"")
    assert plaintext.hex() == item["plaintext_hex"]
    assert zlib.decompress(plaintext).decode("utf-8") == item["answers_json"]
    assert json.loads(item["answers_json"]) == item["answers"]


def test_batch_vector_verifies_with_the_kiosk_key():
    vector = _load("batch.json")
    data = base64.b64decode(vector["batch_base64"])
    batch = verify_batch(data, _public(vector["kiosk_public_key"]))
    expected = dict(vector["expected_header"], item_digests=tuple(vector["expected_header"]["item_digests"]))
    assert batch.header.__dict__ == expected
    assert batch.raw == data
    items = _load("items.json")["items"]
    assert [base64.b64encode(i).decode() for i in batch.items] == [i["sealed_base64"] for i in items]
    assert data[-64:].hex() == vector["signature_hex"]
    _public("kiosk_signing").verify(data[-64:], data[: vector["signed_length"]])


def test_ack_vector_verifies_for_its_batch_and_kiosk():
    vector = _load("signed.json")["ack"]
    ack = verify_ack(
        base64.b64decode(vector["data_base64"]),
        _public(vector["key"]),
        batch_id=vector["batch_id"],
        kiosk_id=vector["kiosk_id"],
    )
    assert {
        "batch_id": ack.batch_id,
        "kiosk_id": ack.kiosk_id,
        "item_digests": list(ack.item_digests),
        "received_at": ack.received_at,
    } == vector["expected"]


def test_status_bundle_vector_gives_the_recorded_updates():
    vector = _load("signed.json")["status_bundle"]
    updates = verify_status_bundle(
        base64.b64decode(vector["data_base64"]), _public(vector["key"]), kiosk_id=vector["kiosk_id"]
    )
    assert [u.__dict__ for u in updates] == vector["expected_updates"]


def test_status_request_vector_is_fresh_at_its_recorded_time():
    vector = _load("signed.json")["status_request"]
    request = verify_status_request(
        base64.b64decode(vector["data_base64"]), _public(vector["key"]), now=_moment(vector["now"])
    )
    assert request.__dict__ == vector["expected"]


def test_enrolment_vector_carries_the_kiosk_key():
    vector = _load("signed.json")["enrolment"]
    request = read_enrolment_request(vector["file_text"].encode("ascii"))
    expected = dict(vector["expected"])
    assert key_id(request.public_key) == KEYS[expected.pop("public_key")]["key_id"]
    assert {k: getattr(request, k) for k in expected} == expected


NEGATIVE = _load("negative.json")["cases"]


def test_negative_vectors_cover_the_named_failures():
    names = {case["name"] for case in NEGATIVE}
    assert {
        "item_tampered_header_byte",
        "item_tampered_ciphertext_byte",
        "item_wrong_recipient",
        "item_truncated",
        "item_unknown_version",
        "batch_tampered_header_byte",
        "batch_tampered_item_byte",
        "batch_wrong_signing_key",
        "batch_truncated",
        "batch_unknown_version",
    } <= names
    assert {case["expect_code"] for case in NEGATIVE} <= set(ERROR_CODES)


def _run(case: dict) -> object:
    data = base64.b64decode(case["data_base64"])
    operation = case["operation"]
    if operation == "open_item":
        return open_item(data, _private(case["key"]))
    if operation == "verify_batch":
        return verify_batch(data, _public(case["key"]))
    if operation == "verify_ack":
        return verify_ack(data, _public(case["key"]), batch_id=case["batch_id"], kiosk_id=case["kiosk_id"])
    if operation == "verify_status_bundle":
        return verify_status_bundle(data, _public(case["key"]), kiosk_id=case["kiosk_id"])
    if operation == "verify_status_request":
        return verify_status_request(data, _public(case["key"]), now=_moment(case["now"]))
    if operation == "read_enrolment_request":
        return read_enrolment_request(data)
    raise AssertionError(f"unknown operation {operation}")


@pytest.mark.parametrize("case", NEGATIVE, ids=[case["name"] for case in NEGATIVE])
def test_negative_vector_is_rejected_with_its_code(case):
    with pytest.raises(EnvelopeError) as caught:
        _run(case)
    assert caught.value.code == case["expect_code"]
