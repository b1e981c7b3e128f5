"""The rules assisted mode rests on, without a kiosk: the sealed record, powers, codes, the chain."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assisted_mode import audit, credentials
from assisted_mode.powers import (
    EXPIRED, NOT_YET_VALID, REVOKED, UNKNOWN, VALID, WRONG_SERVICE, PowerTerms, check_power,
)
from assisted_mode.record import ASSISTANCE_KEY, AssistanceRecord, Helper, split_assistance, with_assistance
from kiosk.errors import EnvelopeError

AT = dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.timezone.utc)
TERMS = PowerTerms("P0001", ("nachricht", "termin_buergerbuero"), "2026-01-01", "2026-06-30")


def test_the_assistance_record_travels_beside_the_answers_and_comes_back_checked():
    record = AssistanceRecord(
        role="representative",
        helper=Helper("person", "Karl S."),
        consent_version="2026-1",
        consent_given_at="2026-03-02T09:10:00Z",
        principal="Maria S.",
        power_id="P0001",
    )
    sealed = with_assistance({"subject": "Hallo"}, record)
    answers, back = split_assistance(sealed)
    assert answers == {"subject": "Hallo"} and back == record
    assert split_assistance({"subject": "Hallo"}) == ({"subject": "Hallo"}, None)


@pytest.mark.parametrize(
    "change",
    [
        {"role": "boss"},
        {"power_id": "P1"},
        {"principal": ""},
        {"helper": {"kind": "volunteer", "id": "", "name": "Anna"}},
        {"consent": {"version": "2026-1"}},
        {"extra": 1},
    ],
)
def test_a_damaged_assistance_record_is_refused(change):
    good = {
        "role": "representative",
        "helper": {"kind": "person", "id": "", "name": "Karl S."},
        "principal": "Maria S.",
        "power_id": "P0001",
        "consent": {"version": "2026-1", "given_at": "2026-03-02T09:10:00Z"},
    }
    with pytest.raises(EnvelopeError):
        split_assistance({ASSISTANCE_KEY: {**good, **change}})


@pytest.mark.parametrize(
    "terms, service, at, standing",
    [
        (TERMS, "nachricht", AT, VALID),
        (TERMS, "kita_erstattung", AT, WRONG_SERVICE),
        (TERMS, "nachricht", dt.datetime(2026, 7, 1, 8, tzinfo=dt.timezone.utc), EXPIRED),
        (TERMS, "nachricht", dt.datetime(2025, 12, 31, 12, tzinfo=dt.timezone.utc), NOT_YET_VALID),
        # the last day counts in the town hall's time: 30 June 23:30 in Berlin is still valid
        (TERMS, "nachricht", dt.datetime(2026, 6, 30, 21, 30, tzinfo=dt.timezone.utc), VALID),
        (PowerTerms("P0001", TERMS.services, TERMS.valid_from, TERMS.valid_until, "2026-03-02T09:00:00Z"),
         "nachricht", AT, REVOKED),
        (PowerTerms("P0001", TERMS.services, TERMS.valid_from, TERMS.valid_until, "2026-03-02T10:00:00Z"),
         "nachricht", AT, VALID),
        (None, "nachricht", AT, UNKNOWN),
    ],
)
def test_one_rule_says_whether_a_power_of_attorney_holds(terms, service, at, standing):
    assert check_power(terms, service, at) == standing


def test_badge_and_power_codes_are_read_as_a_scanner_types_them():
    code = credentials.badge_code("V0007", "1" * 32)
    assert credentials.read_code(code.lower() + "\n").holder_id == "V0007"
    assert credentials.read_code(credentials.power_code("P0003", "2" * 32)).is_badge is False
    for typed in ("", "RKB.V0007.123", "RKB.P0007." + "1" * 32, "RKB.V0007." + "1" * 33, "x" * 500):
        assert credentials.read_code(typed) is None


# -- the chain --------------------------------------------------------------------------------------

KIOSK = "kiosk-lueder"


def _chain(count: int) -> list[audit.AuditEntry]:
    entries: list[audit.AuditEntry] = []
    for n in range(count):
        entry, _hash = audit.next_entry(
            KIOSK, entries[-1] if entries else None, at=f"2026-03-02T09:{n:02d}:00Z",
            action=audit.ACTIONS[n % len(audit.ACTIONS)], actor="V0007",
        )
        entries.append(entry)
    return entries


def _head(entries, key):
    last = entries[-1]
    return audit.sign_head(KIOSK, last.seq, audit.entry_hash(KIOSK, last), key)


def test_an_untouched_chain_has_no_problems():
    key = Ed25519PrivateKey.generate()
    entries = _chain(6)
    assert audit.check_chain(KIOSK, entries, [_head(entries[:3], key), _head(entries, key)], [key.public_key()]) == []


def test_rewriting_deleting_and_reordering_entries_is_each_caught():
    key = Ed25519PrivateKey.generate()
    entries = _chain(6)
    heads = [_head(entries, key)]
    public = [key.public_key()]

    rewritten = list(entries)
    rewritten[2] = audit.AuditEntry(**{**rewritten[2].__dict__, "action": audit.CONSENT, "actor": "V0008"})
    assert [p.kind for p in audit.check_chain(KIOSK, rewritten, heads, public)] == [audit.BROKEN_LINK]

    last_rewritten = list(entries)
    last_rewritten[-1] = audit.AuditEntry(**{**entries[-1].__dict__, "actor": "V0008"})
    assert [p.kind for p in audit.check_chain(KIOSK, last_rewritten, heads, public)] == [audit.HEAD_MISMATCH]

    deleted = entries[:2] + entries[3:]
    problems = audit.check_chain(KIOSK, deleted, heads, public)
    assert problems[0] == audit.ChainProblem(audit.GAP, 3, 3)

    reordered = list(entries)
    reordered[1], reordered[2] = reordered[2], reordered[1]
    assert audit.OUT_OF_ORDER in {p.kind for p in audit.check_chain(KIOSK, reordered, heads, public)}

    forged = [audit.sign_head(KIOSK, 6, heads[0].hash, Ed25519PrivateKey.generate())]
    assert [p.kind for p in audit.check_chain(KIOSK, entries, forged, public)] == [audit.BAD_HEAD_SIGNATURE]

    assert [p.kind for p in audit.check_chain(KIOSK, entries, [_head(entries[:4], key)], public)] == [
        audit.UNSIGNED_TAIL
    ]


def test_a_service_says_which_helpers_it_accepts_and_a_wrong_role_is_named(tmp_path):
    from kiosk.errors import FormDefinitionError
    from kiosk.forms import builtin_forms_dir, load_form

    source = (builtin_forms_dir() / "nachricht.toml").read_text(encoding="utf-8")
    assert load_form(builtin_forms_dir() / "nachricht.toml").assistance == ("assistant", "representative")
    assert load_form(builtin_forms_dir() / "kita_erstattung.toml").assistance == ("assistant",)
    nobody = tmp_path / "nobody.toml"
    nobody.write_text(source.replace('assistance = ["assistant", "representative"]', "assistance = []"), encoding="utf-8")
    assert load_form(nobody).assistance == ()
    unset = tmp_path / "unset.toml"
    unset.write_text(source.replace('assistance = ["assistant", "representative"]\n', ""), encoding="utf-8")
    assert load_form(unset).assistance == ("assistant",)
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(source.replace('"representative"]', '"lawyer"]'), encoding="utf-8")
    with pytest.raises(FormDefinitionError, match="lawyer"):
        load_form(wrong)


def test_a_paused_draft_opens_only_with_its_code_and_its_own_expiry(monkeypatch):
    from assisted_mode import pause

    monkeypatch.setattr(pause, "_cost", {"time_cost": 1, "memory_cost": 8, "parallelism": 1})
    code = pause.new_pause_code()
    assert len(code) == 12 and pause.read_pause_code(pause.display(code).lower()) == code
    assert pause.read_pause_code(code[:-1] + ("0" if code[-1] != "0" else "1")) is None  # check symbol
    salt = b"s" * 16
    key = pause.derive(code, salt)
    sealed = pause.seal_draft(key, "2026-12-20T10:00:00Z", {"answers": {"message": "geheim"}})
    assert b"geheim" not in sealed
    assert pause.open_draft(key, "2026-12-20T10:00:00Z", sealed) == {"answers": {"message": "geheim"}}
    assert pause.open_draft(key, "2027-12-20T10:00:00Z", sealed) is None  # expiry moved: refused
    other = pause.derive(pause.new_pause_code(), salt)
    assert other.lookup != key.lookup and pause.open_draft(other, "2026-12-20T10:00:00Z", sealed) is None
    assert pause.derive(code, b"t" * 16).lookup != key.lookup  # another kiosk: another row name


def test_the_printed_pause_slip_carries_the_code_and_its_qr_code():
    import io
    import shutil
    import subprocess

    from assisted_mode.pause import new_pause_code
    from kiosk.pause import PauseSlip
    from kiosk.pause_slip import pause_slip_pdf

    slip = PauseSlip(new_pause_code(), "nachricht", "2026-12-20T10:00:00Z")
    pdf = pause_slip_pdf(slip, municipality="Einheitsgemeinde Tangerhütte", lang="de")
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs Debian package poppler-utils")
    import zxingcpp
    from PIL import Image

    png = subprocess.run(["pdftoppm", "-png", "-r", "150", "-"], input=pdf, capture_output=True, check=True).stdout
    assert [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [slip.code]
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert slip.display_code in text and "20.12.2026" in text


def test_a_short_name_at_the_end_of_a_consent_sentence_gets_one_full_stop():
    from assisted_mode.consent import consent_text

    for lang in ("en", "de"):
        text = consent_text("representative", lang, helper="Karl S.", principal="Maria S.")
        assert "Maria S.." not in text and "Karl S.." not in text
        assert "Maria S." in text
    assert "Maria Schulze." in consent_text("representative", "en", helper="Karl S.", principal="Maria Schulze")
