"""``rathaus volunteers``, ``rathaus powers``, ``rathaus inbox show`` of an assisted application and
``rathaus inbox audit``, as staff use them (German by default, English with RATHAUS_LANG=en)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from kiosk import assistance
from kiosk.cli import main
from kiosk.forms import builtin_forms_dir, load_form
from tests.assisted_support import cheap_argon2, town_and_kiosk
from tests.unit.test_assisted_library import MESSAGE, _send

NACHRICHT = load_form(builtin_forms_dir() / "nachricht.toml")
LAST_DAY = (dt.date.today() + dt.timedelta(days=60)).isoformat()


@pytest.fixture
def town(enrol, monkeypatch):
    cheap_argon2(monkeypatch)
    monkeypatch.setenv("RATHAUS_LANG", "en")
    setup = town_and_kiosk(enrol)
    monkeypatch.setenv("RATHAUS_TOWNHALL_DIR", str(setup.townhall_dir))
    yield setup
    setup.runtime.close()


def test_enrol_list_and_revoke_a_volunteer_secrets_shown_once_and_kept_only_hashed(town, capsys):
    assert main(["volunteers", "add", "Anna Meier", "--valid-until", LAST_DAY]) == 0
    out = capsys.readouterr().out
    assert "Volunteer V0001 enrolled: Anna Meier (kiosks show 'Anna M.')" in out
    badge = out.split("Badge code (print it as a QR code): ")[1].split()[0]
    pin = out.split("PIN (hand it over in person): ")[1].split()[0]
    stored = (town.townhall_dir / "assistance.db").read_bytes()
    assert badge.encode() not in stored and badge.split(".")[2].encode() not in stored and pin.encode() not in stored

    assert main(["volunteers", "list"]) == 0
    assert f"V0001  Anna Meier  (Anna M.)  until {LAST_DAY}" in capsys.readouterr().out
    assert main(["volunteers", "revoke", "V0001", "--reason", "moved away"]) == 0
    assert "Kiosks refuse them from their next exchange on." in capsys.readouterr().out
    assert main(["volunteers", "list"]) == 0
    assert "revoked 20" in capsys.readouterr().out
    assert main(["volunteers", "new-pin", "V0001"]) == 1
    assert "The volunteer V0001 is revoked." in capsys.readouterr().err
    assert main(["volunteers", "add", "Bernd", "--valid-until", "soon"]) == 1
    assert "must be a date like 2027-06-30" in capsys.readouterr().err


def test_a_power_of_attorney_shown_by_inbox_show_and_the_audit_checked(town, capsys, monkeypatch):
    assert main([
        "powers", "add", "--principal", "Maria Schulze", "--agent", "Karl Schulze", "--service", "nachricht",
        "--valid-from", dt.date.today().isoformat(), "--valid-until", LAST_DAY, "--paper", "Vollmacht 7/2026",
    ]) == 0
    code = capsys.readouterr().out.split("(as text and QR code): ")[1].split()[0]
    town.fetch()
    visit = assistance.give_consent(town.runtime, assistance.sign_in_with_code(town.runtime, code).visit)
    queued = town.runtime.submit(NACHRICHT, dict(MESSAGE), assistance=visit)
    _send(town)

    assert main(["inbox", "show", queued.reference]) == 0
    shown = capsys.readouterr().out
    assert "Filed by Karl S. on behalf of Maria S. under power of attorney P0001." in shown
    assert "paper reference Vollmacht 7/2026" in shown
    assert "The power of attorney was valid for this service when the application was made." in shown
    assert "@assistance" not in shown

    assert main(["inbox", "audit"]) == 0
    assert "kiosk-lueder: 3 entries, chain intact." in capsys.readouterr().out
    with sqlite3.connect(town.townhall_dir / "assistance.db") as db:
        db.execute("DELETE FROM audit_entries WHERE seq = 2")
    assert main(["inbox", "audit"]) == 1
    out = capsys.readouterr().out
    assert "kiosk-lueder: 2 entries, PROBLEMS:" in out and "entries 2 to 2 are missing" in out


def test_lock_out_survives_a_restart_of_the_kiosk(town, capsys):
    from kiosk.runtime import open_runtime

    assert main(["volunteers", "add", "Anna Meier", "--valid-until", LAST_DAY]) == 0
    pin = capsys.readouterr().out.split("PIN (hand it over in person): ")[1].split()[0]
    town.fetch()
    wrong = "000000" if pin != "000000" else "111111"
    for _ in range(3):
        assistance.sign_in_with_pin(town.runtime, "V0001", wrong)
    town.runtime.close()
    town.runtime = open_runtime(town.kiosk_dir)
    after_restart = assistance.sign_in_with_pin(town.runtime, "V0001", pin)
    assert after_restart.visit is None and after_restart.problem == assistance.LOCKED
    assert after_restart.wait_seconds > 0


def test_wrong_pause_codes_meet_the_lock_out(town):
    from assisted_mode.pause import new_pause_code
    from kiosk.pause import LOCKED, WRONG, resume_application

    tries = [resume_application(town.runtime, new_pause_code(), "en") for _ in range(4)]
    assert [t.problem for t in tries] == [WRONG, WRONG, WRONG, LOCKED]
    assert tries[-1].wait_seconds > 0


def test_the_badge_pdf_carries_a_qr_code_the_scanner_reads_as_the_badge_code(town, capsys, tmp_path):
    import io
    import os
    import stat
    import subprocess

    import pytest as _pytest

    badge = tmp_path / "badge.pdf"
    assert main(["volunteers", "add", "Anna Meier", "--valid-until", LAST_DAY, "--badge-pdf", str(badge)]) == 0
    code = capsys.readouterr().out.split("Badge code (print it as a QR code): ")[1].split()[0]
    assert badge.read_bytes().startswith(b"%PDF") and stat.S_IMODE(os.stat(badge).st_mode) == 0o600
    import shutil

    if shutil.which("pdftoppm") is None:
        _pytest.skip("needs Debian package poppler-utils")
    import zxingcpp
    from PIL import Image

    png = subprocess.run(["pdftoppm", "-png", "-r", "200", str(badge)], capture_output=True, check=True).stdout
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [result.text for result in found] == [code]


def test_a_power_for_a_service_the_town_hall_does_not_offer_or_that_refuses_representatives_is_not_recorded(town, capsys):
    """A mistyped service id would give a power no kiosk ever accepts; staff learn it at once."""
    common = ["--principal", "Maria Schulze", "--agent", "Karl Schulze", "--valid-from", "2026-01-01",
              "--valid-until", LAST_DAY, "--paper", "VM-17"]
    assert main(["powers", "add", "--service", "citizens_office_appointment", *common]) == 1
    err = capsys.readouterr().err
    assert "'citizens_office_appointment' is not a service of this town hall" in err
    assert "termin_buergerbuero" in err and "kita_erstattung" not in err  # the ones a power can name
    assert main(["powers", "add", "--service", "kita_erstattung", *common]) == 1
    assert "'kita_erstattung' cannot be applied for on someone else's behalf" in capsys.readouterr().err
    assert main(["powers", "list"]) == 0
    assert "P0001" not in capsys.readouterr().out
    assert main(["powers", "add", "--service", "termin_buergerbuero", *common]) == 0


def test_a_volunteer_whose_last_day_has_passed_is_not_enrolled(town, capsys):
    """2025 typed for 2027: staff hear it at once rather than the volunteer at the kiosk."""
    assert main(["volunteers", "add", "Anna Meier", "--valid-until", "2020-06-30"]) == 1
    assert "The last day 2020-06-30 has already passed." in capsys.readouterr().err
    assert main(["volunteers", "list"]) == 0
    assert "Anna Meier" not in capsys.readouterr().out
