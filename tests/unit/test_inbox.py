"""Staff inbox: what arrived sealed is read back exactly, labelled with the questions that were
asked, exported for the back office, printed for the file, and answered with checked statuses."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat

import pytest

from kiosk import refcode
from kiosk.errors import KeyFileError, RathausError, ReferenceCodeError
from kiosk.forms import builtin_forms_dir, display_answer, load_form
from sync.envelope import ItemMeta, item_digest, read_item_meta, seal_item
from sync.inbox import Inbox
from sync.keys import init_townhall, load_townhall_public, townhall_public_keys_path
from sync.server.storage import BatchRecord, ItemRecord, open_storage

KITA = load_form(builtin_forms_dir() / "kita_erstattung.toml")
HAUSNUMMER = load_form(builtin_forms_dir() / "hausnummer.toml")

KITA_ANSWERS = {
    "parent_name": "Erika Müller-Łukasz",
    "address": {"street": "Lindenweg", "number": "7", "postcode": "39517", "town": "Tangerhütte"},
    "child_name": "Paul Müller",
    "child_birth_date": "2019-08-14",
    "kita": "sonnenschein",
    "months": ["2021-01", "2021-02"],
    "monthly_fee": "145.50",
    "account_holder": '=HYPERLINK("http://example.invalid")',
    "iban": "DE89370400440532013000",
    "confirmation": True,
}


@pytest.fixture
def townhall_dir(tmp_path):
    directory = tmp_path / "townhall"
    init_townhall(directory, name="Einheitsgemeinde Tangerhütte")
    return directory


@pytest.fixture
def arrive(townhall_dir):
    """Store a sealed submission the way the intake does, without a kiosk or network."""
    public = load_townhall_public(townhall_public_keys_path(townhall_dir))
    counter = iter(range(1, 1000))

    def _arrive(form_id, form_hash, answers, *, kiosk_id="kiosk-lueder", version="1.0"):
        reference = refcode.new_reference()
        meta = ItemMeta(
            form_id=form_id,
            form_version=version,
            form_hash=form_hash,
            kiosk_id=kiosk_id,
            reference=reference,
            captured_at="2026-03-02T09:15:00Z",
        )
        sealed = seal_item(meta, answers, public.encryption)
        n = next(counter)
        batch_id = f"{n:032x}"
        with open_storage(townhall_dir) as storage:
            stored_meta = read_item_meta(sealed)
            item = ItemRecord(
                reference=stored_meta.reference,
                digest=item_digest(sealed),
                batch_id=batch_id,
                kiosk_id=kiosk_id,
                form_id=form_id,
                form_version=version,
                form_hash=form_hash,
                captured_at=stored_meta.captured_at,
                received_at=f"2026-03-02T10:{n:02d}:00Z",
                sealed=sealed,
            )
            batch = BatchRecord(batch_id, kiosk_id, n, "2026-03-02T09:30:00Z", item.received_at, (item.digest,))
            storage.store_batch(batch, [item])
        return reference

    return _arrive


@pytest.fixture
def inbox(townhall_dir):
    with Inbox(townhall_dir, lang="de") as opened:
        yield opened


def test_the_list_shows_routing_data_and_new_means_not_yet_opened(inbox, arrive):
    first = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)
    second = arrive("hausnummer", HAUSNUMMER.content_hash, {"applicant_name": "Bauherr GmbH"})

    entries = inbox.list()
    assert [e.reference for e in entries] == [refcode.display(first), refcode.display(second)]
    assert entries[0].service == "Kita-Beiträge zurückbekommen"
    assert entries[0].kiosk_id == "kiosk-lueder"
    assert entries[0].status == "received"
    assert entries[0].received_at == "2026-03-02T10:01:00Z"

    inbox.open(first)
    assert [e.code for e in inbox.list()] == [second]
    assert len(inbox.list(state="all")) == 2
    assert [e.code for e in inbox.list(state="all", form_id="hausnummer")] == [second]


def test_opening_gives_back_exactly_what_was_sealed_with_german_questions(inbox, arrive):
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)

    opened = inbox.open(refcode.display(code).lower().replace("-", " "))

    assert opened.answers == KITA_ANSWERS
    assert opened.form is not None and opened.form.id == "kita_erstattung"
    rows = {row.field_id: row for row in opened.rows("de")}
    assert rows["kita"].label == "Welche Kita besucht Ihr Kind?"
    assert rows["kita"].answer == "Kita „Sonnenschein“, Tangerhütte"
    assert rows["months"].answer == "Januar 2021, Februar 2021"
    assert "145,50" in rows["monthly_fee"].answer and "€" in rows["monthly_fee"].answer
    assert rows["iban"].answer.startswith("DE89 3704")
    assert "kita_other" not in rows  # hidden by the Kita answer, never asked
    assert rows["phone"].answer == display_answer(KITA.field("phone"), None, "de")  # asked, left empty


def test_a_mistyped_or_unknown_code_is_answered_plainly(inbox, arrive):
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)
    wrong = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]

    with pytest.raises(ReferenceCodeError):
        inbox.open(wrong)
    with Inbox(inbox.townhall_dir, lang="en") as english:
        with pytest.raises(RathausError, match="No application with the code"):
            english.open(refcode.new_reference())


def test_a_submission_from_an_unknown_form_version_shows_raw_field_ids(inbox, arrive):
    code = arrive("kita_erstattung", "0" * 64, {"parent_name": "Erika", "zz_extra": ["a", "b"]}, version="0.9")

    opened = inbox.open(code)

    assert opened.form is None
    assert [(r.label, r.answer) for r in opened.rows("de")] == [("parent_name", "Erika"), ("zz_extra", "a, b")]


def test_an_older_definition_kept_at_the_town_hall_labels_its_own_submissions(townhall_dir, arrive):
    archive = townhall_dir / "forms" / "2025"
    archive.mkdir(parents=True)
    old_text = (builtin_forms_dir() / "hausnummer.toml").read_text(encoding="utf-8")
    old_text = old_text.replace('version = "1.0"', 'version = "0.9"').replace(
        'label.de = "Wie heißen Sie?"', 'label.de = "Name der antragstellenden Person"'
    )
    (archive / "hausnummer.toml").write_text(old_text, encoding="utf-8")
    old = load_form(archive / "hausnummer.toml")
    old_code = arrive("hausnummer", old.content_hash, {"applicant_name": "Erika"}, version="0.9")
    new_code = arrive("hausnummer", HAUSNUMMER.content_hash, {"applicant_name": "Max"})

    with Inbox(townhall_dir, lang="de") as inbox:
        old_rows = inbox.open(old_code).rows("de")
        new_rows = inbox.open(new_code).rows("de")
    assert old_rows[0].label == "Name der antragstellenden Person"
    assert new_rows[0].label == "Wie heißen Sie?"


def test_csv_export_has_one_row_per_submission_and_a_column_per_question(inbox, arrive, tmp_path):
    first = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)
    second = arrive("kita_erstattung", KITA.content_hash, {**KITA_ANSWERS, "parent_name": "Max Mustermann", "kita": "andere", "kita_other": "Kita Wirbelwind"})
    arrive("hausnummer", HAUSNUMMER.content_hash, {"applicant_name": "Not in this export"})
    out = tmp_path / "export" / "kita.csv"
    out.parent.mkdir()  # exports go only into folders that exist

    count = inbox.export("kita_erstattung", "csv", out)

    assert count == 2
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(body) == 2
    assert "Welche Kita besucht Ihr Kind?" in header
    assert "Wie heißt die Kita, und in welchem Ort ist sie?" in header
    by_label = [dict(zip(header, row)) for row in body]
    assert by_label[0][header[0]] == refcode.display(first)
    assert by_label[1][header[0]] == refcode.display(second)
    assert by_label[0]["Welche Kita besucht Ihr Kind?"] == "Kita „Sonnenschein“, Tangerhütte"
    assert by_label[1]["Wie heißt die Kita, und in welchem Ort ist sie?"] == "Kita Wirbelwind"
    holder = "Wem gehört das Konto, auf das wir das Geld überweisen?"
    assert by_label[0][holder] == "'" + KITA_ANSWERS["account_holder"]  # never run as a formula
    assert "Not in this export" not in raw.decode("utf-8-sig")


def test_json_export_carries_the_answers_exactly_as_sealed(inbox, arrive, tmp_path):
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)
    out = tmp_path / "kita.json"

    assert inbox.export("kita_erstattung", "json", out) == 1

    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["service"] == "kita_erstattung"
    assert [s["reference"] for s in document["submissions"]] == [code]
    assert document["submissions"][0]["answers"] == KITA_ANSWERS
    assert {"id": "iban", "label": "Wie lautet die IBAN des Kontos?"} in document["fields"]


def test_export_of_an_unknown_service_or_format_is_refused_plainly(tmp_path, townhall_dir):
    with Inbox(townhall_dir, lang="en") as inbox:
        with pytest.raises(RathausError, match="Unknown service 'kita'. Possible: .*kita_erstattung"):
            inbox.export("kita", "csv", tmp_path / "x.csv")
        with pytest.raises(RathausError, match="Unknown export format 'xlsx'"):
            inbox.export("kita_erstattung", "xlsx", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.csv").exists()


def test_the_paper_copy_is_a_pdf_and_counts_as_opened(inbox, arrive):
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)

    pdf = inbox.pdf(code)

    assert pdf.startswith(b"%PDF")
    assert b"/Type /Page" in pdf
    assert inbox.list() == []


def test_the_paper_copy_works_without_a_unicode_font(inbox, arrive, monkeypatch):
    import sync.inbox.paper as paper

    monkeypatch.setattr(paper, "_dejavu", lambda: None)
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)

    assert inbox.pdf(code).startswith(b"%PDF")


def test_a_rejection_without_a_reason_is_refused_and_nothing_is_recorded(townhall_dir, arrive):
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)
    with Inbox(townhall_dir, lang="en") as inbox:
        with pytest.raises(RathausError, match="Please give the reason for the rejection"):
            inbox.set_status(code, "rejected")
        with pytest.raises(RathausError, match="which information is missing"):
            inbox.set_status(code, "needs_information", "   ")
        with pytest.raises(RathausError, match="date and time of the appointment"):
            inbox.set_status(code, "appointment_confirmed")
        with pytest.raises(RathausError, match="Unknown status 'done'"):
            inbox.set_status(code, "done")
        with pytest.raises(RathausError, match="at most 500"):
            inbox.set_status(code, "accepted", "x" * 501)
        assert inbox.storage.counts().status_updates == 0


def test_status_updates_get_increasing_serials_and_show_in_the_list(inbox, arrive):
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)

    first = inbox.set_status(code, "in_progress")
    second = inbox.set_status(refcode.display(code), "rejected", "Die Kita war in diesen Monaten geöffnet.\tBitte rufen Sie uns an.", note="intern: Akte 12")
    third = inbox.set_status(code, "appointment-confirmed", "Dienstag, 14. April, 10:30 Uhr, Zimmer 2")

    assert first.serial < second.serial < third.serial
    assert second.message == "Die Kita war in diesen Monaten geöffnet. Bitte rufen Sie uns an."
    assert second.staff_note == "intern: Akte 12"
    assert inbox.list(state="all")[0].status == "appointment_confirmed"
    sent = inbox.storage.status_updates_for_kiosk("kiosk-lueder")
    assert [u.status for u in sent] == ["in_progress", "rejected", "appointment_confirmed"]
    assert all("intern" not in u.message for u in sent)


def test_without_the_private_key_the_list_works_and_opening_says_why_not(townhall_dir, arrive):
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)
    key = townhall_dir / "keys" / "townhall-encryption.key"
    shutil.move(key, townhall_dir / "elsewhere.key")

    with Inbox(townhall_dir, lang="en") as inbox:
        assert [e.code for e in inbox.list()] == [code]
        with pytest.raises(KeyFileError, match="townhall-encryption.key"):
            inbox.open(code)
        assert [e.code for e in inbox.list()] == [code]  # a failed opening does not count


def test_a_message_typed_in_a_latin1_terminal_is_stored_and_reaches_the_kiosk(inbox, arrive):
    # Python hands bytes a UTF-8 locale cannot decode (an "ä" from a Latin-1 terminal) over as
    # lone surrogates; they can be neither stored nor sent, the rest of the message can.
    code = arrive("kita_erstattung", KITA.content_hash, KITA_ANSWERS)
    update = inbox.set_status(code, "rejected", "Die Kita war ge\udcf6ffnet.", note="Akte \udce4")
    assert update.message == "Die Kita war ge ffnet." and update.staff_note == "Akte"
    assert [u.message for u in inbox.storage.status_updates_for_kiosk("kiosk-lueder")] == [update.message]
