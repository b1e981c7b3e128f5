"""The committed booking vectors (tests/vectors/booking/): calendar entries are read or refused as
docs/booking.md §10 says, the vaccination record box opens as §9 says, and the generator still
writes exactly the committed bytes."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from booking.record_box import WrongSecret, open_record
from kiosk.appointments.calendar import KioskCalendar
from kiosk.errors import EnvelopeError
from sync.envelope.calendar import check_calendar_entry

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "booking"
CALENDAR = json.loads((VECTORS / "calendar.json").read_text(encoding="utf-8"))
RECORD = json.loads((VECTORS / "record.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("entry", CALENDAR["valid"], ids=lambda e: e["kind"])
def test_every_valid_calendar_entry_is_read(entry):
    assert check_calendar_entry(entry, 0) == entry


@pytest.mark.parametrize("case", CALENDAR["negative"], ids=lambda c: c["name"])
def test_every_negative_calendar_entry_is_refused_with_its_code(case):
    with pytest.raises(EnvelopeError) as refused:
        check_calendar_entry(case["entry"], 0)
    assert refused.value.code == case["code"]


def test_the_record_box_opens_with_code_and_birth_date_only():
    entry = check_calendar_entry(RECORD["entry"], 0)
    sealed = KioskCalendar.from_entries([entry]).records[RECORD["reference"]]
    birth = dt.date.fromisoformat(RECORD["birth_date"])
    assert open_record(sealed, RECORD["reference"], birth) == RECORD["record"]
    # the box is plain ChaCha20-Poly1305 under the committed key: another implementation can check it
    plain = ChaCha20Poly1305(bytes.fromhex(RECORD["key_hex"])).decrypt(
        base64.b64decode(entry["nonce"]), base64.b64decode(entry["box"]), RECORD["associated_data"].encode()
    )
    assert plain.decode() == RECORD["plaintext"]
    with pytest.raises(WrongSecret):
        open_record(sealed, RECORD["reference"], dt.date.fromisoformat(RECORD["wrong_birth_date"]))


def test_the_generator_writes_the_committed_vectors(tmp_path):
    before = {name: (VECTORS / name).read_bytes() for name in ("calendar.json", "record.json")}
    subprocess.run([sys.executable, str(VECTORS / "make_vectors.py")], check=True, timeout=120)
    after = {name: (VECTORS / name).read_bytes() for name in before}
    assert after == before
