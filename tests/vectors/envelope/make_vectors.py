"""Generate the envelope test vectors ONCE; the JSON output is committed and only read by tests.

Run from the repository root: ``.venv/bin/python tests/vectors/envelope/make_vectors.py``.
Running it again replaces the files with new vectors (HPKE's ephemeral key is random), so only do
that when the format itself changes, and bump the format version then.

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

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
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


def _item_vector(meta: ItemMeta, answers: dict) -> tuple[bytes, dict]:
    sealed = seal_item(meta, answers, TH_ENC.public_key())
    header_len = int.from_bytes(sealed[len(magic_line("item")) : len(magic_line("item")) + 4], "big")
    info_end = len(magic_line("item")) + 4 + header_len
    info, enc, ct = sealed[:info_end], sealed[info_end : info_end + 32], sealed[info_end + 32 :]
    opened = hpke_open_from_primitives(TH_ENC, enc, ct, info)
    answers_json = encode_json(answers)
    assert zlib.decompress(opened["plaintext"]) == answers_json
    return sealed, {
        "meta": asdict(meta),
        "answers": answers,
        "answers_json": answers_json.decode("utf-8"),
        "header_json": info[len(magic_line("item")) + 4 :].decode("utf-8"),
        "info_hex": info.hex(),
        "enc_hex": enc.hex(),
        "ciphertext_hex": ct.hex(),
        "plaintext_hex": opened["plaintext"].hex(),
        "hpke": {k: opened[k] for k in ("shared_secret", "key", "base_nonce")},
        "recipient_key_id": key_id(TH_ENC.public_key()),
        "sealed_base64": b64(sealed),
        "digest": item_digest(sealed),
    }


def main() -> None:
    keys = {name: _describe(LABELS[name], key) for name, key in KEYS.items()}

    meta1 = ItemMeta("hausnummer", "2026.1", "sha256:" + "ab" * 32, KIOSK_ID, "7KQM2X9TD", NOW)
    answers1 = {
        "address": {"number": "12a", "postcode": "39517", "street": "Lindenstraße", "town": "Lüderitz"},
        "applicant": "Erika Mustermann",
        "confirmed": True,
        "count": 2,
        "fee": "12.50",
    }
    meta2 = ItemMeta("nachricht", "1", "sha256:" + "cd" * 32, KIOSK_ID, "3M1PQZ7W4", "2026-03-23T09:41:07Z")
    answers2 = {"message": "Die Straßenlaterne vor Nr. 4 ist seit Montag aus.", "topics": ["street", "light"]}
    sealed1, item1 = _item_vector(meta1, answers1)
    sealed2, item2 = _item_vector(meta2, answers2)

    batch = build_batch(
        [sealed1, sealed2],
        kiosk_id=KIOSK_ID,
        sequence=7,
        signing_key=KIOSK_SIGN,
        recipient_key_id=key_id(TH_ENC.public_key()),
        batch_id=BATCH_ID,
        created_at="2026-03-23T10:00:00Z",
    )
    header_end = len(magic_line("batch")) + 4 + int.from_bytes(batch[16:20], "big")
    batch_vector = {
        "batch_base64": b64(batch),
        "header_json": batch[20:header_end].decode("utf-8"),
        "expected_header": {
            "version": 1,
            "kiosk_id": KIOSK_ID,
            "batch_id": BATCH_ID,
            "sequence": 7,
            "created_at": "2026-03-23T10:00:00Z",
            "recipient_key_id": key_id(TH_ENC.public_key()),
            "item_digests": [item1["digest"], item2["digest"]],
        },
        "signature_hex": batch[-64:].hex(),
        "signed_length": len(batch) - 64,
        "kiosk_public_key": "kiosk_signing",
    }

    ack = build_ack(
        batch_id=BATCH_ID,
        kiosk_id=KIOSK_ID,
        item_digests=[item1["digest"], item2["digest"]],
        received_at="2026-03-23T10:00:05Z",
        signing_key=TH_SIGN,
    )
    updates = [
        StatusUpdate("7KQM2X9TD", "in_progress", "", "2026-03-24T08:00:00Z", 41),
        StatusUpdate(
            "3M1PQZ7W4",
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

    negatives = _negatives(sealed1, batch, ack, bundle, request, enrolment)

    write("keys.json", {"description": "Fixed keys of all vectors.", "keys": keys})
    write("items.json", {"description": "Two sealed items for townhall_encryption.", "items": [item1, item2]})
    write("batch.json", {"description": "A batch of the two items, signed by kiosk_signing.", **batch_vector})
    write("signed.json", {"description": "Acknowledgement, status bundle, status request, enrolment.", **signed})
    write("negative.json", {"description": "Inputs that MUST be rejected, with the error code.", "cases": negatives})


def _negatives(sealed1: bytes, batch: bytes, ack: bytes, bundle: bytes, request: bytes, enrolment: bytes) -> list:
    cases = []

    def case(name: str, description: str, operation: str, data: bytes, expect: str, **extra) -> None:
        cases.append({"name": name, "description": description, "operation": operation,
                      "data_base64": b64(data), "expect_code": expect, **extra})

    # A header byte of the item changed so the JSON stays valid: the HPKE info no longer matches.
    pos = sealed1.index(b'"7KQM2X9TD"') + 9
    tampered_header = sealed1[:pos] + b"E" + sealed1[pos + 1 :]
    case("item_tampered_header_byte", "reference 7KQM2X9TD changed to 7KQM2X9TE in the clear header",
         "open_item", tampered_header, "tampered", key="townhall_encryption")
    case("item_tampered_ciphertext_byte", "last byte (Poly1305 tag) of the item flipped",
         "open_item", sealed1[:-1] + bytes([sealed1[-1] ^ 0x01]), "tampered", key="townhall_encryption")
    case("item_wrong_recipient", "opened with a key it was not sealed for",
         "open_item", sealed1, "wrong_recipient", key="other_encryption")
    case("item_truncated", "cut inside the HPKE encapsulation", "open_item",
         sealed1[: sealed1.index(b"}") + 1 + 20],
         "malformed", key="townhall_encryption")
    case("item_unknown_version", "magic line rathaus-item/2", "open_item",
         b"rathaus-item/2\n" + sealed1[len(b"rathaus-item/1\n") :], "unsupported_version", key="townhall_encryption")

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
    case("batch_unknown_version", "magic line rathaus-batch/2", "verify_batch",
         b"rathaus-batch/2\n" + batch[len(b"rathaus-batch/1\n") :], "unsupported_version", key="kiosk_signing")
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

    case("ack_for_other_batch", "valid acknowledgement checked against another batch id", "verify_ack",
         ack, "wrong_batch", key="townhall_signing", batch_id="ffeeddccbbaa99887766554433221100", kiosk_id=KIOSK_ID)
    case("ack_for_other_kiosk", "valid acknowledgement checked by another kiosk", "verify_ack",
         ack, "wrong_kiosk", key="townhall_signing", batch_id=BATCH_ID, kiosk_id="kiosk-other")
    case("ack_signed_by_kiosk", "acknowledgement signed with a key other than the town hall's", "verify_ack",
         ack, "bad_signature", key="kiosk_signing", batch_id=BATCH_ID, kiosk_id=KIOSK_ID)
    case("status_bundle_for_other_kiosk", "valid bundle checked by another kiosk", "verify_status_bundle",
         bundle, "wrong_kiosk", key="townhall_signing", kiosk_id="kiosk-other")
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
    return cases


def write(name: str, value: dict) -> None:
    (HERE / name).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
