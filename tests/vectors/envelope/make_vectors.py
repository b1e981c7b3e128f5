"""Generate the envelope test vectors ONCE; the JSON output is committed and only read by tests.

Run from the repository root: ``.venv/bin/python tests/vectors/envelope/make_vectors.py``.
Running it again replaces the files with new vectors (HPKE's ephemeral key is random), so only do
that when a format changes (it was last run for protocol 1.1: item format 2, receipt codes).

All keys are derived from fixed labels (SHA-256 of the label is the X25519 private key or the
Ed25519 seed), so anyone can re-derive them. The HPKE intermediates (shared secret, key, base nonce)
are computed here by a separate from-primitives implementation of RFC 9180, which also opens every
sealed item, to show the item format is plain RFC 9180 and nothing library-specific.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import zlib
from dataclasses import asdict
from pathlib import Path

import zstandard
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from sync.envelope import (  # noqa: E402
    ItemMeta,
    StatusUpdate,
    build_ack,
    build_batch,
    build_enrolment_request,
    build_status_bundle,
    build_status_request,
    fingerprint,
    item_digest,
    key_id,
    seal_item,
)
from kiosk import refcode  # noqa: E402
from sync.envelope import compression  # noqa: E402
from sync.envelope.suites import HybridPrivateKey, hpke_seal  # noqa: E402
from sync.envelope.wire import encode_json, length_prefixed, magic_line, sign_frame  # noqa: E402

# -- RFC 9180 Base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, from primitives --


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info, length)


KEM_SUITE = b"KEM" + (0x0020).to_bytes(2, "big")
HPKE_SUITE = b"HPKE" + (0x0020).to_bytes(2, "big") + (0x0001).to_bytes(2, "big") + (0x0003).to_bytes(2, "big")


def hpke_open_from_primitives(private: X25519PrivateKey, enc: bytes, ct: bytes, info: bytes) -> dict:
    """RFC 9180 §4.1 Decap, §5.1 KeySchedule (mode_base, empty psk), §5.2 Open with seq 0, aad ""."""
    dh = private.exchange(X25519PublicKey.from_public_bytes(enc))
    pk_rm = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    eae_prk = _labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    shared_secret = _labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", enc + pk_rm, 32)
    psk_id_hash = _labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash
    secret = _labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    key = _labeled_expand(HPKE_SUITE, secret, b"key", context, 32)
    base_nonce = _labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, 12)
    plaintext = ChaCha20Poly1305(key).decrypt(base_nonce, ct, b"")
    return {
        "shared_secret": shared_secret.hex(),
        "key": key.hex(),
        "base_nonce": base_nonce.hex(),
        "plaintext": plaintext,
    }


# -- fixed keys ------------------------------------------------------------------------------


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode("ascii")).digest()


def _raw_public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _describe(label: str, private) -> dict:
    public = private.public_key()
    return {
        "label": label,
        "derivation": "private key (X25519) or seed (Ed25519) = SHA-256(ASCII label)",
        "private_hex": _seed(label).hex(),
        "public_hex": _raw_public(public).hex(),
        "public_base64": base64.b64encode(_raw_public(public)).decode("ascii"),
        "key_id": key_id(public),
        "fingerprint": fingerprint(public),
    }


LABELS = {
    "townhall_encryption": "rathaus-vector townhall encryption",
    "townhall_signing": "rathaus-vector townhall signing",
    "kiosk_signing": "rathaus-vector kiosk signing",
    "other_encryption": "rathaus-vector other encryption",
    "other_signing": "rathaus-vector other signing",
}
TH_ENC = X25519PrivateKey.from_private_bytes(_seed(LABELS["townhall_encryption"]))
TH_SIGN = Ed25519PrivateKey.from_private_bytes(_seed(LABELS["townhall_signing"]))
KIOSK_SIGN = Ed25519PrivateKey.from_private_bytes(_seed(LABELS["kiosk_signing"]))
OTHER_ENC = X25519PrivateKey.from_private_bytes(_seed(LABELS["other_encryption"]))
OTHER_SIGN = Ed25519PrivateKey.from_private_bytes(_seed(LABELS["other_signing"]))
HYBRID_LABEL = "rathaus-vector townhall hybrid encryption"
TH_HYBRID = HybridPrivateKey(
    MLKEM768PrivateKey.from_seed_bytes(hashlib.sha512(HYBRID_LABEL.encode("ascii")).digest()),
    X25519PrivateKey.from_private_bytes(_seed(HYBRID_LABEL)),
)
KEYS = {
    "townhall_encryption": TH_ENC,
    "townhall_signing": TH_SIGN,
    "kiosk_signing": KIOSK_SIGN,
    "other_encryption": OTHER_ENC,
    "other_signing": OTHER_SIGN,
}

KIOSK_ID = "kiosk-lueder"
BATCH_ID = "00112233445566778899aabbccddeeff"
NOW = "2026-03-23T09:30:00Z"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _split_item(sealed: bytes) -> tuple[bytes, bytes, bytes, bytes, int]:
    """info, enc, ciphertext, signature and format version of a sealed item."""
    version = int(sealed[len(b"rathaus-item/") : sealed.index(b"\n")])
    magic_len = sealed.index(b"\n") + 1
    header_len = int.from_bytes(sealed[magic_len : magic_len + 4], "big")
    info_end = magic_len + 4 + header_len
    suite = json.loads(sealed[magic_len + 4 : info_end])["suite"] if version == 2 else "x25519"
    enc_len = 32 if suite == "x25519" else 1120
    end = len(sealed) - 64 if version == 2 else len(sealed)
    return sealed[:info_end], sealed[info_end : info_end + enc_len], sealed[info_end + enc_len : end], sealed[end:], version


def _item_vector(meta: ItemMeta, answers: dict, *, signed: bool, recipient=None, codec=None) -> tuple[bytes, dict]:
    recipient = recipient or TH_ENC
    sealed = seal_item(meta, answers, recipient.public_key(), KIOSK_SIGN if signed else None, codec=codec)
    info, enc, ct, signature, version = _split_item(sealed)
    header = json.loads(info[info.index(b"\n") + 5 :])
    answers_json = encode_json(answers)
    vector = {
        "format_version": version,
        "meta": asdict(meta),
        "answers": answers,
        "answers_json": answers_json.decode("utf-8"),
        "header_json": info[info.index(b"\n") + 5 :].decode("utf-8"),
        "info_hex": info.hex(),
        "enc_hex": enc.hex(),
        "ciphertext_hex": ct.hex(),
        "signature_hex": signature.hex(),
        "recipient": "townhall_encryption" if recipient is TH_ENC else "townhall_hybrid",
        "recipient_key_id": key_id(recipient.public_key()),
        "sealed_base64": b64(sealed),
        "digest": item_digest(sealed),
    }
    if version == 2:
        vector["kiosk_public_key"] = "kiosk_signing"
        vector["suite"], vector["compression"] = header["suite"], header["compression"]
    if recipient is TH_ENC:
        # The from-primitives RFC 9180 implementation opens the X25519 items, to show the intermediates.
        opened = hpke_open_from_primitives(TH_ENC, enc, ct, info)
        codec_used = header.get("compression", "zlib")
        assert compression.decompress(codec_used, opened["plaintext"], 1 << 20) == answers_json
        vector["plaintext_hex"] = opened["plaintext"].hex()
        vector["hpke"] = {k: opened[k] for k in ("shared_secret", "key", "base_nonce")}
    return sealed, vector


def _hand_item(header: dict, plaintext: bytes, signer=KIOSK_SIGN, version: int = 2) -> bytes:
    """An item made field by field (not by seal_item), to break one rule at a time."""
    info = magic_line("item", version) + length_prefixed(encode_json(header))
    sealed = info + hpke_seal("x25519", plaintext, TH_ENC.public_key(), info)
    return sealed + signer.sign(sealed) if signer is not None else sealed


def _describe_hybrid() -> dict:
    public = TH_HYBRID.public_key()
    return {
        "label": HYBRID_LABEL,
        "derivation": "ML-KEM-768 seed (d || z, 64 bytes) = SHA-512(ASCII label); X25519 private key = SHA-256(ASCII label)",
        "mlkem_seed_hex": hashlib.sha512(HYBRID_LABEL.encode("ascii")).digest().hex(),
        "x25519_private_hex": _seed(HYBRID_LABEL).hex(),
        "public_hex": public.raw().hex(),
        "public_base64": b64(public.raw()),
        "key_id": key_id(public),
        "fingerprint": fingerprint(public),
    }


CODES = ("7KQM2X9T", "3M1PQZ7W", "00000000", "ZZZZZZZZ", "AAAAAAAA", "HJKMNPQR")


def _refcode_vectors() -> dict:
    table = [refcode._times_two(value) for value in range(32)]
    valid = []
    for body in CODES:
        code = body + refcode.check_symbol(body)
        valid.append({"body": body, "check": code[-1], "code": code, "display": refcode.display(code)})
    typed = [
        {"typed": "7kq-m2x-9tj", "code": "7KQM2X9TJ"},
        {"typed": " 7KQ M2X 9TJ ", "code": "7KQM2X9TJ"},
        {"typed": "3mipqz7wm", "code": "3M1PQZ7WM"},
        {"typed": "3MLPQZ7WM", "code": "3M1PQZ7WM"},
        {"typed": "0O0-000-000", "code": "000000000"},
        {"typed": "7KQ \u2013 M2X \u2013 9TJ", "code": "7KQM2X9TJ"},
        {"typed": "7kq\u2014m2x\u22129tj", "code": "7KQM2X9TJ"},
    ]
    invalid = [
        {"typed": "7KQM2X9TD", "why": "wrong check symbol (the 1.0 spec's own example)"},
        {"typed": "7KQM2X9JT", "why": "last two symbols swapped"},
        {"typed": "7KQM2X9T", "why": "eight symbols"},
        {"typed": "7KQM2X9TJ0", "why": "ten symbols"},
        {"typed": "7KQM2X9TU", "why": "U is not in the alphabet"},
        {"typed": "", "why": "empty"},
    ]
    return {
        "description": "Receipt codes (docs/envelope.md section 4.3).",
        "alphabet": refcode.ALPHABET,
        "times_two": table,
        "valid": valid,
        "typed": typed,
        "invalid": invalid,
    }


FORM_HASH_1 = hashlib.sha256(b"hausnummer 2026.1").hexdigest()
FORM_HASH_2 = hashlib.sha256(b"nachricht 1").hexdigest()


def main() -> None:
    keys = {name: _describe(LABELS[name], key) for name, key in KEYS.items()}
    keys["townhall_hybrid"] = _describe_hybrid()

    code1, code2 = "7KQM2X9TJ", "3M1PQZ7WM"
    assert refcode.is_valid(code1) and refcode.is_valid(code2)
    meta1 = ItemMeta("hausnummer", "2026.1", FORM_HASH_1, KIOSK_ID, code1, NOW)
    answers1 = {
        "address": {"number": "12a", "postcode": "39517", "street": "Lindenstraße", "town": "Lüderitz"},
        "applicant": "Erika Mustermann",
        "confirmed": True,
        "count": 2,
        "fee": "12.50",
    }
    meta2 = ItemMeta("nachricht", "1", FORM_HASH_2, KIOSK_ID, code2, "2026-03-23T09:41:07Z")
    answers2 = {"message": "Die Straßenlaterne vor Nr. 4 ist seit Montag aus.", "topics": ["street", "light"]}
    # Numbers inside answers are any JSON numbers: negative and fractional ones included.
    answers3 = {"balance": -12.5, "floor": -1, "message": "Keller unter Wasser", "share": 0.25}
    meta3 = ItemMeta("nachricht", "1", FORM_HASH_2, KIOSK_ID, "00000000" + refcode.check_symbol("00000000"), NOW)
    old1, item1 = _item_vector(meta1, answers1, signed=False)
    old2, item2 = _item_vector(meta2, answers2, signed=False)
    new1, item3 = _item_vector(meta1, answers1, signed=True)
    new2, item4 = _item_vector(meta2, answers2, signed=True, codec="zlib")
    new3, item5 = _item_vector(meta3, answers3, signed=True, recipient=TH_HYBRID)

    def batch_vector(items: list[bytes], batch_id: str, sequence: int, names: list[int]) -> tuple[bytes, dict]:
        batch = build_batch(
            items,
            kiosk_id=KIOSK_ID,
            sequence=sequence,
            signing_key=KIOSK_SIGN,
            recipient_key_id=key_id(TH_ENC.public_key()),
            batch_id=batch_id,
            created_at="2026-03-23T10:00:00Z",
        )
        header_end = len(magic_line("batch")) + 4 + int.from_bytes(batch[16:20], "big")
        return batch, {
            "batch_base64": b64(batch),
            "header_json": batch[20:header_end].decode("utf-8"),
            "expected_header": {
                "version": 1,
                "kiosk_id": KIOSK_ID,
                "batch_id": batch_id,
                "sequence": sequence,
                "created_at": "2026-03-23T10:00:00Z",
                "recipient_key_id": key_id(TH_ENC.public_key()),
                "item_digests": [item_digest(item) for item in items],
            },
            "items": names,
            "signature_hex": batch[-64:].hex(),
            "signed_length": len(batch) - 64,
            "kiosk_public_key": "kiosk_signing",
        }

    batch, batch_old = batch_vector([old1, old2], BATCH_ID, 7, [0, 1])
    _batch_new_bytes, batch_new = batch_vector([new1, new2, old1], "ffeeddccbbaa99887766554433221100", 8, [2, 3, 0])

    ack = build_ack(
        batch_id=BATCH_ID,
        kiosk_id=KIOSK_ID,
        item_digests=[item1["digest"], item2["digest"]],
        received_at="2026-03-23T10:00:05Z",
        signing_key=TH_SIGN,
    )
    updates = [
        StatusUpdate(code1, "in_progress", "", "2026-03-24T08:00:00Z", 41),
        StatusUpdate(
            code2,
            "accepted",
            "Danke! Die Laterne wird am Donnerstag repariert.\nIhr Bauhof",
            "2026-03-24T08:05:00Z",
            42,
        ),
    ]
    bundle = build_status_bundle(updates, kiosk_id=KIOSK_ID, signing_key=TH_SIGN, created_at="2026-03-24T08:10:00Z")
    request = build_status_request(
        kiosk_id=KIOSK_ID, since_serial=40, signing_key=KIOSK_SIGN, created_at="2026-03-24T08:09:30Z"
    )
    enrolment = build_enrolment_request(
        kiosk_id=KIOSK_ID,
        signing_key=KIOSK_SIGN,
        municipality="Einheitsgemeinde Tangerhütte",
        townhall_signing_key_id=key_id(TH_SIGN.public_key()),
        townhall_encryption_key_id=key_id(TH_ENC.public_key()),
        created_at="2026-03-20T14:00:00Z",
    )
    signed = {
        "ack": {
            "data_base64": b64(ack),
            "key": "townhall_signing",
            "batch_id": BATCH_ID,
            "kiosk_id": KIOSK_ID,
            "expected": {
                "batch_id": BATCH_ID,
                "kiosk_id": KIOSK_ID,
                "item_digests": [item1["digest"], item2["digest"]],
                "received_at": "2026-03-23T10:00:05Z",
            },
        },
        "status_bundle": {
            "data_base64": b64(bundle),
            "key": "townhall_signing",
            "kiosk_id": KIOSK_ID,
            "expected_updates": [asdict(u) for u in updates],
        },
        "status_request": {
            "data_base64": b64(request),
            "key": "kiosk_signing",
            "now": "2026-03-24T08:10:00Z",
            "expected": {"kiosk_id": KIOSK_ID, "since_serial": 40, "created_at": "2026-03-24T08:09:30Z"},
        },
        "enrolment": {
            "file_text": enrolment.decode("ascii"),
            "expected": {
                "kiosk_id": KIOSK_ID,
                "public_key": "kiosk_signing",
                "created_at": "2026-03-20T14:00:00Z",
                "municipality": "Einheitsgemeinde Tangerhütte",
                "townhall_signing_key_id": key_id(TH_SIGN.public_key()),
                "townhall_encryption_key_id": key_id(TH_ENC.public_key()),
            },
        },
    }

    negatives = _negatives(old1, new1, batch, ack, bundle, request, enrolment)

    write("keys.json", {"description": "Fixed keys of all vectors.", "keys": keys})
    write("items.json", {
        "description": "Sealed items: 0-1 format 1 (unsigned, zlib); 2-4 format 2, signed by kiosk_signing "
                       "(2: zstd dictionary, 3: zlib, 4: hybrid suite for townhall_hybrid, negative and fractional numbers).",
        "dictionary": compression.default_codec(),
        "items": [item1, item2, item3, item4, item5],
    })
    write("batch.json", {"description": "A batch of items 0 and 1, signed by kiosk_signing.", **batch_old,
                         "mixed": {"description": "A batch of items 2, 3 and 0: both item formats in one batch.", **batch_new}})
    write("signed.json", {"description": "Acknowledgement, status bundle, status request, enrolment.", **signed})
    write("refcode.json", _refcode_vectors())
    write("negative.json", {"description": "Inputs that MUST be rejected, with the error code.", "cases": negatives})


def _negatives(sealed1: bytes, signed1: bytes, batch: bytes, ack: bytes, bundle: bytes, request: bytes, enrolment: bytes) -> list:
    cases = []

    def case(name: str, description: str, operation: str, data: bytes, expect: str, **extra) -> None:
        cases.append({"name": name, "description": description, "operation": operation,
                      "data_base64": b64(data), "expect_code": expect, **extra})

    # A header byte of the item changed so the JSON stays valid: the HPKE info no longer matches.
    pos = sealed1.index(b'"7KQM2X9TJ"') + 1 + 7
    tampered_header = sealed1[:pos] + b"Y" + sealed1[pos + 1 :]
    case("item_tampered_header_byte", "receipt code 7KQM2X9TJ changed to 7KQM2X9YJ in the clear header",
         "open_item", tampered_header, "tampered", key="townhall_encryption")
    case("item_tampered_ciphertext_byte", "last byte (Poly1305 tag) of the item flipped",
         "open_item", sealed1[:-1] + bytes([sealed1[-1] ^ 0x01]), "tampered", key="townhall_encryption")
    case("item_wrong_recipient", "opened with a key it was not sealed for",
         "open_item", sealed1, "wrong_recipient", key="other_encryption")
    case("item_truncated", "cut inside the HPKE encapsulation", "open_item",
         sealed1[: sealed1.index(b"}") + 1 + 20],
         "malformed", key="townhall_encryption")
    case("item_unknown_version", "magic line rathaus-item/3", "open_item",
         b"rathaus-item/3\n" + sealed1[len(b"rathaus-item/1\n") :], "unsupported_version", key="townhall_encryption")

    # -- format 2 -------------------------------------------------------------------------------
    header2 = json.loads(signed1[signed1.index(b"\n") + 5 : signed1.index(b"\n") + 5 + int.from_bytes(signed1[15:19], "big")])
    plain = compression.compress(header2["compression"], encode_json({"message": "Hallo"}))
    case("item_signed_by_another_key", "format 2 naming kiosk_signing's key id, signed with other_signing "
         "(what a compromised server could make)", "verify_item_signature",
         _hand_item(header2, plain, OTHER_SIGN), "bad_signature", key="kiosk_signing")
    case("item_signature_byte_flipped", "last signature byte of a genuine format-2 item flipped",
         "verify_item_signature", signed1[:-1] + bytes([signed1[-1] ^ 0x01]), "bad_signature", key="kiosk_signing")
    case("item_header_changed_after_signing", "one header byte of a genuine format-2 item changed",
         "verify_item_signature", signed1.replace(b'"2026.1"', b'"2026.2"', 1), "bad_signature", key="kiosk_signing")
    case("item_unknown_suite", "suite x448, otherwise well-formed and signed", "read_item_meta",
         _hand_item({**header2, "suite": "x448"}, plain), "unsupported_algorithm")
    case("item_unknown_dictionary", "compression zstd-00000000 (no such dictionary)", "read_item_meta",
         _hand_item({**header2, "compression": "zstd-00000000"}, plain), "unsupported_algorithm")
    case("item_bad_receipt_check_symbol", "reference 7KQM2X9TD: the check symbol should be J", "read_item_meta",
         _hand_item({**header2, "reference": "7KQM2X9TD"}, plain), "malformed")
    case("item_reference_not_nine_symbols", "reference 7KQM2X9 (seven symbols)", "read_item_meta",
         _hand_item({**header2, "reference": "7KQM2X9"}, plain), "malformed")
    case("item_form_hash_with_prefix", "form_hash written sha256:<hex>", "read_item_meta",
         _hand_item({**header2, "form_hash": "sha256:" + header2["form_hash"]}, plain), "malformed")
    case("item_form_hash_upper_case", "form_hash in upper-case hex", "read_item_meta",
         _hand_item({**header2, "form_hash": header2["form_hash"].upper()}, plain), "malformed")
    dictionary = header2["compression"]
    bomb = zstandard.ZstdCompressor(
        level=3, dict_data=compression._dictionary(dictionary[5:]), write_content_size=False
    ).compress(b'{"a":"' + b" " * (2 * 1024 * 1024) + b'"}')
    case("item_decompression_bomb", "zstd answers inflating to 2 MiB (limit 1 MiB)", "open_item",
         _hand_item(header2, bomb), "too_large", key="townhall_encryption")
    case("item_zstd_followed_by_data", "a complete zstd frame followed by one more byte", "open_item",
         _hand_item(header2, plain + b"\x00"), "malformed", key="townhall_encryption")

    seq = batch.index(b'"sequence":7') + len(b'"sequence":')
    case("batch_tampered_header_byte", "sequence 7 changed to 8", "verify_batch",
         batch[:seq] + b"8" + batch[seq + 1 :], "bad_signature", key="kiosk_signing")
    middle = len(batch) // 2
    case("batch_tampered_item_byte", "one byte in the middle of the items flipped", "verify_batch",
         batch[:middle] + bytes([batch[middle] ^ 0x80]) + batch[middle + 1 :], "bad_signature", key="kiosk_signing")
    case("batch_wrong_signing_key", "checked with a key that did not sign it", "verify_batch",
         batch, "bad_signature", key="other_signing")
    case("batch_truncated", "last byte missing", "verify_batch", batch[:-1], "malformed", key="kiosk_signing")
    case("batch_empty", "no bytes at all", "verify_batch", b"", "malformed", key="kiosk_signing")
    case("batch_unknown_version", "magic line rathaus-batch/9", "verify_batch",
         b"rathaus-batch/9\n" + batch[len(b"rathaus-batch/1\n") :], "unsupported_version", key="kiosk_signing")
    header = {
        "batch_id": BATCH_ID,
        "created_at": "2026-03-23T10:00:00Z",
        "item_digests": ["00" * 32],
        "kiosk_id": KIOSK_ID,
        "recipient_key_id": key_id(TH_ENC.public_key()),
        "sequence": 8,
    }
    case("batch_digest_mismatch", "validly signed, but the listed digest is not the item's", "verify_batch",
         sign_frame("batch", header, length_prefixed(sealed1), KIOSK_SIGN), "digest_mismatch", key="kiosk_signing")
    foreign = _hand_item(header2, plain, OTHER_SIGN)
    case("batch_item_not_signed_by_the_batch_kiosk",
         "batch signed by kiosk_signing carrying a format-2 item signed by other_signing", "verify_batch",
         sign_frame("batch", {**header, "item_digests": [item_digest(foreign)]}, length_prefixed(foreign), KIOSK_SIGN),
         "bad_signature", key="kiosk_signing")
    too_many = [hashlib.sha256(bytes([i % 256, i // 256])).hexdigest() for i in range(251)]
    case("batch_too_many_items", "a signed batch header listing 251 item digests (limit 250)", "verify_batch",
         sign_frame("batch", {**header, "item_digests": too_many}, b"", KIOSK_SIGN), "too_large", key="kiosk_signing")

    case("ack_for_other_batch", "valid acknowledgement checked against another batch id", "verify_ack",
         ack, "wrong_batch", key="townhall_signing", batch_id="ffeeddccbbaa99887766554433221100", kiosk_id=KIOSK_ID)
    case("ack_for_other_kiosk", "valid acknowledgement checked by another kiosk", "verify_ack",
         ack, "wrong_kiosk", key="townhall_signing", batch_id=BATCH_ID, kiosk_id="kiosk-other")
    case("ack_signed_by_kiosk", "acknowledgement signed by the town hall, verified with the kiosk's key "
         "instead of the town hall's", "verify_ack",
         ack, "bad_signature", key="kiosk_signing", batch_id=BATCH_ID, kiosk_id=KIOSK_ID)
    case("status_bundle_for_other_kiosk", "valid bundle checked by another kiosk", "verify_status_bundle",
         bundle, "wrong_kiosk", key="townhall_signing", kiosk_id="kiosk-other")
    update = {"message": "", "reference": "7KQM2X9TJ", "serial": 1, "status": "received", "updated_at": NOW}
    case("status_bundle_too_many_updates", "a signed bundle with 201 updates (limit 200)", "verify_status_bundle",
         sign_frame("status", {"created_at": NOW, "kiosk_id": KIOSK_ID,
                               "updates": [dict(update, serial=i + 1) for i in range(201)]}, b"", TH_SIGN),
         "too_large", key="townhall_signing", kiosk_id=KIOSK_ID)
    case("status_message_too_long", "a signed bundle whose message has 501 characters (limit 500)",
         "verify_status_bundle",
         sign_frame("status", {"created_at": NOW, "kiosk_id": KIOSK_ID, "updates": [dict(update, message="ä" * 501)]},
                    b"", TH_SIGN),
         "too_large", key="townhall_signing", kiosk_id=KIOSK_ID)
    case("status_request_stale", "request checked 11 minutes after it was made", "verify_status_request",
         request, "stale", key="kiosk_signing", now="2026-03-24T08:20:31Z")
    case("status_request_from_the_future", "request made 11 minutes in the future", "verify_status_request",
         request, "stale", key="kiosk_signing", now="2026-03-24T07:58:29Z")
    document = json.loads(enrolment)
    signature = bytearray(base64.b64decode(document["signature"]))
    signature[0] ^= 0x01
    document["signature"] = b64(bytes(signature))
    case("enrolment_bad_self_signature", "first signature byte flipped", "read_enrolment_request",
         json.dumps(document, indent=2, sort_keys=True).encode("ascii"), "bad_signature")
    case("enrolment_other_version_other_keys", "format rathaus-enrolment/2 with keys version 1 does not have",
         "read_enrolment_request",
         json.dumps({"format": "rathaus-enrolment/2", "request": "…", "proof": "…"}).encode("utf-8"),
         "unsupported_version")
    return cases


def write(name: str, value: dict) -> None:
    (HERE / name).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
