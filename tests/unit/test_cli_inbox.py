"""``rathaus inbox ...`` as staff use it: German by default, one plain line when something is wrong."""

from __future__ import annotations

import csv
import io
import os
import stat

import pytest

from kiosk import refcode
from kiosk.cli import main
from kiosk.forms import builtin_forms_dir, load_form
from sync.envelope import ItemMeta, item_digest, seal_item
from sync.keys import init_townhall, load_townhall_public, townhall_public_keys_path
from sync.server.storage import BatchRecord, ItemRecord, open_storage

KITA = load_form(builtin_forms_dir() / "kita_erstattung.toml")
ANSWERS = {
    "parent_name": "Erika Mustermann",
    "address": {"street": "Lindenweg", "number": "7", "postcode": "39517", "town": "Tangerhütte"},
    "child_name": "Paul Mustermann",
    "child_birth_date": "2019-08-14",
    "kita": "regenbogen",
    "months": ["2021-03"],
    "monthly_fee": "120.00",
    "account_holder": "Erika Mustermann",
    "iban": "DE89370400440532013000",
    "confirmation": True,
}


@pytest.fixture
def townhall_dir(tmp_path):
    directory = tmp_path / "townhall"  # the default data directory of every test (conftest)
    init_townhall(directory, name="Einheitsgemeinde Tangerhütte")
    return directory


def _arrive(townhall_dir, reference, *, kiosk_id="kiosk-lueder", batch_id="b" * 32, answers=ANSWERS, form_id="kita_erstattung"):
    public = load_townhall_public(townhall_public_keys_path(townhall_dir))
    meta = ItemMeta(form_id, KITA.version, KITA.content_hash, kiosk_id, reference, "2026-03-02T09:15:00Z")
    sealed = seal_item(meta, answers, public.encryption)
    item = ItemRecord(
        reference, item_digest(sealed), batch_id, kiosk_id, form_id, KITA.version,
        KITA.content_hash, meta.captured_at, "2026-03-02T10:00:00Z", sealed,
    )
    with open_storage(townhall_dir) as storage:
        storage.store_batch(BatchRecord(batch_id, kiosk_id, 1, "2026-03-02T09:30:00Z", item.received_at, (item.digest,)), [item])


@pytest.fixture
def code(townhall_dir):
    reference = refcode.new_reference()
    _arrive(townhall_dir, reference)
    return reference


def test_an_empty_inbox_says_so(townhall_dir, capsys):
    assert main(["inbox", "list"]) == 0
    assert capsys.readouterr().out.strip() == "Keine neuen Anträge."


def test_list_shows_the_receipt_code_and_the_service_in_german(code, capsys):
    assert main(["inbox", "list"]) == 0
    out = capsys.readouterr().out
    assert refcode.display(code) in out
    assert "Kita-Beiträge zurückbekommen" in out
    assert "eingegangen" in out
    assert "1 Antrag." in out

    assert main(["inbox", "list", "--service", "hausnummer"]) == 0
    assert capsys.readouterr().out.strip() == "Keine neuen Anträge."


def test_show_opens_the_application_as_typed_from_the_receipt(code, capsys):
    typed = refcode.display(code).lower().replace("-", " ")
    assert main(["inbox", "show", typed]) == 0
    out = capsys.readouterr().out
    assert "Welche Kita besucht Ihr Kind?" in out
    assert "Kita „Regenbogen“, Lüderitz" in out
    assert "120,00\xa0€" in out

    assert main(["inbox", "list"]) == 0  # opened: no longer new
    assert capsys.readouterr().out.strip() == "Keine neuen Anträge."


def test_a_mistyped_code_is_one_plain_line_without_traceback(code, capsys):
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert main(["inbox", "show", wrong]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rathaus inbox: ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_export_writes_a_spreadsheet_for_the_back_office(code, tmp_path, capsys):
    out = tmp_path / "kita.csv"
    assert main(["inbox", "export", "--service", "kita_erstattung", "--format", "csv", "--out", str(out)]) == 0
    assert "1 Antrag in" in capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Beleg-Code"
    assert rows[1][0] == refcode.display(code)
    assert "Erika Mustermann" in rows[1]


def test_pdf_is_written_for_the_owner_only(code, tmp_path, capsys):
    out = tmp_path / "akte.pdf"
    assert main(["inbox", "pdf", code, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert str(out) in capsys.readouterr().out


def test_a_rejection_needs_a_reason_and_then_shows_in_the_list(code, capsys):
    assert main(["inbox", "status", code, "rejected"]) == 1
    assert "Bitte nennen Sie den Grund für die Ablehnung" in capsys.readouterr().err

    assert main(["inbox", "status", code, "rejected", "--message", "Die Kita war im März geöffnet."]) == 0
    out = capsys.readouterr().out
    assert "abgelehnt" in out and "Nr. 1" in out

    assert main(["inbox", "status", code, "accepted"]) == 0
    assert "Nr. 2" in capsys.readouterr().out
    assert main(["inbox", "list", "--all"]) == 0
    assert "bewilligt" in capsys.readouterr().out


def test_english_when_the_shell_speaks_english(code, capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    assert main(["inbox", "status", code, "needs_information"]) == 1
    assert "Please say which information is missing" in capsys.readouterr().err


def test_out_dash_sends_the_file_to_standard_output(code, capsysbinary):
    assert main(["inbox", "pdf", code, "--out", "-"]) == 0
    assert capsysbinary.readouterr().out.startswith(b"%PDF")

    assert main(["inbox", "export", "--service", "kita_erstattung", "--format", "json", "--out", "-"]) == 0
    captured = capsysbinary.readouterr()
    assert b'"reference": "' + code.encode() + b'"' in captured.out
    assert "1 Antrag exportiert." in captured.err.decode()


def test_a_code_two_kiosks_drew_asks_for_the_kiosk(townhall_dir, code, capsys):
    _arrive(townhall_dir, code, kiosk_id="kiosk-grieben", batch_id="c" * 32, answers={**ANSWERS, "parent_name": "Max Grieben"})

    assert main(["inbox", "show", code]) == 1
    err = capsys.readouterr().err
    assert "--kiosk" in err and "kiosk-grieben" in err and "kiosk-lueder" in err

    assert main(["inbox", "show", code, "--kiosk", "kiosk-grieben"]) == 0
    assert "Max Grieben" in capsys.readouterr().out
    assert main(["inbox", "status", code, "accepted", "--kiosk", "kiosk-grieben"]) == 0
    assert main(["inbox", "list", "--all"]) == 0
    listing = capsys.readouterr().out
    assert "bewilligt" in listing and "eingegangen" in listing


def test_escape_codes_from_a_stolen_kiosk_never_reach_the_staff_terminal(townhall_dir, capsys):
    # An honest kiosk strips control characters; a stolen one signs whatever it likes until revoked.
    reference = refcode.new_reference()
    hostile = {**ANSWERS, "parent_name": "Erika\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J", "extra\x1b[31m": "x\x9bq"}
    _arrive(townhall_dir, reference, answers=hostile)
    assert main(["inbox", "show", reference]) == 0
    out = capsys.readouterr().out
    assert "Erika" in out and "extra" in out
    assert not any(ch in out for ch in "\x1b\x07\x9b")


def _one_plain_line(err: str) -> None:
    assert err.startswith("rathaus inbox: ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["pdf", "{code}", "--out", "{missing}/akte.pdf"],
        ["export", "--service", "kita_erstattung", "--out", "{missing}/sub/kita.csv"],
    ],
    ids=["pdf", "export"],
)
def test_a_missing_output_folder_is_refused_and_never_created(code, tmp_path, capsys, argv):
    missing = tmp_path / "Ablage" / "2026"
    argv = [part.format(code=code, missing=missing) for part in argv]
    assert main(["inbox", *argv]) == 1
    err = capsys.readouterr().err
    _one_plain_line(err)
    assert "gibt es nicht" in err and str(tmp_path / "Ablage") in err
    assert not (tmp_path / "Ablage").exists()
    assert main(["inbox", "list"]) == 0  # nothing was opened on the way
    assert refcode.display(code) in capsys.readouterr().out


@pytest.mark.parametrize("command", ["pdf", "export"])
def test_an_output_path_that_is_a_folder_gets_a_german_line_without_os_text(code, tmp_path, capsys, command):
    folder = tmp_path / "Ablage"
    folder.mkdir()
    argv = ["pdf", code] if command == "pdf" else ["export", "--service", "kita_erstattung"]
    assert main(["inbox", *argv, "--out", str(folder)]) == 1
    err = capsys.readouterr().err
    _one_plain_line(err)
    assert f"{folder} ist ein Ordner" in err
    assert "directory" not in err.lower() and "Errno" not in err
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    "argv", [["list", "--service", "kita"], ["export", "--service", "kita", "--out", "-"]], ids=["list", "export"]
)
def test_an_unknown_service_id_is_named_with_the_possible_ones(code, capsys, argv):
    assert main(["inbox", *argv]) == 1
    captured = capsys.readouterr()
    _one_plain_line(captured.err)
    assert captured.err.startswith("rathaus inbox: Unbekanntes Anliegen 'kita'. Möglich: ")
    possible = captured.err.strip().split("Möglich: ", 1)[1].split(", ")
    assert {"kita_erstattung", "hausnummer", "nachricht"} <= set(possible)
    assert captured.out == ""


def test_a_service_only_known_from_what_arrived_is_offered_too(townhall_dir, capsys):
    # A service the town hall's folders no longer describe still has applications to work on.
    reference = refcode.new_reference()
    _arrive(townhall_dir, reference, form_id="sperrmuell")
    assert main(["inbox", "list", "--service", "sperrmuel"]) == 1
    assert "sperrmuell" in capsys.readouterr().err.split("Möglich: ", 1)[1]
    assert main(["inbox", "list", "--service", "sperrmuell"]) == 0
    assert refcode.display(reference) in capsys.readouterr().out


def test_show_warns_that_an_unsigned_application_cannot_be_traced_to_its_kiosk(code, capsys):
    assert main(["inbox", "show", code]) == 0
    out = capsys.readouterr().out
    assert "Achtung:" in out and "nicht prüfen, ob Kiosk kiosk-lueder" in out


def test_show_refuses_an_application_no_enrolled_kiosk_signed(townhall_dir, capsys):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    reference = refcode.new_reference()
    public = load_townhall_public(townhall_public_keys_path(townhall_dir))
    meta = ItemMeta("kita_erstattung", KITA.version, KITA.content_hash, "kiosk-lueder", reference, "2026-03-02T09:15:00Z")
    sealed = seal_item(meta, ANSWERS, public.encryption, Ed25519PrivateKey.generate())
    item = ItemRecord(
        reference, item_digest(sealed), "c" * 32, "kiosk-lueder", "kita_erstattung", KITA.version,
        KITA.content_hash, meta.captured_at, "2026-03-02T10:00:00Z", sealed,
    )
    with open_storage(townhall_dir) as storage:
        storage.store_batch(BatchRecord("c" * 32, "kiosk-lueder", 1, meta.captured_at, item.received_at, (item.digest,)), [item])
    assert main(["inbox", "show", reference]) == 1
    captured = capsys.readouterr()
    assert "gefälscht" in captured.err and "Erika" not in captured.out + captured.err


def test_openings_on_the_command_line_are_in_the_workplace_access_log_without_content(code, townhall_dir, capsys, monkeypatch, tmp_path):
    from sync.workplace.accounts import open_accounts

    monkeypatch.setenv("SUDO_USER", "m.schulz")
    assert main(["inbox", "show", code]) == 0
    assert main(["inbox", "pdf", code, "--out", str(tmp_path / "a.pdf")]) == 0
    assert main(["inbox", "export", "--service", "kita_erstattung", "--out", str(tmp_path / "k.csv")]) == 0
    assert main(["inbox", "status", code, "in_progress"]) == 0
    with open_accounts(townhall_dir) as accounts:
        records = accounts.access_log(reference=code)
    assert [(r.action, r.username, r.kiosk_id, r.service) for r in reversed(records)] == [
        (action, "m.schulz (rathaus inbox)", "kiosk-lueder", "kita_erstattung") for action in ("open", "pdf", "export", "status")
    ]
    assert "Mustermann" not in (townhall_dir / "staff" / "staff.db").read_bytes().decode("latin-1")
