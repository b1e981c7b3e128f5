"""Answers: what people really type is understood, and a refusal says what to type instead."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from kiosk.errors import AnswerError
from kiosk.forms import AddressPartError, Field, Option, display_answer, parse_answer

TODAY = dt.date(2026, 5, 19)
ADDRESS = {"street": "Hauptstraße", "number": "12a", "postcode": "39517", "town": "Tangerhütte"}


def question(kind: str, required: bool = True, **constraints) -> Field:
    return Field(
        id="q",
        type=kind,
        required=required,
        label={"de": "Frage?", "en": "Question?"},
        help={"de": "Hilfe.", "en": "Help."},
        example={},
        **constraints,
    )


def parse(field: Field, raw, lang: str = "de"):
    return parse_answer(field, raw, lang, today=TODAY)


def refused(field: Field, raw, lang: str = "en") -> str:
    with pytest.raises(AnswerError) as caught:
        parse(field, raw, lang)
    return caught.value.message


CHOICE_OPTIONS = (
    Option("vormittags", {"de": "Vormittags", "en": "In the morning"}),
    Option("nachmittags", {"de": "Nachmittags", "en": "In the afternoon"}),
    Option("egal", {"de": "Beides passt", "en": "Either is fine"}),
)


# --- empty answers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, raw, says",
    [
        ("text", "   ", "Bitte geben Sie Ihre Antwort ein."),
        ("date", "", "Bitte geben Sie ein Datum ein."),
        ("iban", None, "Bitte geben Sie die IBAN des Kontos ein."),
        ("yesno", None, "Bitte antworten Sie mit Ja oder Nein."),
        ("address", {"street": " ", "number": "", "postcode": "", "town": ""}, "Straße, Hausnummer"),
    ],
)
def test_an_empty_required_answer_is_refused_in_german_by_default(kind, raw, says):
    with pytest.raises(AnswerError, match=says):
        parse(question(kind), raw)


def test_an_empty_optional_answer_is_no_answer():
    assert parse(question("phone", required=False), "  ") is None
    assert parse(question("choice", required=False, options=CHOICE_OPTIONS, multiple=True), []) is None
    assert display_answer(question("phone", required=False), None, "de") == "keine Angabe"
    assert display_answer(question("phone", required=False), None, "en") == "not given"


# --- text and multiline ------------------------------------------------------------------------


def test_text_is_trimmed_and_spaces_collapsed():
    assert parse(question("text"), "  Erika   Mustermann \n") == "Erika Mustermann"


def test_too_long_text_says_the_limit_and_the_length():
    message = refused(question("text", max_length=10), "Erika Mustermann")
    assert message == "Please shorten your answer to 10 characters (it now has 16)."
    assert parse(question("text", max_length=10), "  Erika  M ") == "Erika M"


def test_text_without_a_limit_stops_at_200_and_multiline_at_2000():
    assert "200" in refused(question("text"), "x" * 201)
    assert parse(question("multiline"), "y" * 2000) == "y" * 2000
    assert "2000" in refused(question("multiline"), "y" * 2001)


def test_multiline_keeps_lines_but_not_trailing_spaces():
    typed = "\r\n  Die Laterne  \r\nbrennt nicht.   \r\n\r\n"
    assert parse(question("multiline"), typed) == "Die Laterne\nbrennt nicht."


# --- dates ---------------------------------------------------------------------------------------

APPOINTMENT = question("date", earliest="today", latest="+90d")
BIRTH = question("date", earliest="-120y", latest="today")


@pytest.mark.parametrize(
    "typed",
    ["24.06.2026", "24.6.2026", "24.06.26", "24/06/2026", "24. 6. 2026", "24062026", "2026-06-24"],
)
def test_dates_are_understood_in_the_ways_people_write_them(typed):
    assert parse(APPOINTMENT, typed) == "2026-06-24"


def test_a_two_digit_year_is_read_in_the_century_that_fits_the_question():
    assert parse(BIRTH, "01.05.45") == "1945-05-01"
    assert parse(APPOINTMENT, "01.06.26") == "2026-06-01"


def test_a_two_digit_year_that_fits_two_centuries_asks_for_four_digits():
    assert refused(BIRTH, "01.05.20") == (
        "Please type the year with four digits, for example 1920 or 2020."
    )


def test_the_29th_of_february_exists_only_in_leap_years():
    open_question = question("date")
    assert parse(open_question, "29.02.2028") == "2028-02-29"
    assert refused(open_question, "29.02.2027") == (
        "There is no 29.02.2027. Please check the day and the month."
    )
    assert "Den 31.04.2026 gibt es nicht" in refused(open_question, "31.04.2026", "de")
    assert "Den 29.02.27 gibt es nicht" in refused(open_question, "29.02.27", "de")


def test_a_date_that_is_not_a_date_gets_an_example_inside_the_allowed_range():
    message = refused(APPOINTMENT, "nächsten Dienstag", "de")
    assert message.startswith("Bitte geben Sie das Datum so ein: ")
    shown = message.split(": ")[1].split(" ")[0]
    example = dt.datetime.strptime(shown, "%d.%m.%Y").date()
    assert TODAY <= example <= TODAY + dt.timedelta(days=90)
    birth_example = refused(BIRTH, "gestern", "de").split(": ")[1].split(" ")[0]
    assert dt.datetime.strptime(birth_example, "%d.%m.%Y").date() < TODAY


def test_dates_outside_the_limits_say_which_days_are_possible():
    assert refused(APPOINTMENT, "18.05.2026") == (
        "Please choose a date from 19 May 2026 to 17 Aug 2026."
    )
    assert refused(question("date", earliest="today"), "18.05.2026", "de") == (
        "Das Datum darf nicht in der Vergangenheit liegen. "
        "Bitte wählen Sie heute oder einen späteren Tag."
    )
    assert refused(question("date", latest="today"), "20.05.2026") == (
        "The date cannot be in the future. Please check it."
    )
    assert refused(question("date", earliest="2026-06-01"), "31.05.2026", "de") == (
        "Bitte wählen Sie ein Datum ab dem 01.06.2026."
    )
    adult = question("date", latest="-18y")
    assert parse(adult, "19.05.2008") == "2008-05-19"
    assert "19.05.2008" in refused(adult, "20.05.2008", "de")


def test_relative_month_limits_keep_the_day_or_use_the_last_day_of_the_month():
    leap_day = dt.date(2028, 2, 29)
    one_year = question("date", latest="-1y")
    assert parse_answer(one_year, "28.02.2027", "de", today=leap_day) == "2027-02-28"
    with pytest.raises(AnswerError):
        parse_answer(one_year, "01.03.2027", "de", today=leap_day)


def test_dates_are_shown_the_local_way():
    assert display_answer(BIRTH, "2026-12-24", "de") == "24.12.2026"
    assert display_answer(BIRTH, "2026-12-24", "en") == "24 Dec 2026"


# --- numbers and money -----------------------------------------------------------------------


def test_whole_numbers_with_thousands_separators():
    employees = question("number", minimum=0, maximum=10000)
    assert parse(employees, " 3 ") == 3
    assert parse(employees, "1.000") == 1000
    assert parse(employees, "1 000") == 1000
    assert display_answer(employees, 3, "de") == "3"


@pytest.mark.parametrize(
    "typed, says",
    [
        ("2,5", "Please type a whole number without a comma, for example 3."),
        ("drei", "Please type a number using digits, for example 3."),
        ("-3", "Please type the number without a minus sign."),
        ("10001", "Please type a number from 0 to 10000."),
        ("1.00", "Please type a whole number without a comma, for example 3."),
    ],
)
def test_numbers_that_do_not_fit_are_refused_plainly(typed, says):
    assert refused(question("number", minimum=0, maximum=10000), typed) == says


def test_a_form_may_allow_negative_numbers():
    assert parse(question("number", minimum=-40), "-12") == -12
    assert refused(question("number", minimum=-40), "-41") == "Please type a number of at least -40."


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("12,50", "12.50"),
        ("12.50", "12.50"),
        ("12,5", "12.50"),
        ("12", "12.00"),
        ("12,-", "12.00"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1.234", "1234.00"),
        ("1 234,50 €", "1234.50"),
        ("EUR 0,99", "0.99"),
        ("145,50 Euro", "145.50"),
        ("1.234.567,89", "1234567.89"),
    ],
)
def test_money_is_understood_with_comma_or_point_and_stored_with_two_decimals(typed, stored):
    value = parse(question("money", minimum=Decimal("0.00")), typed)
    assert value == stored and isinstance(value, str)


@pytest.mark.parametrize(
    "typed, says",
    [
        ("1.234,567", "Please type the amount with at most two digits for the cents, for example 12.50."),
        ("12,5555", "Please type the amount with at most two digits for the cents, for example 12.50."),
        ("zwölf", "Please type the amount in euros, for example 12.50."),
        ("1,2,3", "Please type the amount in euros, for example 12.50."),
        ("-5", "Please type the amount without a minus sign."),
    ],
)
def test_money_that_cannot_be_read_safely_is_refused(typed, says):
    assert refused(question("money", minimum=Decimal("0.00")), typed) == says


def test_money_limits_are_shown_as_money():
    fee = question("money", minimum=Decimal("0.01"), maximum=Decimal("1000.00"))
    assert refused(fee, "0", "de") == "Bitte geben Sie einen Betrag von 0,01\xa0€ bis 1.000,00\xa0€ ein."
    assert parse(fee, "1000") == "1000.00"


def test_money_is_shown_the_local_way():
    fee = question("money")
    assert display_answer(fee, "1234.50", "de") == "1.234,50\xa0€"
    assert display_answer(fee, "1234.50", "en") == "€1,234.50"


# --- choice and yesno --------------------------------------------------------------------------


def test_a_choice_is_one_of_its_options_and_shown_by_its_text():
    field = question("choice", options=CHOICE_OPTIONS)
    assert parse(field, "egal") == "egal"
    assert display_answer(field, "egal", "de") == "Beides passt"
    assert display_answer(field, "egal", "en") == "Either is fine"
    assert refused(field, "abends") == "Please choose one of the answers shown."


def test_a_multiple_choice_keeps_the_order_of_the_options_once_each():
    field = question("choice", options=CHOICE_OPTIONS, multiple=True)
    assert parse(field, ["egal", "vormittags", "egal"]) == ["vormittags", "egal"]
    assert display_answer(field, ["vormittags", "egal"], "de") == "Vormittags, Beides passt"
    assert refused(field, [], "de") == "Bitte wählen Sie mindestens eine Antwort."
    assert refused(field, ["nachts"]) == "Please choose from the answers shown."


@pytest.mark.parametrize("typed, value", [(True, True), (False, False), ("Ja", True), ("nein", False), ("yes", True)])
def test_yes_and_no(typed, value):
    assert parse(question("yesno"), typed) is value


def test_yes_no_is_shown_in_words_and_a_confirmation_must_be_yes():
    assert display_answer(question("yesno"), True, "de") == "Ja"
    assert display_answer(question("yesno"), False, "en") == "No"
    assert refused(question("yesno"), "vielleicht") == "Please answer Yes or No."
    confirm = question("yesno", must_be_yes=True)
    assert parse(confirm, True) is True
    assert refused(confirm, False, "de").startswith("Wir können den Antrag nur annehmen")


# --- address -----------------------------------------------------------------------------------


def test_an_address_is_four_parts_shown_on_one_line():
    value = parse(question("address"), {**ADDRESS, "postcode": " 39517 ", "street": " Hauptstraße "})
    assert value == ADDRESS
    assert display_answer(question("address"), value, "de") == "Hauptstraße 12a, 39517 Tangerhütte"


@pytest.mark.parametrize(
    "part, typed, says",
    [
        ("street", "", "Please type the street."),
        ("number", "", "Please type the house number, for example 12 or 12a."),
        ("number", "zwölf", "Please type the house number, for example 12 or 12a."),
        ("postcode", "3951", "Please type the postcode with 5 digits, for example 39517."),
        ("postcode", "D-39517", "Please type the postcode with 5 digits, for example 39517."),
        ("town", "", "Please type the town."),
    ],
)
def test_a_wrong_part_of_an_address_is_named(part, typed, says):
    with pytest.raises(AddressPartError) as caught:
        parse(question("address"), {**ADDRESS, part: typed}, "en")
    assert (caught.value.part, caught.value.message) == (part, says)


@pytest.mark.parametrize("number", ["12", "12a", "12 a", "12-14", "12/1", "3B"])
def test_house_numbers_as_they_are_written(number):
    assert parse(question("address"), {**ADDRESS, "number": number})["number"] == number


# --- iban --------------------------------------------------------------------------------------


def test_an_iban_is_stored_compact_and_shown_in_groups_of_four():
    field = question("iban")
    assert parse(field, "de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert display_answer(field, "DE89370400440532013000", "de") == "DE89 3704 0044 0532 0130 00"
    assert parse(field, "AT61 1904 3002 3457 3201") == "AT611904300234573201"


def test_every_single_typo_in_an_iban_is_caught():
    good = "DE89370400440532013000"
    for position in range(2, len(good)):
        for digit in "0123456789":
            if digit != good[position]:
                typo = good[:position] + digit + good[position + 1 :]
                with pytest.raises(AnswerError):
                    parse(question("iban"), typo)


@pytest.mark.parametrize(
    "typed, says",
    [
        ("DE89 3704 0044 0532 0130 01", "This IBAN cannot be right: probably one character is mistyped."),
        ("DE89 3704 0044 0532 0130 0", "An IBAN starting with DE has 22 characters; you typed 21."),
        ("DE89 3704 0044 0532 0130 000", "An IBAN starting with DE has 22 characters; you typed 23."),
        ("3704 0044 0532 0130 00", "An IBAN starts with two letters and two digits"),
        ("TR33 0006 1005 1978 6457 8413 26", "euro payment area (SEPA)"),
    ],
)
def test_a_wrong_iban_says_what_is_wrong(typed, says):
    assert says in refused(question("iban"), typed)


# --- email and phone --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, stored",
    [
        (" erika@example.de ", "erika@example.de"),
        ("Erika.M+kita@Example.DE", "Erika.M+kita@example.de"),
        ("info@müller-bau.de", "info@müller-bau.de"),
    ],
)
def test_email_addresses_that_can_be_written_to(typed, stored):
    assert parse(question("email"), typed) == stored


@pytest.mark.parametrize(
    "typed", ["erika", "erika@example", "erika@example,de", "erika @example.de", "a@b@c.de", "erika@.de", "erika..m@example.de"]
)
def test_email_addresses_with_typos_are_refused(typed):
    assert refused(question("email"), typed, "de") == (
        "Bitte prüfen Sie die E-Mail-Adresse. Sie sieht so aus: name@beispiel.de"
    )


@pytest.mark.parametrize(
    "typed", ["03935 123456", "+49 3935 123456", "(03935) 12 34 56", "0171/1234567", "0049-3935-123456"]
)
def test_phone_numbers_with_area_code(typed):
    assert parse(question("phone"), f"  {typed} ") == typed


@pytest.mark.parametrize("typed", ["123456", "abc", "0393", "03935 1234567890123", "+49 3935 ab"])
def test_phone_numbers_without_area_code_or_with_letters_are_refused(typed):
    assert refused(question("phone"), typed) == (
        "Please type the phone number with its area code, for example 03935 123456."
    )


# --- the values travel as JSON ---------------------------------------------------------------


def test_every_answer_value_survives_json_unchanged():
    answers = {
        "text": parse(question("text"), "Erika"),
        "date": parse(BIRTH, "01.05.1945"),
        "number": parse(question("number"), "2"),
        "money": parse(question("money"), "1.234,50"),
        "choice": parse(question("choice", options=CHOICE_OPTIONS), "egal"),
        "multiple": parse(question("choice", options=CHOICE_OPTIONS, multiple=True), ["egal"]),
        "yesno": parse(question("yesno"), "ja"),
        "address": parse(question("address"), ADDRESS),
        "iban": parse(question("iban"), "DE89 3704 0044 0532 0130 00"),
        "email": parse(question("email"), "erika@example.de"),
        "phone": parse(question("phone"), "03935 123456"),
    }
    assert json.loads(json.dumps(answers)) == answers
    assert answers["money"] == "1234.50" and answers["date"] == "1945-05-01"


def test_control_characters_never_reach_the_answer():
    assert parse(question("text"), "Erika\x1b[31m Muster\x00mann") == "Erika[31m Mustermann"
    assert parse(question("multiline"), "Zeile 1\r\nZeile\t2\x07") == "Zeile 1\nZeile 2"
    typed = {**ADDRESS, "street": "Haupt\x00straße"}
    assert parse(question("address"), typed)["street"] == "Hauptstraße"


def test_a_person_name_is_written_in_letters():
    from kiosk.forms import load_forms

    form = {f.id: f for f in load_forms()}["nachricht"]
    name = form.field("name")
    assert name.person_name
    with pytest.raises(AnswerError) as refused_date:
        parse_answer(name, "12.08.1964", "de")
    assert "Buchstaben" in refused_date.value.message
    with pytest.raises(AnswerError):
        parse_answer(name, "Erika 3", "en")
    assert parse_answer(name, "Erika Mustermann-Groß", "de") == "Erika Mustermann-Groß"


def test_a_date_beyond_the_limits_gets_the_forms_own_message():
    from kiosk.forms import load_forms

    forms = {f.id: f for f in load_forms()}
    birth = forms["gewerbeanmeldung"].field("birth_date")
    with pytest.raises(AnswerError) as child:
        parse_answer(birth, "01.05.2015", "de", today=TODAY)
    assert child.value.message == birth.text("outside", "de")
    assert parse_answer(birth, "01.05.1964", "de", today=TODAY) == "1964-05-01"
    finished = forms["hausnummer"].field("completion_date")
    with pytest.raises(AnswerError) as past:
        parse_answer(finished, (TODAY - dt.timedelta(days=1)).strftime("%d.%m.%Y"), "en", today=TODAY)
    assert "from today on" in past.value.message


# --- plain language -----------------------------------------------------------------------------

PLAIN_CASES = [
    ("kita_erstattung", "iban", "DE89 3704 0044 0532 0130 01", "Diese IBAN ist falsch."),
    ("kita_erstattung", "monthly_fee", "zwölf", "Schreiben Sie den Betrag in Euro."),
    ("kita_erstattung", "child_birth_date", "31.02.2020", "Den 31.02.2020 gibt es nicht."),
    ("kita_erstattung", "address", {"street": "Hauptstraße", "number": "12", "postcode": "395", "town": "Lüderitz"}, "Die Post-Leitzahl hat 5 Ziffern."),
    ("kita_erstattung", "confirmation", False, "Wählen Sie Ja."),
    ("kita_erstattung", "parent_name", "12.08.1964", "Nutzen Sie Buchstaben."),
    ("kita_erstattung", "months", [], "Wählen Sie eine Antwort oder mehr."),
    ("gewerbeanmeldung", "birth_date", "01.01.2015", "Für ein Gewerbe sind Sie mindestens 16 Jahre alt."),
    ("gewerbeanmeldung", "employees_full_time", "2,5", "Eine ganze Zahl hat kein Komma."),
    ("nachricht", "reply_phone", "123", "Die Vorwahl ist der erste Teil."),
    ("nachricht", "reply_email", "erika@", "Eine E-Mail-Adresse sieht so aus"),
    ("gewerbeanmeldung", "start_date", "01.01.2020", "Wählen Sie ein Datum zwischen dem 19.05.2025 und dem 19.05.2027."),
]


@pytest.mark.parametrize("form_id, field_id, raw, plain_words", PLAIN_CASES)
def test_every_refusal_also_says_it_in_plain_language(form_id, field_id, raw, plain_words):
    from kiosk.forms import load_forms

    field = {form.id: form for form in load_forms()}[form_id].field(field_id)
    with pytest.raises(AnswerError) as german:
        parse_answer(field, raw, "de", today=TODAY)
    assert plain_words in german.value.plain
    assert german.value.plain != german.value.message  # the official wording stays as it was
    with pytest.raises(AnswerError) as english:
        parse_answer(field, raw, "en", today=TODAY)
    assert english.value.plain and english.value.plain != german.value.plain
    sentences = [s for s in german.value.plain.replace("?", ".").split(". ") if s.strip()]
    assert all(len(s.split()) <= 16 for s in sentences), german.value.plain  # short sentences
