"""The compact acknowledgement ``rathaus-ack/2`` (tests/vectors/envelope/ack2.json): its bytes are
what section 6 of docs/envelope.md says, it verifies only for its kiosk, batch id and batch bytes,
and settling it keeps every refused item and only those."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError
from sync.envelope.acks import settle, verify_ack

VECTOR = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "envelope" / "ack2.json").read_text("utf-8"))
ACK = VECTOR["ack"]


def _key(label: str):
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode("ascii")).digest()).public_key()


TOWNHALL = _key(VECTOR["townhall_signing_label"])


def test_the_bytes_are_magic_line_length_prefixed_header_and_signature_only():
    data = base64.b64decode(ACK["data_base64"])
    header = ACK["header_json"].encode("utf-8")
    assert data.startswith(b"rathaus-ack/2\n")
    (length,) = struct.unpack(">I", data[14:18])
    assert data[18 : 18 + length] == header and len(data) == 18 + length + 64
    assert ACK["signed_length"] == 18 + length and data[-64:].hex() == ACK["signature_hex"]
    TOWNHALL.verify(data[-64:], data[:-64])  # over every byte before it, as transmitted


def test_the_vector_verifies_and_settles_as_written():
    data = base64.b64decode(ACK["data_base64"])
    ack = verify_ack(
        data, TOWNHALL, batch_id=ACK["batch_id"], kiosk_id=ACK["kiosk_id"], batch_digest=ACK["batch_digest"]
    )
    assert (ack.version, ack.item_count, ack.received_at) == (2, 3, "2026-03-23T10:00:05Z")
    settlement = settle(ack, ACK["batch_item_digests"])
    assert list(settlement.held) == ACK["expected_held"]
    assert settlement.refused == ACK["expected_refused"]


@pytest.mark.parametrize("case", VECTOR["negative"], ids=lambda case: case["name"])
def test_each_negative_vector_is_refused_with_its_code(case):
    data = base64.b64decode(case["data_base64"])
    with pytest.raises(EnvelopeError) as refused:
        ack = verify_ack(
            data,
            TOWNHALL,
            batch_id=case.get("batch_id", ACK["batch_id"]),
            kiosk_id=case.get("kiosk_id", ACK["kiosk_id"]),
            batch_digest=case.get("batch_digest", ACK["batch_digest"]),
        )
        settle(ack, case.get("batch_item_digests", ACK["batch_item_digests"]))
    assert refused.value.code == case["expect_code"]
