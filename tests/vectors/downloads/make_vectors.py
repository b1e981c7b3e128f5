"""Generate the download test vectors; the JSON output is committed and only read by tests.

Run from the repository root: ``.venv/bin/python tests/vectors/downloads/make_vectors.py``.
Everything here is deterministic (Ed25519 signatures, keys derived from fixed labels as in
``tests/vectors/envelope/``), so running it again writes the same files; a change in them means
the format changed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from sync.envelope import StatusUpdate, key_id  # noqa: E402
from sync.envelope.downloads import ChannelPart, build_download, build_download_request  # noqa: E402
from sync.envelope.keyupdates import build_key_update, signed_bytes  # noqa: E402
from sync.keys import TownhallPublicKeys, townhall_public_bytes  # noqa: E402

LABELS = {
    "townhall_encryption": "rathaus-vector townhall encryption",
    "townhall_signing": "rathaus-vector townhall signing",
    "kiosk_signing": "rathaus-vector kiosk signing",
    "other_signing": "rathaus-vector other signing",
    "rotated_encryption": "rathaus-vector townhall encryption 2",
    "rotated_signing": "rathaus-vector townhall signing 2",
}


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode("ascii")).digest()


def _key(name: str):
    raw = _seed(LABELS[name])
    return X25519PrivateKey.from_private_bytes(raw) if "encryption" in name else Ed25519PrivateKey.from_private_bytes(raw)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _townhall(encryption: str, signing: str, created_at: str) -> bytes:
    enc, sig = _key(encryption).public_key(), _key(signing).public_key()
    keys = TownhallPublicKeys(enc, sig, key_id(enc), key_id(sig), "Einheitsgemeinde Tangerhütte")
    return townhall_public_bytes(keys, created_at)


def main() -> None:
    kiosk = _key("kiosk_signing")
    old_signing, new_signing = _key("townhall_signing"), _key("rotated_signing")
    pinned = _townhall("townhall_encryption", "townhall_signing", "2026-03-01T08:00:00Z")
    rotated = _townhall("rotated_encryption", "rotated_signing", "2026-11-19T16:00:00Z")

    request = build_download_request(
        kiosk_id="kiosk-lueder", channels={"keys": 0, "status": 41}, signing_key=kiosk,
        created_at="2026-11-20T09:30:00Z",
    )
    updates = (
        StatusUpdate("7KQM2X9TJ", "accepted", "Der Bescheid liegt im Bürgerbüro bereit.", "2026-11-20T09:12:00Z", 42),
        StatusUpdate("4DW1H8PZR", "needs_information", "Bitte rufen Sie uns an:\n03935 9300", "2026-11-20T09:20:00Z", 43),
    )
    key_update = build_key_update(1, rotated, old_signing)
    parts = {
        "keys": ChannelPart("keys", "delta", 0, 1, "2026-11-20T09:30:01Z", (key_update,)),
        "status": ChannelPart("status", "delta", 41, 43, "2026-11-20T09:30:01Z", updates, more=False),
    }
    # After a rotation of the signing key the answer is signed by the NEW key; the kiosk trusts it
    # because the key update is signed by the key it pinned.
    answer = build_download(parts, kiosk_id="kiosk-lueder", signing_key=new_signing, created_at="2026-11-20T09:30:01Z")
    plain = build_download(
        {"status": ChannelPart("status", "delta", 43, 43, "2026-11-20T09:31:00Z", ())},
        kiosk_id="kiosk-lueder", signing_key=old_signing, created_at="2026-11-20T09:31:00Z",
    )

    keys = {
        name: {
            "label": label,
            "derivation": "private key (X25519) or seed (Ed25519) = SHA-256(ASCII label)",
            "private_hex": _seed(label).hex(),
            "key_id": key_id(_key(name).public_key()),
        }
        for name, label in LABELS.items()
    }
    write("keys.json", {"description": "Keys of the download vectors (the first four as in tests/vectors/envelope/keys.json).", "keys": keys})
    write("signed.json", {
        "description": "A download request, an answer carrying a key rotation and status updates, and a plain answer.",
        "request": {
            "kiosk_id": "kiosk-lueder", "key": "kiosk_signing", "now": "2026-11-20T09:34:00Z",
            "channels": {"keys": 0, "status": 41}, "data_base64": b64(request),
        },
        "answer": {
            "kiosk_id": "kiosk-lueder",
            "pinned_townhall_base64": b64(pinned),
            "pinned_signing_key": "townhall_signing",
            "signed_by": "rotated_signing",
            "key_update_signed_bytes_base64": b64(signed_bytes(1, rotated)),
            "expect": {
                "keys": {"from_version": 0, "version": 1, "pin_base64": b64(rotated)},
                "status": {"from_version": 41, "version": 43, "serials": [42, 43], "more": False},
            },
            "data_base64": b64(answer),
        },
        "plain_answer": {
            "kiosk_id": "kiosk-lueder", "key": "townhall_signing",
            "expect": {"status": {"from_version": 43, "version": 43, "serials": [], "more": False}},
            "data_base64": b64(plain),
        },
    })

    cases = []

    def case(name: str, description: str, operation: str, data: bytes, expect: str, **extra) -> None:
        cases.append({"name": name, "description": description, "operation": operation,
                      "data_base64": b64(data), "expect_code": expect, **extra})

    forged = build_key_update(1, _townhall("rotated_encryption", "other_signing", "2026-11-19T16:00:00Z"), _key("other_signing"))
    forged_answer = build_download(
        {"keys": ChannelPart("keys", "delta", 0, 1, "2026-11-20T09:30:01Z", (forged,))},
        kiosk_id="kiosk-lueder", signing_key=_key("other_signing"), created_at="2026-11-20T09:30:01Z",
    )
    common = {"kiosk_id": "kiosk-lueder", "pinned_townhall_base64": b64(pinned), "pinned_signing_key": "townhall_signing"}
    case("download_key_update_not_signed_by_pinned_key", "a key update (and answer) signed by another key",
         "verify_download_with_keys", forged_answer, "bad_signature", **common)
    case("download_for_other_kiosk", "the plain answer checked by kiosk-b", "verify_download_with_keys", plain,
         "wrong_kiosk", **{**common, "kiosk_id": "kiosk-b"})
    case("download_signed_by_kiosk", "an answer signed by the kiosk's own key", "verify_download_with_keys",
         build_download({"status": ChannelPart("status", "delta", 43, 43, "2026-11-20T09:31:00Z", ())},
                        kiosk_id="kiosk-lueder", signing_key=kiosk, created_at="2026-11-20T09:31:00Z"),
         "bad_signature", **common)
    case("download_rotation_without_its_update", "signed by the rotated key, but no key update in it",
         "verify_download_with_keys",
         build_download({"status": ChannelPart("status", "delta", 43, 43, "2026-11-20T09:31:00Z", ())},
                        kiosk_id="kiosk-lueder", signing_key=new_signing, created_at="2026-11-20T09:31:00Z"),
         "bad_signature", **common)
    case("download_truncated", "the plain answer without its last byte", "verify_download_with_keys", plain[:-1],
         "malformed", **common)
    case("download_unknown_version", "magic line rathaus-download/2",
         "verify_download_with_keys", plain.replace(b"rathaus-download/1", b"rathaus-download/2", 1),
         "unsupported_version", **common)
    case("download_too_large", "one byte over 1 MiB (zero bytes after the magic line)", "verify_download_with_keys",
         b"rathaus-download/1\n" + bytes(1024 * 1024 - 18), "too_large", **common)
    case("download_unknown_channel", "a channel this reader has not registered", "verify_download_with_keys",
         _resigned(plain, b'"status"', b'"weather"', old_signing), "malformed", **common)
    case("download_snapshot_spelling_for_delta_channel", "status part spelled as a snapshot",
         "verify_download_with_keys", _resigned(plain, b'"delta"', b'"snapshot"', old_signing), "malformed", **common)
    case("request_stale", "the request checked 11 minutes after it was made", "verify_download_request", request,
         "stale", key="kiosk_signing", now="2026-11-20T09:41:01Z")
    case("request_bad_signature", "the request checked with another key", "verify_download_request", request,
         "bad_signature", key="other_signing", now="2026-11-20T09:34:00Z")
    case("request_too_large", "4 KiB + 1 bytes", "verify_download_request",
         b"rathaus-download-request/1\n" + bytes(4096 - 26), "too_large", key="kiosk_signing", now="2026-11-20T09:34:00Z")
    write("negative.json", {"description": "Inputs that MUST be rejected, with the expected code.", "cases": cases})


def _resigned(data: bytes, old: bytes, new: bytes, key: Ed25519PrivateKey) -> bytes:
    """The answer with ``old`` replaced in its header (length fixed up) and signed again."""
    magic_end = data.index(b"\n") + 1
    length = int.from_bytes(data[magic_end : magic_end + 4], "big")
    header = data[magic_end + 4 : magic_end + 4 + length].replace(old, new, 1)
    signed = data[:magic_end] + len(header).to_bytes(4, "big") + header
    return signed + key.sign(signed)


def write(name: str, value: dict) -> None:
    (HERE / name).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
