"""Generate the booking test vectors (docs/booking.md §9–10); the JSON output is committed.

Run from the repository root: ``.venv/bin/python tests/vectors/booking/make_vectors.py``.
Everything is deterministic (fixed salt and nonce for the record box), so running it again writes
the same files; a change in them means the format changed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from booking.record_box import MEMORY_KIB, PARALLELISM, TIME_COST, derive_key, seal_record  # noqa: E402

REFERENCE = "7KQM2X9TJ"
BIRTH = dt.date(1942, 3, 5)
RECORD = {
    "given_by": "Dr. Weber",
    "given_on": "2026-12-08",
    "lot": "AB1234",
    "place": "Rathaus Tangerhütte, Raum 12",
    "vaccine": "Influenza (Influvac Tetra)",
}

VALID_ENTRIES = [
    {"kind": "info", "horizon_days": 21, "lead_minutes": 1440},
    {"kind": "place", "id": "rathaus", "name": {"de": "Rathaus Tangerhütte, Bürgerbüro", "en": "Tangerhütte town hall"}},
    {
        "kind": "service", "id": "buergerbuero", "form": "termin_buergerbuero",
        "title": {"de": "Termin im Bürgerbüro", "en": "Citizens' office appointment"}, "minutes": 20,
        "vaccination": False, "days": [["2026-12-14", "am", "pm"], ["2026-12-15", "am"]],
    },
    {
        "kind": "quota", "unit": "buergerbuero@rathaus@2026-12-14T09:00#1", "service": "buergerbuero",
        "place": "rathaus", "start": "2026-12-14T09:00+01:00", "end": "2026-12-14T09:20+01:00",
    },
    {
        "kind": "answer", "reference": "7KQM2X9TJ", "state": "confirmed", "service": "buergerbuero",
        "place": "rathaus", "start": "2026-12-15T10:40+01:00", "end": "2026-12-15T11:00+01:00", "reason": "",
    },
    {
        "kind": "answer", "reference": "7KQM2X9TJ", "state": "declined", "service": "buergerbuero",
        "place": "", "start": "", "end": "", "reason": "no_free_time",
    },
]


def negative_entries() -> list[dict]:
    quota = VALID_ENTRIES[3]
    answer = VALID_ENTRIES[4]
    return [
        {"name": "unknown_kind", "entry": {"kind": "weather"}, "code": "malformed"},
        {"name": "extra_key", "entry": {**VALID_ENTRIES[0], "colour": "red"}, "code": "malformed"},
        {"name": "missing_key", "entry": {k: v for k, v in quota.items() if k != "end"}, "code": "malformed"},
        {"name": "quota_unit_of_another_service", "entry": {**quota, "service": "impfung"}, "code": "malformed"},
        {"name": "quota_time_without_offset", "entry": {**quota, "start": "2026-12-14T09:00"}, "code": "malformed"},
        {"name": "answer_bad_check_symbol", "entry": {**answer, "reference": "7KQM2X9TA"}, "code": "malformed"},
        {"name": "answer_unknown_state", "entry": {**answer, "state": "maybe"}, "code": "malformed"},
        {"name": "answer_reason_with_control_character", "entry": {**answer, "reason": "a\x07b"}, "code": "malformed"},
        {"name": "place_name_too_long", "entry": {**VALID_ENTRIES[1], "name": {"de": "x" * 201}}, "code": "malformed"},
        {"name": "service_day_not_a_date", "entry": {**VALID_ENTRIES[2], "days": [["2026-02-30", "am"]]}, "code": "malformed"},
    ]


def record_vector() -> dict:
    salt = hashlib.sha256(b"rathaus-vector record salt").digest()[:16]
    nonce = hashlib.sha256(b"rathaus-vector record nonce").digest()[:12]
    sealed = seal_record(REFERENCE, BIRTH, RECORD, salt=salt, nonce=nonce)
    key = derive_key(b"rathaus-vaccination-record/1", REFERENCE, BIRTH, salt)
    return {
        "argon2id": {"time_cost": TIME_COST, "memory_kib": MEMORY_KIB, "parallelism": PARALLELISM, "hash_len": 32},
        "password": base64.b64encode(b"rathaus-vaccination-record/1\n" + f"{REFERENCE}|{BIRTH.isoformat()}".encode()).decode(),
        "reference": REFERENCE,
        "birth_date": BIRTH.isoformat(),
        "wrong_birth_date": "1942-03-06",
        "record": RECORD,
        "plaintext": json.dumps(RECORD, sort_keys=True, ensure_ascii=False),
        "associated_data": "rathaus-vaccination-record/1" + REFERENCE,
        "key_hex": key.hex(),
        "entry": {"kind": "vaccination", **sealed.to_json()},
    }


def main() -> None:
    calendar = {"valid": VALID_ENTRIES, "negative": negative_entries()}
    (HERE / "calendar.json").write_text(json.dumps(calendar, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (HERE / "record.json").write_text(json.dumps(record_vector(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
