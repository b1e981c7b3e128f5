"""Service definitions: the shipped ones load, and every broken file is refused with a plain reason.

The broken test vectors are checked against the table in docs/forms.md, so the documentation a
municipality reads is the same as what the program does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from kiosk.errors import FormDefinitionError
from kiosk.forms import (
    FIELD_TYPES,
    builtin_forms_dir,
    check_forms,
    load_form,
    load_forms,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "forms"
DOCS = ROOT / "docs" / "forms.md"
SHIPPED = {
    "termin_buergerbuero",
    "nachricht",
    "impftermin",
    "kita_erstattung",
    "gewerbeanmeldung",
    "hausnummer",
}

MINIMAL = """\
format = 1
id = "{id}"
version = "1.0"
order = {order}
title.de = "Titel"
title.en = "Title"
summary.de = "Ein Satz."
summary.en = "One sentence."

[receipt]
next.de = "Wir melden uns."
next.en = "We will be in touch."

[[fields]]
id = "name"
type = "text"
label.de = "Wie heißen Sie?"
label.en = "What is your name?"
help.de = "Vor- und Nachname."
help.en = "First name and surname."
"""


def documented_broken_vectors() -> dict[str, set[tuple[str, str, str]]]:
    """file name -> {(field, code, English reason)} from the table in docs/forms.md."""
    rows: dict[str, set[tuple[str, str, str]]] = {}
    pattern = re.compile(r"^\| `broken/([^`]+)` \| (?:`([^`]*)`|—) \| `([a-z-]+)` \| (.+?) \|$")
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line)
        if match:
            name, field, code, reason = match.groups()
            rows.setdefault(name, set()).add((field or "", code, reason))
    return rows


def write_form(folder: Path, form_id: str, order: int = 1, text: str = MINIMAL) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{form_id}.toml"
    path.write_text(text.format(id=form_id, order=order), encoding="utf-8")
    return path


# --- the shipped services ----------------------------------------------------------------------


def test_the_six_shipped_services_load_in_start_screen_order():
    forms = load_forms()
    assert {form.id for form in forms} == SHIPPED
    orders = [form.order for form in forms]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert forms[0].id == "termin_buergerbuero"
    assert all(form.source.parent == builtin_forms_dir() for form in forms)


def test_shipped_services_are_named_after_their_file_and_carry_their_hash():
    for form in load_forms():
        assert form.source.stem == form.id
        assert form.content_hash == hashlib.sha256(form.source.read_bytes()).hexdigest()
        assert re.fullmatch(r"\d+\.\d+", form.version)


def test_every_shipped_question_speaks_both_languages_and_explains_itself():
    for form in load_forms():
        for lang in ("de", "en"):
            assert form.text("title", lang) and form.text("summary", lang)
            assert form.text("next_steps", lang)
            assert len(form.bring_list("de")) == len(form.bring_list("en"))
            for field in form.fields:
                assert field.text("label", lang).endswith("?"), (form.id, field.id, lang)
                assert len(field.text("help", lang)) > 10, (form.id, field.id, lang)
                for option in field.options:
                    assert option.text(lang)


def test_shipped_services_use_the_types_the_brief_asks_for():
    forms = {form.id: form for form in load_forms()}
    kita = forms["kita_erstattung"]
    assert kita.field("iban").type == "iban"
    assert kita.field("monthly_fee").type == "money"
    assert kita.field("months").multiple
    assert kita.field("confirmation").must_be_yes
    termin = forms["termin_buergerbuero"]
    assert termin.field("phone").required  # the town hall calls if it must move the appointment
    assert termin.field("appointment").service == "buergerbuero"  # a time from the kiosk's quota
    assert termin.field("windows").when.field == "appointment"  # or up to three wished times
    impf = forms["impftermin"]
    assert not any(field.type == "email" for field in impf.fields)  # no account, no e-mail
    assert not impf.field("phone").required  # code + date of birth identify the person
    assert impf.field("appointment").service == "impfung"
    message = forms["nachricht"]
    assert not message.field("name").required  # anonymous allowed
    assert message.field("message").max_length == 2000
    assert message.field("reply_email").when.field == "reply_by"
    gewerbe = forms["gewerbeanmeldung"]
    assert gewerbe.field("company_name").when.one_of
    assert gewerbe.field("permit_details").when.equals is True
    hausnummer = forms["hausnummer"]
    assert {"gemarkung", "flur", "flurstueck"} <= {f.id for f in hausnummer.fields}
    assert not any(field.type == "address" for field in hausnummer.fields)


def test_rathaus_forms_check_finds_nothing_wrong_with_the_shipped_services():
    assert check_forms(builtin_forms_dir()) == []


# --- the model -----------------------------------------------------------------------------------


def test_texts_fall_back_to_german_and_the_receipt_lists_what_to_bring():
    form = load_form(VECTORS / "valid" / "all_types.toml")
    name = form.field("name")
    assert name.text("label", "en") == "Name"
    assert name.text("example", "fr") == "Erika Mustermann"  # unknown language: German
    assert form.field("story").text("example", "de") == ""
    assert form.bring_list("de") == ["Personalausweis", "Bankkarte"]
    assert form.bring_list("en") == ["Identity card", "Bank card"]
    assert form.text("next", "en") == form.text("next_steps", "en") == "Nothing else."
    with pytest.raises(KeyError):
        form.field("nonexistent")


def test_constraints_are_read_with_sensible_defaults():
    form = load_form(VECTORS / "valid" / "all_types.toml")
    assert form.field("name").max_length == 50
    assert form.field("story").required is False
    assert (form.field("children").minimum, form.field("children").maximum) == (0, 20)
    assert form.field("temperature").minimum == -40
    assert (form.field("fee").minimum, form.field("fee").maximum) == (
        Decimal("0.50"),
        Decimal("999.99"),
    )
    assert form.field("birthday").earliest == "1900-01-01"  # a TOML date becomes ISO text
    assert [o.value for o in form.field("days").options] == ["mon", "tue", "wed"]
    assert form.field("slot").service == "buergerbuero"
    assert {f.type for f in form.fields} == set(FIELD_TYPES)


def test_money_and_numbers_refuse_negative_values_unless_the_form_allows_them(tmp_path):
    money = load_form(write_form(tmp_path, "geld", text=MINIMAL.replace('"text"', '"money"')))
    assert money.field("name").minimum == Decimal("0.00") and money.field("name").maximum is None
    number = load_form(write_form(tmp_path, "zahl", text=MINIMAL.replace('"text"', '"number"')))
    assert number.field("name").minimum == 0 and number.field("name").maximum is None


def test_conditions_keep_false_and_lists_apart():
    form = load_form(VECTORS / "valid" / "conditions.toml")
    why_not = form.field("why_not").when
    assert why_not.equals is False and not why_not.holds({"wants_reply": True})
    assert why_not.holds({"wants_reply": False})
    assert not why_not.holds({})
    written = form.field("written_to").when
    assert written.one_of == ("mail", "letter") and written.holds({"reply_by": "letter"})
    weekend = form.field("weekend_note").when
    assert weekend.holds({"days": ["mon", "sat"]}) and not weekend.holds({"days": ["mon"]})


# --- test vectors --------------------------------------------------------------------------------


def test_every_valid_vector_loads_and_the_documented_hash_matches():
    forms = load_forms(VECTORS / "valid")
    assert [form.id for form in forms] == ["minimal", "all_types", "conditions", "plain_language"]
    documented = re.search(r"content hash is `([0-9a-f]{64})`", DOCS.read_text(encoding="utf-8"))
    assert documented, "docs/forms.md names the hash of valid/minimal.toml"
    assert forms[0].content_hash == documented.group(1)


def test_the_docs_list_every_broken_vector_and_at_least_eight_kinds_of_mistake():
    documented = documented_broken_vectors()
    on_disk = {path.name for path in (VECTORS / "broken").glob("*.toml")}
    assert set(documented) == on_disk
    assert len(on_disk) >= 8
    assert len({code for rows in documented.values() for _, code, _ in rows}) >= 8


@pytest.mark.parametrize("name", sorted(documented_broken_vectors()))
def test_each_broken_vector_gives_exactly_the_documented_problems(name, tmp_path):
    expected = documented_broken_vectors()[name]
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(VECTORS / "broken" / name, folder / name)
    problems = check_forms(folder, lang="en")
    found = {(p.field, p.detail, p.message) for p in problems}
    if name == "syntax_error.toml":
        ((field, code, message),) = found
        assert (field, code) == ("", "toml-syntax")
        assert message.startswith("this is not valid TOML") and "line 21" in message
    else:
        assert found == expected
    assert all(p.file == name for p in problems)
    with pytest.raises(FormDefinitionError) as raised:
        load_form(folder / name, lang="en")
    assert (raised.value.file, raised.value.field, raised.value.detail) == (
        problems[0].file,
        problems[0].field,
        problems[0].detail,
    )


def test_checking_the_broken_folder_reports_every_file_at_once():
    problems = check_forms(VECTORS / "broken", lang="en")
    assert {p.file for p in problems} == {p.name for p in (VECTORS / "broken").glob("*.toml")}
    with pytest.raises(FormDefinitionError):
        load_forms(VECTORS / "broken")


def test_problem_lines_read_file_field_reason():
    problems = check_forms(VECTORS / "broken", lang="en")
    lines = {str(p) for p in problems}
    assert "unknown_key.toml: name: unknown key 'lable'; did you mean 'label'?" in lines
    assert "missing_id.toml: id: 'id' is missing" in lines


def test_problems_are_in_german_by_default():
    problems = check_forms(VECTORS / "broken")
    by_file = {p.file: p.message for p in problems}
    assert by_file["missing_german_label.toml"] == "der deutsche Text fehlt (label.de)"
    assert by_file["unknown_type.toml"] == "unbekannter Typ 'adress'; meinten Sie 'address'?"


# --- several files and folders ----------------------------------------------------------------


def test_one_file_with_several_mistakes_lists_them_all(tmp_path):
    second_question = (
        '\n[[fields]]\nid = "name"\ntype = "choice"\n'
        'label.de = "Was?"\nlabel.en = "What?"\nhelp.de = "Hilfe."\nhelp.en = "Help."\n'
    )
    text = (
        MINIMAL.replace('version = "1.0"', "version = 1").replace("help.en =", "hlep.en =")
        + second_question
    )
    write_form(tmp_path, "viele", text=text)
    codes = [(p.field, p.detail) for p in check_forms(tmp_path, lang="en")]
    assert ("version", "wrong-type") in codes
    assert ("name", "unknown-key") in codes  # hlep
    assert ("name", "missing-text") in codes  # help.en
    assert ("name", "duplicate-field") in codes
    assert ("fields[2]", "no-options") in codes


def test_two_files_with_the_same_service_id_are_refused(tmp_path):
    write_form(tmp_path, "termin", order=1)
    copy = (tmp_path / "termin.toml").read_text(encoding="utf-8")
    (tmp_path / "termin_kopie.toml").write_text(copy, encoding="utf-8")
    problems = check_forms(tmp_path, lang="en")
    assert [(p.file, p.field, p.detail) for p in problems] == [
        ("termin_kopie.toml", "id", "duplicate-form")
    ]
    assert "termin.toml" in problems[0].message
    with pytest.raises(FormDefinitionError, match="already used by termin.toml"):
        load_forms(tmp_path, lang="en")


def test_forms_are_sorted_by_order_then_id(tmp_path):
    write_form(tmp_path, "b_form", order=5)
    write_form(tmp_path, "a_form", order=5)
    write_form(tmp_path, "z_form", order=1)
    assert [f.id for f in load_forms(tmp_path)] == ["z_form", "a_form", "b_form"]


def test_an_empty_or_missing_folder_is_said_plainly(tmp_path):
    (tmp_path / "README.txt").write_text("not a form", encoding="utf-8")
    (tmp_path / ".#editor-lock.toml").write_text("junk", encoding="utf-8")
    problems = check_forms(tmp_path, lang="en")
    assert [p.detail for p in problems] == ["no-forms"]
    with pytest.raises(FormDefinitionError, match="no service definitions"):
        load_forms(tmp_path, lang="en")
    with pytest.raises(FormDefinitionError, match="does not exist"):
        check_forms(tmp_path / "missing", lang="en")
    with pytest.raises(FormDefinitionError, match="is a file"):
        load_forms(tmp_path / "README.txt", lang="en")


def test_the_content_hash_changes_with_any_byte_and_a_byte_order_mark_is_tolerated(tmp_path):
    path = write_form(tmp_path, "hinweis")
    before = load_form(path).content_hash
    path.write_text(MINIMAL.format(id="hinweis", order=1).replace("Ein Satz.", "Ein Satz!"), encoding="utf-8")
    assert load_form(path).content_hash != before
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_form(path).id == "hinweis"


# --- German for every message ------------------------------------------------------------------


def test_every_message_of_the_form_engine_has_a_german_translation():
    # every catalogue, as the running tools read them all (forms.po, access.po, walkthrough.po, ...)
    catalog = {}
    for path in sorted((ROOT / "kiosk" / "locale" / "de" / "LC_MESSAGES").glob("*.po")):
        with open(path, "rb") as handle:
            for m in read_po(handle, locale="de_DE"):
                if m.id:
                    catalog[m.id[0] if isinstance(m.id, tuple) else m.id] = m
    sources = [
        ROOT / "kiosk" / "forms" / name
        for name in ("answers.py", "schema.py", "loader.py", "session.py")
    ] + [ROOT / "kiosk" / "cli_forms.py"]
    untranslated = []
    for source in sources:
        for _lineno, message, _comments, _context in extract_from_file("python", str(source)):
            key = message[0] if isinstance(message, tuple) else message
            entry = catalog.get(key)
            strings = entry.string if entry is not None else ""
            if not strings or (isinstance(strings, tuple) and not all(strings)):
                untranslated.append(key)
    assert untranslated == []


@pytest.mark.parametrize("today", [dt.date(2026, 5, 19), dt.date(2030, 1, 10)])
def test_the_kita_refund_takes_children_who_were_in_care_during_the_closure(today):
    """The closure months are fixed (12/2020 to 05/2021): a child born after them cannot have a
    refund, and a Hort child of 13 then must still be accepted years later."""
    from kiosk.errors import AnswerError
    from kiosk.forms import parse_answer

    kita = {form.id: form for form in load_forms()}["kita_erstattung"]
    birth = kita.field("child_birth_date")
    assert parse_answer(birth, "14.08.2019", "de", today=today) == "2019-08-14"
    assert parse_answer(birth, "03.02.2008", "de", today=today) == "2008-02-03"
    with pytest.raises(AnswerError):
        parse_answer(birth, "01.09.2023", "de", today=today)
    months = [option.value for option in kita.field("months").options]
    assert birth.latest >= months[0] and birth.latest[:7] <= months[-1]
