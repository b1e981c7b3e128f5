"""One damaged application never blocks the others: a flipped byte in one sealed item, or an
answer that is no text (a lone surrogate), is named and shown as damaged; lists, ``inbox show``
of the others and ``inbox export`` go on."""

from __future__ import annotations

import csv
import io
import json

import pytest

from kiosk import refcode
from kiosk.cli import main
from kiosk.forms import builtin_forms_dir, load_form
from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, item_digest, seal_item
from sync.envelope import items as envelope_items
from sync.inbox import Inbox
from sync.keys import enrolment_request_path, init_kiosk, init_townhall, load_townhall_public, townhall_public_keys_path
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
def townhall(tmp_path, server_database):
    """A town hall with one enrolled kiosk that signs its items; returns (folder, signing key).
    Its records on SQLite and on PostgreSQL."""
    townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk_dir, kiosk_id="kiosk-lueder", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-lueder"))
    from sync.keys import load_kiosk_keys

    return townhall_dir, load_kiosk_keys(kiosk_dir).signing


_batches = iter(range(1, 10_000))


def arrive(townhall_dir, signing, answers=ANSWERS, *, flip_at=None, minute=0):
    reference = refcode.new_reference()
    public = load_townhall_public(townhall_public_keys_path(townhall_dir))
    meta = ItemMeta("kita_erstattung", KITA.version, KITA.content_hash, "kiosk-lueder", reference, "2026-03-02T09:15:00Z")
    sealed = seal_item(meta, answers, public.encryption, signing)
    if flip_at is not None:
        damaged = bytearray(sealed)
        damaged[flip_at(len(sealed))] ^= 0x01
        sealed = bytes(damaged)
    n = next(_batches)
    batch_id = f"{n:032x}"
    item = ItemRecord(
        reference, item_digest(sealed), batch_id, "kiosk-lueder", "kita_erstattung", KITA.version,
        KITA.content_hash, meta.captured_at, f"2026-03-02T10:{minute:02d}:00Z", sealed,
    )
    with open_storage(townhall_dir) as storage:
        storage.store_batch(BatchRecord(batch_id, "kiosk-lueder", n, meta.captured_at, item.received_at, (item.digest,)), [item])
    return reference


@pytest.fixture
def planted(townhall, monkeypatch):
    """Three applications: a good one, one with a flipped byte, one with a lone surrogate."""
    townhall_dir, signing = townhall
    good = arrive(townhall_dir, signing, minute=1)
    flipped = arrive(townhall_dir, signing, flip_at=lambda size: size - 100, minute=2)
    # A stolen kiosk writes the JSON itself: "\ud800" is valid JSON but no text.
    with monkeypatch.context() as patch:
        patch.setattr(envelope_items, "_encode_answers", lambda answers: json.dumps(answers).encode("ascii"))
        surrogate = arrive(townhall_dir, signing, {**ANSWERS, "parent_name": "Erika \ud800"}, minute=3)
    later = arrive(townhall_dir, signing, {**ANSWERS, "child_name": "Lena Mustermann"}, minute=4)
    return townhall_dir, good, flipped, surrogate, later


def test_export_leaves_out_the_damaged_ones_and_names_them(planted, tmp_path, capsys):
    townhall_dir, good, flipped, surrogate, later = planted
    out = tmp_path / "kita.csv"
    assert main(["inbox", "export", "--service", "kita_erstattung", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
    codes = [row[0] for row in rows[1:]]
    assert codes == [refcode.display(good), refcode.display(later)]
    assert "2 Anträge in" in captured.out
    assert refcode.display(flipped) in captured.err and refcode.display(surrogate) in captured.err
    assert "beschädigt" in captured.err


def test_export_to_standard_output_names_them_too(planted, capsysbinary):
    townhall_dir, good, flipped, surrogate, later = planted
    assert main(["inbox", "export", "--service", "kita_erstattung", "--format", "json", "--out", "-"]) == 0
    captured = capsysbinary.readouterr()
    document = json.loads(captured.out)
    assert [s["reference"] for s in document["submissions"]] == [good, later]
    err = captured.err.decode()
    assert refcode.display(flipped) in err and refcode.display(surrogate) in err


def test_show_of_a_damaged_one_is_one_plain_line_naming_it_and_the_others_still_open(planted, capsys):
    townhall_dir, good, flipped, surrogate, later = planted
    for damaged in (flipped, surrogate):
        assert main(["inbox", "show", damaged]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and "unerwartet" not in err.lower()
        assert refcode.display(damaged) in err and len(err.strip().splitlines()) == 1
    assert main(["inbox", "show", later]) == 0
    assert "Lena Mustermann" in capsys.readouterr().out


def test_the_list_shows_which_are_damaged_and_still_lists_all(planted, capsys):
    townhall_dir, good, flipped, surrogate, later = planted
    assert main(["inbox", "show", surrogate]) == 1  # found out at opening; remembered from then on
    capsys.readouterr()
    assert main(["inbox", "list", "--all"]) == 0
    out = capsys.readouterr().out
    lines = {code: next(line for line in out.splitlines() if refcode.display(code) in line) for code in planted[1:]}
    assert "BESCHÄDIGT" in lines[flipped] and "BESCHÄDIGT" in lines[surrogate]  # before anyone opened it
    assert "BESCHÄDIGT" not in lines[good] and "BESCHÄDIGT" not in lines[later]
    assert "2 Anträge sind beschädigt" in out


def test_the_library_hands_the_damaged_ones_back_by_name(planted):
    townhall_dir, good, flipped, surrogate, later = planted
    with Inbox(townhall_dir, lang="en") as inbox:
        opened, damaged = inbox.checked_submissions("kita_erstattung")
        assert [s.meta.code for s in opened] == [good, later]
        assert {d.code: d.reason for d in damaged} == {flipped: "bad_signature", surrogate: "not_text"}
        assert "not text" in damaged[1].describe("en")
        entries = {e.code: e for e in inbox.list("all")}
        assert entries[surrogate].damaged == "not_text"  # marked when the export met it



def test_a_mark_goes_when_the_application_opens_after_all(townhall):
    # E.g. it was sealed for an earlier key that was missing and has been restored from the backup.
    townhall_dir, signing = townhall
    code = arrive(townhall_dir, signing)
    with open_storage(townhall_dir) as storage:
        storage.mark_damaged(("kiosk-lueder", code), "wrong_recipient", "2026-03-03T08:00:00Z")
    with Inbox(townhall_dir, lang="de") as inbox:
        assert inbox.list("all")[0].damaged == "wrong_recipient"
        inbox.open(code)
        assert inbox.list("all")[0].damaged is None
