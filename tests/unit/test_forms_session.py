"""Filling in a form: one question at a time, nothing typed is lost, hidden answers are not sent."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kiosk.errors import AnswerError
from kiosk.forms import FormSession, load_forms

FORMS = {form.id: form for form in load_forms()}


def message_session(lang: str = "de") -> FormSession:
    """The shipped "Nachricht an das Rathaus": topic, message, name (optional), wants_reply,
    then reply_by / reply_phone / reply_email / reply_address only when a reply is wanted."""
    return FormSession(FORMS["nachricht"], lang)


def ids(fields) -> list[str]:
    return [field.id for field in fields]


def fill_until_reply(session: FormSession, wants_reply: bool) -> None:
    session.answer("strassen")
    session.answer("Die Laterne vor Hauptstraße 12 ist kaputt.")
    session.answer("Erika Mustermann")
    session.answer(wants_reply)


def test_a_session_starts_at_the_first_question_and_counts_only_visible_ones():
    session = message_session()
    assert session.current.id == "topic" and not session.at_review
    assert session.position() == (1, 4)
    session.answer("lob")
    assert session.current.id == "message" and session.position() == (2, 4)


def test_answering_everything_leads_to_a_complete_review():
    session = message_session()
    fill_until_reply(session, wants_reply=False)
    assert session.at_review and session.current is None
    assert session.position() == (4, 4)
    assert session.is_complete()
    assert session.answers() == {
        "topic": "strassen",
        "message": "Die Laterne vor Hauptstraße 12 ist kaputt.",
        "name": "Erika Mustermann",
        "wants_reply": False,
    }
    shown = dict((field.id, text) for field, text in session.review())
    assert shown["topic"] == "Straßen, Wege und Beleuchtung" and shown["wants_reply"] == "Nein"


def test_a_yes_shows_the_follow_up_questions_in_order():
    session = message_session()
    fill_until_reply(session, wants_reply=True)
    assert session.current.id == "reply_by" and session.position() == (5, 5)
    session.answer("telefon")
    assert session.current.id == "reply_phone" and session.position() == (6, 6)
    assert ids(session.visible_fields())[-2:] == ["reply_by", "reply_phone"]
    session.answer("03935 123456")
    assert session.at_review
    assert session.answers()["reply_phone"] == "03935 123456"


def test_changing_an_answer_drops_the_answers_it_hides_and_brings_them_back_on_return():
    session = message_session()
    fill_until_reply(session, wants_reply=True)
    session.answer("telefon")
    session.answer("03935 123456")
    session.edit("wants_reply")
    session.answer(False)
    assert session.at_review
    assert "reply_by" not in session.answers() and "reply_phone" not in session.answers()
    assert "reply_phone" not in ids(session.visible_fields())
    assert ids(field for field, _ in session.review()) == ["topic", "message", "name", "wants_reply"]
    session.edit("wants_reply")
    session.answer(True)
    assert session.at_review  # the remembered answers count again, nothing new to ask
    assert session.answers()["reply_phone"] == "03935 123456"


def test_a_chained_condition_hides_the_grandchild_too():
    session = message_session()
    fill_until_reply(session, wants_reply=True)
    session.answer("email")
    session.answer("erika@example.de")
    session.edit("reply_by")
    session.answer("brief")
    assert session.current.id == "reply_address"  # newly shown: asked before the review
    assert session.raw("reply_address") is None
    session.answer({"street": "Hauptstraße", "number": "12", "postcode": "39517", "town": "Tangerhütte"})
    assert session.at_review
    assert "reply_email" not in session.answers()
    assert session.answers()["reply_address"]["town"] == "Tangerhütte"


def test_editing_from_the_review_returns_to_the_review():
    session = message_session()
    fill_until_reply(session, wants_reply=False)
    session.edit("message")
    assert session.current.id == "message" and session.position() == (2, 4)
    assert session.raw("message") == "Die Laterne vor Hauptstraße 12 ist kaputt."
    session.answer("Die Laterne ist wieder heil. Danke!")
    assert session.at_review
    assert session.answers()["message"] == "Die Laterne ist wieder heil. Danke!"


def test_editing_a_question_that_is_not_shown_is_a_programming_error():
    session = message_session()
    with pytest.raises(ValueError):
        session.edit("reply_phone")


def test_back_goes_to_the_previous_question_and_stops_at_the_first():
    session = message_session()
    assert session.back() is False and session.current.id == "topic"
    session.answer("lob")
    session.answer("Schönes Dorffest!")
    assert session.back() is True and session.current.id == "message"
    assert session.raw("message") == "Schönes Dorffest!"
    assert session.back() is True and session.current.id == "topic"
    assert session.back() is False


def test_back_from_the_review_goes_to_the_last_visible_question():
    session = message_session()
    fill_until_reply(session, wants_reply=True)
    session.answer("telefon")
    session.answer("03935 123456")
    assert session.back() and session.current.id == "reply_phone"
    session.answer("03935 654321")
    assert session.at_review and session.answers()["reply_phone"] == "03935 654321"


def test_a_refused_answer_keeps_what_was_typed_and_stays_on_the_question():
    session = message_session()
    fill_until_reply(session, wants_reply=True)
    session.answer("telefon")
    with pytest.raises(AnswerError, match="Vorwahl"):
        session.answer("123")
    assert session.current.id == "reply_phone"
    assert session.raw("reply_phone") == "123"
    assert "reply_phone" not in session.answers() and not session.is_complete()


def test_a_refused_change_keeps_the_earlier_good_answer():
    session = message_session()
    fill_until_reply(session, wants_reply=True)
    session.answer("telefon")
    session.answer("03935 123456")
    session.edit("reply_phone")
    with pytest.raises(AnswerError):
        session.answer("0393")
    assert session.raw("reply_phone") == "0393"
    assert session.answers()["reply_phone"] == "03935 123456"


def test_optional_questions_can_be_skipped_and_show_as_not_given():
    session = message_session()
    session.answer("lob")
    session.answer("Danke für die neue Bank am Dorfplatz.")
    assert session.current.id == "name" and not session.current.required
    session.skip()
    assert session.current.id == "wants_reply"
    session.answer(False)
    assert "name" not in session.answers() and session.is_complete()
    shown = dict((field.id, text) for field, text in session.review())
    assert shown["name"] == "keine Angabe"


def test_skipping_clears_an_earlier_answer():
    session = message_session()
    session.answer("lob")
    session.answer("Danke.")
    session.answer("Erika Mustermann")
    session.back()
    session.skip()
    assert session.raw("name") is None and "name" not in session.answers()


def test_a_required_question_cannot_be_skipped():
    session = message_session()
    with pytest.raises(AnswerError, match="muss beantwortet werden"):
        session.skip()
    assert session.current.id == "topic"


def test_the_review_marks_questions_not_yet_answered():
    session = message_session()
    assert [text for _, text in session.review()] == ["—"] * 4
    assert not session.is_complete()


def test_switching_language_keeps_every_answer():
    session = message_session("de")
    fill_until_reply(session, wants_reply=True)
    before = session.answers()
    session.lang = "en_GB.UTF-8"
    assert session.lang == "en"
    assert session.answers() == before
    assert session.current.text("label", session.lang) == "How should we reply?"
    shown = dict((field.id, text) for field, text in session.review())
    assert shown["wants_reply"] == "Yes" and shown["topic"] == "Roads, paths and street lights"
    with pytest.raises(AnswerError, match="Please choose one of the answers shown."):
        session.answer("fax")


def test_answers_are_json_and_changing_them_does_not_change_the_session():
    session = FormSession(FORMS["kita_erstattung"], "de")
    entries = [
        "Erika Mustermann",
        {"street": "Hauptstraße", "number": "12", "postcode": "39517", "town": "Tangerhütte"},
        "Max Mustermann",
        "14.08.2019",
        "andere",
        "Kita Wirbelwind, Bellingen",
        ["2021-01", "2021-02"],
        "145,50",
        "Erika Mustermann",
        "DE89 3704 0044 0532 0130 00",
    ]
    for raw in entries:
        session.answer(raw)
    session.skip()  # phone
    session.skip()  # email
    session.answer(True)
    assert session.at_review and session.is_complete()
    answers = session.answers()
    assert json.loads(json.dumps(answers)) == answers
    assert answers["monthly_fee"] == "145.50" and answers["iban"] == "DE89370400440532013000"
    answers["address"]["town"] = "Anderswo"
    answers["months"].append("2021-03")
    again = session.answers()
    assert again["address"]["town"] == "Tangerhütte" and again["months"] == ["2021-01", "2021-02"]


def test_the_count_is_the_most_questions_that_can_still_come_and_never_grows():
    session = FormSession(FORMS["gewerbeanmeldung"])
    totals = []
    typed = {"reason": "neuerrichtung", "legal_form": "einzelunternehmen", "surname": "Muster",
             "first_names": "Erika", "birth_date": "12.08.1964", "nationality": "deutsch",
             "home_address": {"street": "Hauptstraße", "number": "5", "postcode": "39517", "town": "Lüderitz"},
             "business_address": {"street": "Am Markt", "number": "2", "postcode": "39517", "town": "Tangerhütte"},
             "start_date": (dt.date.today() + dt.timedelta(days=5)).strftime("%d.%m.%Y"),
             "activity": "Fahrräder", "scope": "haupterwerb", "craft": False, "permit_needed": False}
    while not session.at_review:
        number, total, certain = session.progress()
        totals.append(total)
        field = session.current
        session.answer(typed[field.id]) if field.id in typed else session.skip()
    assert totals == sorted(totals, reverse=True)
    assert totals[0] > totals[-1]  # the answers ruled questions out
    assert session.progress() == (len(session.visible_fields()),) * 2 + (True,)


def test_the_count_is_certain_once_no_open_answer_can_change_it():
    session = message_session()
    assert session.progress() == (1, 6, False)  # a wish for a reply asks two more questions
    fill_until_reply(session, wants_reply=False)
    assert session.at_review and session.progress() == (4, 4, True)
    session = message_session()
    fill_until_reply(session, wants_reply=True)
    assert session.progress() == (5, 6, True)  # one way to reply, one more question
