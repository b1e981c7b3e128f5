"""The committed download vectors (tests/vectors/downloads/) verify and fail as docs/downloads.md
says, and the generator still writes exactly the committed bytes (everything in them is
deterministic, so a difference is a format change)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError
from sync.envelope import parse_timestamp
from sync.envelope.downloads import (
    key_updates_to_follow,
    verify_download_request,
    verify_download_with_keys,
)
from sync.keys import parse_townhall_public_bytes

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "downloads"


def _load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


KEYS = _load("keys.json")["keys"]


def _public(name: str):
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(KEYS[name]["private_hex"])).public_key()


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _signing_key_of(data: bytes):
    return parse_townhall_public_bytes(data, Path("townhall.json")).signing


def _verify(vector: dict, data: bytes):
    pinned_key = vector.get("pinned_signing_key") or vector["key"]
    pinned = _b64(vector["pinned_townhall_base64"]) if "pinned_townhall_base64" in vector else b""
    return verify_download_with_keys(
        data,
        kiosk_id=vector["kiosk_id"],
        pinned=pinned,
        pinned_signing_key=_public(pinned_key),
        signing_key_of=_signing_key_of,
    )


def test_the_request_vector_is_fresh_at_its_recorded_time():
    vector = _load("signed.json")["request"]
    request = verify_download_request(
        _b64(vector["data_base64"]), _public(vector["key"]), now=parse_timestamp(vector["now"])
    )
    assert request.kiosk_id == vector["kiosk_id"] and request.channels == vector["channels"]


@pytest.mark.parametrize("name", ["answer", "plain_answer"])
def test_the_answer_vectors_verify_from_the_pinned_keys_and_hold_what_they_say(name):
    vector = _load("signed.json")[name]
    download = _verify(vector, _b64(vector["data_base64"]))
    for channel, expected in vector["expect"].items():
        part = download.parts[channel]
        assert (part.from_version, part.version) == (expected["from_version"], expected["version"])
        if channel == "status":
            assert [u.serial for u in part.entries] == expected["serials"] and part.more == expected["more"]
        if channel == "keys":
            to_pin, trusted = key_updates_to_follow(
                part,
                pinned=_b64(vector["pinned_townhall_base64"]),
                pinned_signing_key=_public(vector["pinned_signing_key"]),
                signing_key_of=_signing_key_of,
            )
            assert [update.townhall for update in to_pin] == [_b64(expected["pin_base64"])]
            assert trusted.public_bytes_raw() == _public(vector["signed_by"]).public_bytes_raw()
            assert to_pin[0].signed_by == KEYS[vector["pinned_signing_key"]]["key_id"]
            _public(vector["pinned_signing_key"]).verify(
                to_pin[0].signature, _b64(vector["key_update_signed_bytes_base64"])
            )


@pytest.mark.parametrize("case", _load("negative.json")["cases"], ids=lambda case: case["name"])
def test_every_negative_vector_is_refused_with_its_code(case):
    data = _b64(case["data_base64"])
    with pytest.raises(EnvelopeError) as caught:
        if case["operation"] == "verify_download_request":
            now = parse_timestamp(case["now"])
            verify_download_request(data, _public(case["key"]), now=now)
        else:
            _verify(case, data)
    assert caught.value.code == case["expect_code"]


def test_the_generator_writes_exactly_the_committed_vectors(tmp_path):
    copy = tmp_path / "downloads"
    copy.mkdir()
    source = (VECTORS / "make_vectors.py").read_text(encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    script = copy / "make_vectors.py"
    script.write_text(
        source.replace("HERE.parents[2]", repr(str(root))), encoding="utf-8"
    )
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, cwd=root)
    for name in ("keys.json", "signed.json", "negative.json"):
        assert (copy / name).read_bytes() == (VECTORS / name).read_bytes(), name
