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
import zstandard
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from kiosk import refcode
from kiosk.errors import EnvelopeError, ReferenceCodeError
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
from sync.envelope.items import read_item_header, verify_item_signature
from sync.envelope.suites import HybridPrivateKey

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "envelope"
DICTIONARIES = Path(__file__).resolve().parents[2] / "sync" / "envelope" / "dictionaries"


def _load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


KEYS = _load("keys.json")["keys"]


def _private(name: str):
    if name == "townhall_hybrid":
        entry = KEYS[name]
        return HybridPrivateKey(
            MLKEM768PrivateKey.from_seed_bytes(bytes.fromhex(entry["mlkem_seed_hex"])),
            X25519PrivateKey.from_private_bytes(bytes.fromhex(entry["x25519_private_hex"])),
        )
    raw = bytes.fromhex(KEYS[name]["private_hex"])
    if "encryption" in name:
        return X25519PrivateKey.from_private_bytes(raw)
    return Ed25519PrivateKey.from_private_bytes(raw)


def _public(name: str):
    return _private(name).public_key()


def _moment(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("name", sorted(set(KEYS) - {"townhall_hybrid"}))
def test_key_ids_and_fingerprints_follow_the_formula(name):
    entry = KEYS[name]
    assert bytes.fromhex(entry["private_hex"]) == hashlib.sha256(entry["label"].encode("ascii")).digest()
    public = _public(name)
    digest = hashlib.sha256(bytes.fromhex(entry["public_hex"])).hexdigest()
    assert key_id(public) == entry["key_id"] == digest[:16]
    assert fingerprint(public) == entry["fingerprint"]
    assert entry["fingerprint"].replace("-", "") == digest[:20].upper()


def test_the_hybrid_key_is_the_ml_kem_key_followed_by_the_x25519_key():
    entry = KEYS["townhall_hybrid"]
    label = entry["label"].encode("ascii")
    assert bytes.fromhex(entry["mlkem_seed_hex"]) == hashlib.sha512(label).digest()
    assert bytes.fromhex(entry["x25519_private_hex"]) == hashlib.sha256(label).digest()
    raw = bytes.fromhex(entry["public_hex"])
    private = _private("townhall_hybrid")
    assert len(raw) == 1184 + 32 and raw == private.public_key().raw()
    assert raw[1184:] == private.x25519.public_key().public_bytes_raw()
    assert key_id(private.public_key()) == entry["key_id"] == hashlib.sha256(raw).hexdigest()[:16]


ITEMS = _load("items.json")["items"]


@pytest.mark.parametrize("index", range(len(ITEMS)))
def test_sealed_item_vector_opens_to_the_recorded_answers(index):
    item = ITEMS[index]
    sealed = base64.b64decode(item["sealed_base64"])
    meta, answers = open_item(sealed, _private(item["recipient"]))
    assert meta.__dict__ == item["meta"]
    assert answers == item["answers"]
    assert read_item_meta(sealed).__dict__ == item["meta"]
    assert item_digest(sealed) == item["digest"] == hashlib.sha256(sealed).hexdigest()
    assert sealed.hex() == item["info_hex"] + item["enc_hex"] + item["ciphertext_hex"] + item["signature_hex"]
    header = read_item_header(sealed)
    assert header.version == item["format_version"]
    if header.signed:
        assert verify_item_signature(sealed, _public(item["kiosk_public_key"])) == header
        assert (header.suite, header.compression) == (item["suite"], item["compression"])
        assert header.kiosk_key_id == KEYS[item["kiosk_public_key"]]["key_id"]
        _public(item["kiosk_public_key"]).verify(bytes.fromhex(item["signature_hex"]), sealed[:-64])


def test_the_vectors_cover_both_formats_both_suites_and_both_codecs():
    assert {item["format_version"] for item in ITEMS} == {1, 2}
    signed = [item for item in ITEMS if item["format_version"] == 2]
    assert {item["suite"] for item in signed} == {"x25519", "mlkem768-x25519"}
    assert {item["compression"].split("-")[0] for item in signed} == {"zlib", "zstd"}
    numbers = [v for item in ITEMS for v in item["answers"].values() if isinstance(v, (int, float))]
    assert any(v < 0 for v in numbers) and any(isinstance(v, float) for v in numbers)


def _inflate(codec: str, plaintext: bytes) -> bytes:
    """The spec's codecs, from their own libraries: RFC 1950 zlib, or a zstd frame with the
    dictionary file named by its SHA-256."""
    if codec == "zlib":
        return zlib.decompress(plaintext)
    dictionary = (DICTIONARIES / f"{codec[5:]}.zdict").read_bytes()
    assert hashlib.sha256(dictionary).hexdigest()[:8] == codec[5:]
    decompressor = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(dictionary))
    return decompressor.decompress(plaintext)


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


X25519_ITEMS = [i for i, item in enumerate(ITEMS) if "hpke" in item]


@pytest.mark.parametrize("index", X25519_ITEMS)
def test_item_vector_follows_rfc9180_base_mode_from_primitives(index):
    """Reading the spec alone is enough: header bytes are the info, aad is empty, sequence 0."""
    item = ITEMS[index]
    sealed = base64.b64decode(item["sealed_base64"])
    magic = f"rathaus-item/{item['format_version']}\n".encode("ascii")
    assert sealed.startswith(magic)
    header_length = int.from_bytes(sealed[len(magic) : len(magic) + 4], "big")
    info_end = len(magic) + 4 + header_length
    end = len(sealed) - 64 if item["format_version"] == 2 else len(sealed)
    info, enc, ct = sealed[:info_end], sealed[info_end : info_end + 32], sealed[info_end + 32 : end]
    header = json.loads(info[len(magic) + 4 :])
    assert header["recipient_key_id"] == KEYS["townhall_encryption"]["key_id"]

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
    assert _inflate(header.get("compression", "zlib"), plaintext).decode("utf-8") == item["answers_json"]
    assert json.loads(item["answers_json"]) == item["answers"]


BATCH = _load("batch.json")


@pytest.mark.parametrize("vector", [BATCH, BATCH["mixed"]], ids=["format-1-items", "both-item-formats"])
def test_batch_vector_verifies_with_the_kiosk_key(vector):
    data = base64.b64decode(vector["batch_base64"])
    batch = verify_batch(data, _public(vector["kiosk_public_key"]))
    expected = dict(
        vector["expected_header"], item_digests=tuple(vector["expected_header"]["item_digests"]), audit=None
    )  # a rathaus-batch/1 carries no audit segment
    assert batch.header.__dict__ == expected
    assert batch.raw == data
    assert [base64.b64encode(i).decode() for i in batch.items] == [ITEMS[n]["sealed_base64"] for n in vector["items"]]
    assert data[-64:].hex() == vector["signature_hex"]
    _public("kiosk_signing").verify(data[-64:], data[: vector["signed_length"]])


REFCODES = _load("refcode.json")


def test_receipt_code_vectors_follow_the_damm_check_over_gf32():
    alphabet = REFCODES["alphabet"]
    assert alphabet == refcode.ALPHABET and len(alphabet) == 32
    table = REFCODES["times_two"]
    # Multiplication by x modulo x^5 + x^2 + 1, written out by the spec as a table.
    assert table == [(v << 1) ^ 0b100101 if v & 0b10000 else v << 1 for v in range(32)]
    for entry in REFCODES["valid"]:
        state = 0
        for symbol in entry["code"]:
            state = table[state] ^ alphabet.index(symbol)
        assert state == 0, entry
        assert refcode.check_symbol(entry["body"]) == entry["check"]
        assert refcode.display(entry["code"]) == entry["display"]
        assert refcode.parse(entry["display"]) == entry["code"]


@pytest.mark.parametrize("entry", REFCODES["typed"], ids=lambda e: e["typed"])
def test_typed_receipt_codes_are_read_as_the_spec_says(entry):
    assert refcode.parse(entry["typed"]) == entry["code"]


@pytest.mark.parametrize("entry", REFCODES["invalid"], ids=lambda e: e["why"])
def test_receipt_codes_the_spec_does_not_allow_are_refused(entry):
    with pytest.raises(ReferenceCodeError):
        refcode.parse(entry["typed"])


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
        "item_signed_by_another_key",
        "item_unknown_suite",
        "item_unknown_dictionary",
        "item_bad_receipt_check_symbol",
        "item_form_hash_with_prefix",
        "item_decompression_bomb",
        "batch_too_many_items",
        "status_bundle_too_many_updates",
        "status_message_too_long",
        "enrolment_other_version_other_keys",
    } <= names
    assert {case["expect_code"] for case in NEGATIVE} <= set(ERROR_CODES)


def _run(case: dict) -> object:
    data = base64.b64decode(case["data_base64"])
    operation = case["operation"]
    if operation == "open_item":
        return open_item(data, _private(case["key"]))
    if operation == "read_item_meta":
        return read_item_meta(data)
    if operation == "verify_item_signature":
        return verify_item_signature(data, _public(case["key"]))
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
