"""Realistic answers to the shipped forms: what the compression dictionary is trained and measured on.

Answers are made from the form definitions themselves (``kiosk/forms/definitions``), so every
field id, option value and condition is the real one: a question hidden by an earlier answer is
left out, optional questions are sometimes skipped, choices take the definition's option values.
Values are German: names, streets and villages of the Altmark, dates in range, phone numbers,
IBANs with a valid check, and free text from a small set of plausible sentences. The generator is
seeded, so training and benchmark are reproducible; the benchmark uses another seed and free text
from sentences kept out of training, so it never measures the dictionary on what it learnt.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any, Iterator

from kiosk.forms import FormDefinition, load_forms
from kiosk.forms.datelimits import resolve_limit
from kiosk.forms.model import Field

FIRST_NAMES = (
    "Erika", "Hans", "Gisela", "Karl-Heinz", "Ursula", "Wolfgang", "Monika", "Dieter", "Renate",
    "Jürgen", "Helga", "Günter", "Brigitte", "Manfred", "Christa", "Uwe", "Sabine", "Jens", "Anja",
    "Mia", "Lukas", "Emma", "Leon", "Hannah", "Finn", "Sophie", "Paul", "Marie", "Ben", "Lea",
)
SURNAMES = (
    "Müller", "Schulze", "Schmidt", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann",
    "Schäfer", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Krüger",
    "Zimmermann", "Braun", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Jäger",
)
STREETS = (
    "Lindenstraße", "Hauptstraße", "Dorfstraße", "Bahnhofstraße", "Schulstraße", "Gartenstraße",
    "Kirchstraße", "Am Anger", "Breite Straße", "Lange Straße", "Birkenweg", "Feldweg",
    "Stendaler Straße", "Tangermünder Straße", "Mühlenweg", "Am Sportplatz", "Ringstraße",
)
PLACES = (
    ("39517", "Tangerhütte"), ("39517", "Lüderitz"), ("39517", "Bellingen"), ("39517", "Schernebeck"),
    ("39517", "Uchtdorf"), ("39579", "Grieben"), ("39517", "Demker"), ("39517", "Cobbel"),
    ("39576", "Stendal"), ("39590", "Tangermünde"),
)
GEMARKUNGEN = ("Tangerhütte", "Lüderitz", "Bellingen", "Schernebeck", "Grieben", "Demker")
NATIONALITIES = ("deutsch", "deutsch", "deutsch", "polnisch", "ukrainisch", "syrisch", "niederländisch")
SENTENCES = (
    "Die Straßenlaterne vor dem Haus ist seit Montag aus.",
    "Bitte rufen Sie mich vormittags an, nachmittags bin ich nicht erreichbar.",
    "Ich brauche einen Termin für einen neuen Personalausweis.",
    "Der Gehweg in der Lindenstraße hat ein tiefes Loch.",
    "Ich komme mit dem Rollator und brauche einen Platz im Erdgeschoss.",
    "Meine Tochter begleitet mich zum Termin.",
    "Der Mülleimer an der Bushaltestelle quillt über.",
    "Wir haben das Haus im Frühjahr fertig gebaut und brauchen eine Hausnummer.",
    "Verkauf von Obst und Gemüse aus eigenem Anbau auf dem Wochenmarkt.",
    "Hausmeisterdienste und kleine Reparaturen für Privatkunden.",
    "Bitte schicken Sie mir die Unterlagen per Post.",
    "Am Spielplatz ist ein Zaun kaputt, die Kinder können auf die Straße laufen.",
    "Ich höre schlecht, bitte schreiben Sie mir lieber.",
    "Vielen Dank für Ihre Hilfe!",
    "Die Bank am Dorfteich ist morsch.",
    "Online-Handel mit gebrauchten Büchern und Schallplatten.",
)
HELD_OUT_SENTENCES = (
    "Seit dem Sturm liegt ein großer Ast auf dem Radweg nach Schernebeck.",
    "Ich kann nur dienstags, weil mein Sohn mich fährt.",
    "Bitte um Rückruf wegen der Gebühren für den Kindergarten.",
    "Reinigung von Ferienwohnungen und Wäscheservice.",
    "Das Wasser im Keller kommt aus der Straßenrinne.",
    "Ich möchte den Antrag für meine Mutter stellen, sie ist 91.",
    "Die Hecke am Friedhof versperrt die Sicht auf die Kreuzung.",
    "Mobiler Fahrradreparaturdienst in den Ortsteilen.",
)
"""Free text the dictionary never sees: the benchmark measures on these, not on what it learnt."""


def _iban(rng: random.Random) -> str:
    bank = f"{rng.randrange(10**7, 10**8)}"
    account = f"{rng.randrange(10**9, 10**10)}"
    digits = bank + account + "131400"  # "DE00" moved to the end, letters as numbers
    check = 98 - int(digits) % 97
    return f"DE{check:02d}{bank}{account}"


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"03935 {rng.randrange(1000, 99999)}"
    return f"0{rng.choice(('151', '160', '170', '176'))} {rng.randrange(1000000, 99999999)}"


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _text_for(field: Field, rng: random.Random, person: dict[str, str], sentences: tuple[str, ...]) -> str:
    """A plausible value for a text question, by what its id asks for."""
    fid = field.id
    if fid in ("surname",):
        return person["surname"]
    if fid in ("first_names",):
        return person["first"]
    if "name" in fid or fid in ("account_holder", "previous_owner"):
        if fid == "company_name":
            return f"{person['surname']} {rng.choice(('Service', 'Handel', 'Bau', 'Garten'))} {rng.choice(('GmbH', 'UG', 'e.K.'))}"
        if fid == "child_name":
            return f"{rng.choice(FIRST_NAMES)} {person['surname']}"
        return f"{person['first']} {person['surname']}"
    if "street" in fid:
        return rng.choice(STREETS)
    if "village" in fid:
        return rng.choice(PLACES)[1]
    if fid == "gemarkung":
        return rng.choice(GEMARKUNGEN)
    if fid in ("flur",):
        return str(rng.randrange(1, 20))
    if fid == "flurstueck":
        return f"{rng.randrange(1, 900)}/{rng.randrange(1, 30)}"
    if fid == "nationality":
        return rng.choice(NATIONALITIES)
    if fid == "register_entry":
        return f"HRB {rng.randrange(1000, 40000)} Amtsgericht Stendal"
    if fid == "permit_reference":
        return f"BG-{rng.randrange(2019, 2027)}-{rng.randrange(1, 999):03d}"
    return rng.choice(sentences)[: field.max_length or 200]


def _date(field: Field, rng: random.Random, today: dt.date) -> str:
    """A day inside the question's own limits; birth dates of adults or children by its id."""
    earliest = resolve_limit(field.earliest, today) if field.earliest else today - dt.timedelta(days=365)
    latest = resolve_limit(field.latest, today) if field.latest else today + dt.timedelta(days=365)
    if "birth" in field.id and "child" not in field.id:
        earliest = max(earliest, today - dt.timedelta(days=95 * 365))
        latest = min(latest, today - dt.timedelta(days=18 * 365))
    span = max((latest - earliest).days, 0)
    return (earliest + dt.timedelta(days=rng.randrange(span + 1))).isoformat()


def _value(
    field: Field, rng: random.Random, person: dict[str, str], today: dt.date, sentences: tuple[str, ...]
) -> Any:
    kind = field.type
    if kind in ("text",):
        return _text_for(field, rng, person, sentences)
    if kind == "multiline":
        return " ".join(rng.sample(sentences, rng.randrange(1, 4)))[: field.max_length or 2000]
    if kind == "email":
        return f"{person['first'].lower()}.{person['surname'].lower()}@{rng.choice(('web.de', 'gmx.de', 't-online.de', 'posteo.de'))}".replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
    if kind == "phone":
        return _phone(rng)
    if kind == "date":
        return _date(field, rng, today)
    if kind == "number":
        low = int(field.minimum or 0)
        return rng.choice((low, low, low + 1, low + 2, low + rng.randrange(0, 12)))
    if kind == "money":
        low = Decimal(field.minimum or "0.01")
        high = min(Decimal(field.maximum or "500.00"), Decimal("400.00"))
        cents = rng.randrange(int(low * 100), int(high * 100) + 1)
        return f"{cents // 100}.{cents % 100:02d}"
    if kind == "choice":
        values = [option.value for option in field.options]
        if field.multiple:
            most = min(int(field.maximum or 4), 4, len(values))
            return sorted(rng.sample(values, rng.randrange(1, most + 1)), key=values.index)
        return rng.choice(values)
    if kind == "yesno":
        return True if field.must_be_yes else rng.random() < 0.5
    if kind == "address":
        postcode, town = rng.choice(PLACES)
        return {
            "number": f"{rng.randrange(1, 60)}{rng.choice(('', '', '', 'a', 'b'))}",
            "postcode": postcode,
            "street": rng.choice(STREETS),
            "town": town,
        }
    if kind == "iban":
        return _iban(rng)
    raise ValueError(f"no generator for question type {kind!r}")


TODAY = dt.date(2026, 11, 2)
"""The day the answers are given on, so date limits like "today" give the same answers every run."""


def answers_for(
    form: FormDefinition, rng: random.Random, today: dt.date | None = None, *, held_out: bool = False
) -> dict[str, Any]:
    """One citizen's answers to ``form``, as ``FormSession.answers()`` gives them; ``held_out``
    draws free text from sentences the dictionary was not trained on."""
    sentences = HELD_OUT_SENTENCES if held_out else SENTENCES
    today = today or TODAY
    person = {"first": rng.choice(FIRST_NAMES), "surname": rng.choice(SURNAMES)}
    answers: dict[str, Any] = {}
    for field in form.fields:
        if field.when is not None and not field.when.holds(answers):
            continue
        if not field.required and rng.random() < 0.4:
            continue
        answers[field.id] = _value(field, rng, person, today, sentences)
    return answers


def shipped_forms() -> list[FormDefinition]:
    """The shipped services as a kiosk without a calendar offers them on ``TODAY`` (a booking
    form asks for a request with wished windows)."""
    from kiosk.appointments.calendar import KioskCalendar, materialize

    moment = dt.datetime.combine(TODAY, dt.time(10), dt.timezone.utc)
    return [materialize(form, KioskCalendar(), set(), moment) for form in load_forms(None, lang="de")]


def samples(
    count: int, *, seed: int, held_out: bool = False
) -> Iterator[tuple[FormDefinition, dict[str, Any]]]:
    """``count`` (form, answers) pairs, spread evenly over the shipped forms."""
    rng = random.Random(seed)
    forms = shipped_forms()
    for index in range(count):
        form = forms[index % len(forms)]
        yield form, answers_for(form, rng, held_out=held_out)
