"""Every shipped service, filled in at the kiosk with the keyboard alone.

For each service a visitor picks it on the start screen, answers every question, goes back once to
change an answer, changes another one from the review, sends, and gets the receipt. The test checks
what the screen shows on the way and what ends up in the queue.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.widgets import Button, Input, RadioButton, RadioSet

from kiosk import refcode
from kiosk.forms import load_forms
from kiosk.store import OutboxState
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.widgets.reference_code import ReferenceCode
from kiosk.ui.widgets.service_button import ServiceButton

SCREEN_SIZE = (100, 40)
TODAY = dt.date.today()


def wished_windows(count: int) -> list[str]:
    """The first days a citizen may wish for at a kiosk that has no calendar yet (no quota)."""
    from kiosk.appointments.calendar import KioskCalendar

    return [str(w) for w in KioskCalendar().windows("buergerbuero", dt.date.today())[:count]]


def typed_date(days_from_today: int) -> str:
    return (TODAY + dt.timedelta(days=days_from_today)).strftime("%d.%m.%Y")


def iso_date(days_from_today: int) -> str:
    return (TODAY + dt.timedelta(days=days_from_today)).isoformat()


HOME = {"street": "Hauptstraße", "number": "5a", "postcode": "39517", "town": "Lüderitz"}
SHOP = {"street": "Am Markt", "number": "2", "postcode": "39517", "town": "Tangerhütte"}


@dataclass
class Visit:
    """One person's way through one service."""

    form_id: str
    typed: dict[str, Any]  # final input per question; missing or None: left empty
    first_try: tuple[str, Any]  # answered like this first, then corrected with Back
    from_review: tuple[str, Any]  # changed from the review with "Ändern"
    expected: dict[str, Any]  # what is sealed and queued
    on_review: list[str] = field(default_factory=list)  # answers in words on the review


VISITS = [
    Visit(
        "termin_buergerbuero",
        typed={
            "concern": "sonstiges",
            "concern_other": "Parkausweis",
            "appointment": "request",  # no time of its own at this kiosk: a request
            "windows": wished_windows(1),
            "name": "Erika Muster",
            "phone": "03935 123456",
            "needs_support": True,
            "support_details": None,
        },
        first_try=("concern", "reisepass"),
        from_review=("windows", wished_windows(2)),
        expected={
            "concern": "sonstiges",
            "concern_other": "Parkausweis",
            "appointment": "request",
            "windows": wished_windows(2),
            "name": "Erika Muster",
            "phone": "03935 123456",
            "needs_support": True,
        },
        on_review=["Parkausweis", "Erika Muster", "Ja", "keine Angabe"],
    ),
    Visit(
        "nachricht",
        typed={
            "topic": "lob",
            "message": "Danke!\nDie Laterne brennt wieder.",
            "name": None,
            "wants_reply": True,
            "reply_by": "brief",
            "reply_address": HOME,
        },
        first_try=("topic", "strassen"),
        from_review=("name", "Erika"),
        expected={
            "topic": "lob",
            "message": "Danke!\nDie Laterne brennt wieder.",
            "name": "Erika",
            "wants_reply": True,
            "reply_by": "brief",
            "reply_address": HOME,
        },
        on_review=["Hauptstraße 5a, 39517 Lüderitz", "keine Angabe"],
    ),
    Visit(
        "impftermin",
        typed={
            "vaccine": "grippe",
            "dose": "erste",
            "name": "Karl Muster",
            "birth_date": "05.03.1942",
            "phone": "03935 123456",
            "appointment": "request",
            "windows": wished_windows(3),
            "needs_help": False,
            "note": None,
        },
        first_try=("dose", "folge"),
        from_review=("phone", "0171 2345678"),
        expected={
            "vaccine": "grippe",
            "dose": "erste",
            "name": "Karl Muster",
            "birth_date": "1942-03-05",
            "phone": "0171 2345678",
            "appointment": "request",
            "windows": wished_windows(3),
            "needs_help": False,
        },
        on_review=["Karl Muster", "05.03.1942", "Nein"],
    ),
    Visit(
        "kita_erstattung",
        typed={
            "parent_name": "Erika Muster",
            "address": HOME,
            "child_name": "Max",
            "child_birth_date": "14.08.2019",
            "kita": "regenbogen",
            "months": ["2021-01", "2021-02"],
            "monthly_fee": "145,50",
            "account_holder": "Erika Muster",
            "iban": "DE89 3704 0044 0532 0130 00",
            "phone": None,
            "email": "erika@example.de",
            "confirmation": True,
        },
        first_try=("child_name", "Moritz"),
        from_review=("months", ["2021-01", "2021-02", "2021-03"]),
        expected={
            "parent_name": "Erika Muster",
            "address": HOME,
            "child_name": "Max",
            "child_birth_date": "2019-08-14",
            "kita": "regenbogen",
            "months": ["2021-01", "2021-02", "2021-03"],
            "monthly_fee": "145.50",
            "account_holder": "Erika Muster",
            "iban": "DE89370400440532013000",
            "email": "erika@example.de",
            "confirmation": True,
        },
        on_review=["145,50\xa0€", "DE89 3704 0044 0532 0130 00", "erika@example.de"],
    ),
    Visit(
        "gewerbeanmeldung",
        typed={
            "reason": "neuerrichtung",
            "legal_form": "gmbh",
            "company_name": "Rad GmbH",
            "register_entry": None,
            "surname": "Muster",
            "first_names": "Erika",
            "birth_date": "12.08.1964",
            "nationality": "deutsch",
            "home_address": HOME,
            "business_address": SHOP,
            "start_date": typed_date(30),
            "activity": "Fahrradreparatur",
            "scope": "nebenerwerb",
            "employees_full_time": "2",
            "employees_part_time": None,
            "craft": False,
            "permit_needed": False,
            "phone": None,
            "email": None,
            "note": None,
        },
        first_try=("legal_form", "einzelunternehmen"),
        from_review=("employees_full_time", "3"),
        expected={
            "reason": "neuerrichtung",
            "legal_form": "gmbh",
            "company_name": "Rad GmbH",
            "surname": "Muster",
            "first_names": "Erika",
            "birth_date": "1964-08-12",
            "nationality": "deutsch",
            "home_address": HOME,
            "business_address": SHOP,
            "start_date": iso_date(30),
            "activity": "Fahrradreparatur",
            "scope": "nebenerwerb",
            "employees_full_time": 3,
            "craft": False,
            "permit_needed": False,
        },
        on_review=["Rad GmbH", "Am Markt 2, 39517 Tangerhütte"],
    ),
    Visit(
        "hausnummer",
        typed={
            "applicant_name": "Erika Muster",
            "role": "bauherr",
            "phone": "03935 123456",
            "email": None,
            "site_street": "Birkenweg",
            "site_village": "Lüderitz",
            "gemarkung": "Lüderitz",
            "flur": "3",
            "flurstueck": "123/4",
            "building_type": "wohnhaus",
            "permit_reference": None,
            "completion_date": typed_date(200),
            "access_street": "Birkenweg",
            "note": None,
        },
        first_try=("role", "architekt"),
        from_review=("flur", "4"),
        expected={
            "applicant_name": "Erika Muster",
            "role": "bauherr",
            "phone": "03935 123456",
            "site_street": "Birkenweg",
            "site_village": "Lüderitz",
            "gemarkung": "Lüderitz",
            "flur": "4",
            "flurstueck": "123/4",
            "building_type": "wohnhaus",
            "completion_date": iso_date(200),
            "access_street": "Birkenweg",
        },
        on_review=["123/4", "Birkenweg"],
    ),
]


def test_every_shipped_service_has_a_keyboard_visit():
    assert sorted(v.form_id for v in VISITS) == sorted(f.id for f in load_forms())


def shown_answer(visitor, field) -> Any:
    """What the input on screen holds now, in the shape the visit typed it."""
    screen = visitor.app.screen
    if field.type in ("choice", "yesno") and not field.multiple:
        buttons = list(screen.query_one(RadioSet).query(RadioButton))
        pressed = [i for i, b in enumerate(buttons) if b.value]
        values = [True, False] if field.type == "yesno" else [o.value for o in field.options]
        return values[pressed[0]] if pressed else None
    if field.type in ("text", "date", "phone", "email", "number", "money", "iban"):
        return screen.query_one("#answer-text", Input).value
    raise AssertionError(f"no reading for {field.type}")


async def fill_in(visitor, form, visit: Visit) -> None:
    """Answer every question up to the review, correcting ``first_try`` with Back on the way."""
    by_label = {f.text("label", "de"): f for f in form.fields}
    corrected = False
    number = 0
    while isinstance(visitor.app.screen, QuestionScreen):
        number += 1
        assert f"Frage {number} von" in visitor.text
        field = by_label[visitor.question_label()]
        first_field, first_value = visit.first_try
        if field.id == first_field and not corrected:
            await visitor.answer(field, first_value)
            assert visitor.question_label() != field.text("label", "de")
            await visitor.press("escape")  # Zurück: the earlier answer is still there
            assert visitor.question_label() == field.text("label", "de")
            assert shown_answer(visitor, field) == first_value
            corrected = True
        await visitor.answer(field, visit.typed.get(field.id))
        if isinstance(visitor.app.screen, QuestionScreen):
            assert visitor.question_label() != field.text("label", "de"), (
                f"{form.id}/{field.id} refused: {visitor.problem()}"
            )
    assert corrected, f"{form.id}: the question {visit.first_try[0]} was never shown"
    assert isinstance(visitor.app.screen, ReviewScreen)


@pytest.mark.parametrize("visit", VISITS, ids=[v.form_id for v in VISITS])
async def test_a_service_filled_in_by_keyboard_ends_in_the_queue(runtime, submitted, visitor_for, visit):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    form = runtime.prepare_form(runtime.form(visit.form_id))  # a booking form as the kiosk offers it
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        assert "Einheitsgemeinde Tangerhütte" in visitor.text
        assert form.text("title", "de") in visitor.text

        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == form.id)
        assert form.text("summary", "de") in visitor.text  # below the buttons, for the focused one
        await visitor.press("enter")
        assert isinstance(app.screen, QuestionScreen)
        assert form.text("title", "de") in visitor.text

        await fill_in(visitor, form, visit)
        review = visitor.text
        for words in visit.on_review:
            assert words in review, f"{words!r} missing on the review"

        # Change one answer from the review: straight back to the review afterwards.
        changed_id, changed_value = visit.from_review
        changed_field = form.field(changed_id)
        await visitor.tab_to(lambda w: isinstance(w, Button) and w.name == changed_id)
        assert str(visitor.focused.label) == "Ändern"
        await visitor.press("enter")
        assert visitor.question_label() == changed_field.text("label", "de")
        await visitor.answer(changed_field, changed_value)
        assert isinstance(app.screen, ReviewScreen)

        await visitor.press_button("Absenden")
        await visitor.settle()
        assert isinstance(app.screen, ReceiptScreen)
        code = app.screen.query_one(ReferenceCode).code
        text = visitor.text
        assert refcode.is_valid(code)
        assert "  –  ".join(" ".join(g) for g in refcode.display(code).split("-")) in text
        assert form.text("title", "de") in text
        assert form.text("next_steps", "de") in text
        for item in form.bring_list("de"):
            assert item in text
        assert app.session is None  # the answers have left the kiosk's memory

        assert submitted == [(form.id, visit.expected)]
        view = runtime.lookup(code, "de")
        assert (view.form_id, view.state) == (form.id, OutboxState.QUEUED)
        assert runtime.waiting_count() == 1

        await visitor.press_button("Fertig")
        assert isinstance(app.screen, StartScreen)
        assert "1 Antrag wartet auf den nächsten USB-Transport ins Rathaus" in visitor.text


async def start_service(visitor, form_id: str) -> None:
    await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == form_id)
    await visitor.press("enter")
    assert isinstance(visitor.app.screen, QuestionScreen)


async def fill_message(visitor, runtime) -> None:
    form = runtime.form("nachricht")
    await start_service(visitor, "nachricht")
    await visitor.answer(form.field("topic"), "lob")
    await visitor.answer(form.field("message"), "Schön hier.")
    await visitor.answer(form.field("name"), "Erika")
    await visitor.answer(form.field("wants_reply"), False)
    assert isinstance(visitor.app.screen, ReviewScreen)


async def test_cancelling_asks_first_then_forgets_every_answer(runtime, submitted, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await fill_message(visitor, runtime)
        await visitor.press_button("Nachricht verwerfen")
        assert "Nachricht verwerfen?" in visitor.text
        assert "Was Sie geschrieben haben, wird gelöscht." in visitor.text
        assert str(visitor.focused.label) == "Nein, weitermachen"  # the safe answer is first
        await visitor.press("enter")
        assert isinstance(app.screen, ReviewScreen)
        assert "Schön hier." in visitor.text

        await visitor.press_button("Nachricht verwerfen")
        await visitor.press_button("Ja, verwerfen")
        assert isinstance(app.screen, StartScreen)
        assert app.session is None
        assert submitted == []
        assert runtime.waiting_count() == 0
        await start_service(visitor, "nachricht")  # the next person starts with empty inputs
        assert "Schön hier." not in visitor.text


async def test_a_failed_submission_is_explained_and_the_answers_stay(runtime, visitor_for, monkeypatch):
    from kiosk.errors import StoreError

    real_submit = runtime.submit
    attempts = []

    def full_disk_once(form, answers):
        attempts.append(form.id)
        if len(attempts) == 1:
            raise StoreError("Der Speicher des Kiosks ist voll. Bitte sagen Sie im Rathaus Bescheid.",
                             detail="disk full")
        return real_submit(form, answers)

    monkeypatch.setattr(runtime, "submit", full_disk_once)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await fill_message(visitor, runtime)
        await visitor.press_button("Absenden")
        await visitor.settle()
        assert "Ihr Antrag konnte an diesem Kiosk nicht gespeichert werden." in visitor.text
        assert "Traceback" not in visitor.text
        await visitor.press("enter")  # OK
        assert isinstance(app.screen, ReviewScreen)
        assert "Schön hier." in visitor.text
        await visitor.press_button("Absenden")  # try again
        await visitor.settle()
        assert isinstance(app.screen, ReceiptScreen)
        assert len(attempts) == 2 and runtime.waiting_count() == 1


async def test_an_unexpected_failure_shows_a_calm_message_without_details(runtime, visitor_for, monkeypatch):
    def broken(form, answers):
        raise ValueError(f"secret {answers['message']}")

    monkeypatch.setattr(runtime, "submit", broken)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await fill_message(visitor, runtime)
        await visitor.press_button("Absenden")
        await visitor.settle()
        assert "Etwas ist schiefgegangen" in visitor.text
        assert "secret" not in visitor.text
        assert app.return_code is None


async def test_printing_the_receipt_saves_it_and_sends_it_to_the_printer(
    open_kiosk, visitor_for, tmp_path, monkeypatch
):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    printed = tmp_path / "printed.txt"
    (bin_dir / "lp").write_text(f'#!/bin/sh\necho "$@" > {printed}\n')
    (bin_dir / "lp").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    runtime = open_kiosk(printer="Foyer")
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await fill_message(visitor, runtime)
        await visitor.press_button("Absenden")
        await visitor.settle()
        code = app.screen.query_one(ReferenceCode).code
        assert str(visitor.focused.label) == "Beleg drucken"
        await visitor.press("enter")
        await visitor.settle()
        assert "Der Beleg ist gedruckt. Bitte nehmen Sie ihn aus dem Drucker." in visitor.text
        saved = runtime.data_dir / "receipts" / f"{code}.pdf"
        assert saved.read_bytes().startswith(b"%PDF")
        assert printed.read_text().split() == ["-d", "Foyer", str(saved)]
        page = b"".join(  # the page drawing, as fpdf2 writes it: stream\n<zlib data>\nendstream
            zlib.decompressobj().decompress(stream)
            for stream in re.findall(rb"stream\n(.*?)\nendstream", saved.read_bytes(), re.S)
            if stream.startswith(b"x")
        )
        assert refcode.display(code).encode() in page
        for private in (b"Erika", b"Sch\xf6n hier"):  # nothing the person typed is on the receipt
            assert private not in page


@pytest.mark.parametrize("sqlite_text", ["disk I/O error", "attempt to write a readonly database", "database is locked"])
async def test_a_storage_failure_reads_plainly_to_a_citizen(runtime, visitor_for, monkeypatch, sqlite_text):
    """The store's messages name files and programs for whoever sets the kiosk up; the person at
    the screen is told what it means for them instead."""
    import sqlite3

    from kiosk.store.database import store_error

    def failing_disk(form, answers):
        raise store_error(sqlite3.OperationalError(sqlite_text), runtime.store.path)

    monkeypatch.setattr(runtime, "submit", failing_disk)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await fill_message(visitor, runtime)
        await visitor.press_button("Absenden")
        await visitor.settle()
        text = visitor.text
        assert "konnte an diesem Kiosk nicht gespeichert werden" in text
        assert "kiosk.db" not in text and "Datenbank" not in text and "Programm" not in text
        await visitor.press("enter")  # OK
        assert isinstance(app.screen, ReviewScreen) and "Schön hier." in visitor.text


async def test_a_window_opened_while_sealing_still_leads_to_the_receipt(runtime, visitor_for, monkeypatch):
    import threading

    from kiosk.ui.screens.staff_pin import StaffPinScreen

    real_submit = runtime.submit
    release = threading.Event()

    def slow_submit(form, answers):
        release.wait(10)
        return real_submit(form, answers)

    monkeypatch.setattr(runtime, "submit", slow_submit)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await fill_message(visitor, runtime)
        await visitor.press_button("Absenden")
        await visitor.press("f12")  # staff walk up while the application is being sealed
        assert isinstance(app.screen, StaffPinScreen)
        release.set()
        await visitor.settle()
        await pilot.pause(0.5)
        assert isinstance(app.screen, StaffPinScreen)  # their window is not pulled away
        await visitor.press("escape")
        for _ in range(20):
            if isinstance(app.screen, ReceiptScreen):
                break
            await pilot.pause(0.1)
        assert isinstance(app.screen, ReceiptScreen)
        assert runtime.waiting_count() == 1
