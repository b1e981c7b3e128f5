"""The upload ticket (``rathaus-upload/1``): its committed vectors, its signature and its limits."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError
from sync.envelope.uploads import build_upload_ticket, parse_upload_ticket, verify_upload_ticket

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "upload" / "ticket.json").read_text(encoding="utf-8")
)
KIOSK_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"rathaus-vector kiosk signing").digest())
VECTOR_TIME = dt.datetime(2026, 3, 23, 9, 31, tzinfo=dt.timezone.utc)


def _fields(**changes):
    fields = dict(
        kiosk_id="kiosk-a",
        batch_id="ab" * 16,
        batch_digest="cd" * 32,
        length=123_456,
        signing_key=KIOSK_KEY,
    )
    fields.update(changes)
    return fields


def test_the_committed_vector_is_what_the_code_writes_and_reads():
    vector = VECTORS["valid"][0]
    ticket = bytes.fromhex(vector["ticket_hex"])
    assert build_upload_ticket(signing_key=KIOSK_KEY, **vector["fields"]) == ticket
    read = verify_upload_ticket(ticket, KIOSK_KEY.public_key(), now=VECTOR_TIME)
    assert read.__dict__ == vector["fields"]
    assert ticket.startswith(b"rathaus-upload/1\n")


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_the_committed_bad_tickets_fail_with_their_code(vector):
    with pytest.raises(EnvelopeError) as caught:
        verify_upload_ticket(bytes.fromhex(vector["ticket_hex"]), KIOSK_KEY.public_key(), now=VECTOR_TIME)
    assert caught.value.code == vector["error"]


def test_a_ticket_from_another_key_or_changed_on_the_way_is_refused():
    ticket = build_upload_ticket(**_fields())
    assert parse_upload_ticket(ticket).kiosk_id == "kiosk-a"  # readable before the key is known
    with pytest.raises(EnvelopeError) as caught:
        verify_upload_ticket(ticket, Ed25519PrivateKey.generate().public_key())
    assert caught.value.code == "bad_signature"
    changed = ticket.replace(b"123456", b"123457")
    with pytest.raises(EnvelopeError) as caught:
        verify_upload_ticket(changed, KIOSK_KEY.public_key())
    assert caught.value.code == "bad_signature"


def test_an_old_ticket_is_stale():
    ticket = build_upload_ticket(**_fields(created_at="2026-03-23T09:30:00Z"))
    later = dt.datetime(2026, 3, 23, 9, 41, tzinfo=dt.timezone.utc)
    with pytest.raises(EnvelopeError) as caught:
        verify_upload_ticket(ticket, KIOSK_KEY.public_key(), now=later)
    assert caught.value.code == "stale"


@pytest.mark.parametrize(
    "change",
    [
        {"length": 0},
        {"length": 8 * 1024 * 1024 + 1},
        {"batch_digest": "sha256:" + "cd" * 32},
        {"batch_id": "AB" * 16},
        {"kiosk_id": "Kiosk A"},
    ],
)
def test_fields_outside_the_spec_are_never_written(change):
    with pytest.raises(EnvelopeError) as caught:
        build_upload_ticket(**_fields(**change))
    assert caught.value.code == "malformed"
