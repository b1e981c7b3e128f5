"""What a service definition holds once it has been read and checked.

The classes are frozen: a loaded form is the same for the whole life of the kiosk, and its
``content_hash`` travels with every submission, so nothing may change it after loading. Texts are
kept per language (``{"de": ..., "en": ...}``); German is the fallback because the town hall works
in German.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

FIELD_TYPES: tuple[str, ...] = (
    "text",
    "multiline",
    "date",
    "number",
    "money",
    "choice",
    "yesno",
    "address",
    "iban",
    "email",
    "phone",
    "appointment",
    "windows",
)

# What a service hands in (``kind`` in the file): the words around the questions depend on it. An
# application is approved or refused and can be cancelled; a message is neither.
FORM_KINDS: tuple[str, ...] = ("application", "message")

FALLBACK_LANGUAGE = "de"

# ``known``: what a question asks about the visitor themselves, so an answer given in one service is
# offered again in the next one of the same visit (kiosk/visit.py). Each goes with one type.
KNOWN_SLOTS: dict[str, str] = {
    "name": "text",
    "address": "address",
    "phone": "phone",
    "email": "email",
    "birth_date": "date",
}

# ``plain``: the question's texts in plain language, beside the official wording.
PLAIN_KEYS: tuple[str, ...] = ("label", "help", "outside")

# Parts of an ``address`` answer, in the order they are asked and printed.
ADDRESS_PARTS: tuple[str, ...] = ("street", "number", "postcode", "town")


def pick_text(texts: Mapping[str, str], lang: str) -> str:
    """The text in ``lang``, or the German one when that language is missing."""
    return texts.get(lang) or texts.get(FALLBACK_LANGUAGE, "")


@dataclass(frozen=True)
class Option:
    """One possible answer of a ``choice`` question: a stable value and its label per language."""

    value: str
    label: Mapping[str, str] = dataclass_field(hash=False)

    def text(self, lang: str) -> str:
        return pick_text(self.label, lang)


@dataclass(frozen=True)
class Condition:
    """``when``: a question is asked only if an earlier ``choice`` or ``yesno`` answer fits.

    ``equals`` and ``one_of`` are exclusive; ``equals`` may be ``False`` (a "no" answer), so
    ``None`` means "not used". For a multiple choice the condition holds when any selected
    value fits.
    """

    field: str
    equals: Any = None
    one_of: tuple = ()

    def holds(self, answers: Mapping[str, Any]) -> bool:
        value = answers.get(self.field)
        if value is None:
            return False
        wanted = self.one_of if self.one_of else (self.equals,)
        given = value if isinstance(value, (list, tuple)) else (value,)
        return any(_same(g, w) for g in given for w in wanted)


def _same(given: Any, wanted: Any) -> bool:
    """Equal and of the same kind: ``True`` must not match the number ``1``."""
    return type(given) is type(wanted) and given == wanted


@dataclass(frozen=True)
class Field:
    """One question, shown on its own screen.

    The constraints only mean something for some types: ``max_length`` for text and multiline,
    ``minimum``/``maximum`` for number (``int``) and money (``Decimal``), ``earliest``/``latest``
    for date (kept as written, e.g. ``"today"`` or ``"-18y"``, because they are worked out on the
    day the question is answered) with ``outside``, the form's own message for a date beyond them,
    ``person_name`` for a text that is a person's name, ``must_be_yes`` for a yesno confirmation.
    """

    id: str
    type: str
    required: bool
    label: Mapping[str, str] = dataclass_field(hash=False)
    help: Mapping[str, str] = dataclass_field(hash=False)
    example: Mapping[str, str] = dataclass_field(hash=False)
    options: tuple[Option, ...] = ()
    multiple: bool = False
    when: Condition | None = None
    max_length: int | None = None
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    earliest: str | None = None
    latest: str | None = None
    outside: Mapping[str, str] = dataclass_field(default_factory=dict, hash=False)
    person_name: bool = False
    must_be_yes: bool = False
    known: str = ""
    plain: Mapping[str, Mapping[str, str]] = dataclass_field(default_factory=dict, hash=False)
    service: str | None = None
    """``appointment``: the town hall's bookable service (``calendar.toml``) whose times it offers."""

    def text(self, key: str, lang: str) -> str:
        """``"label"``, ``"help"``, ``"example"`` or ``"outside"`` in ``lang``, falling back to
        German."""
        if key not in ("label", "help", "example", "outside"):
            raise KeyError(key)
        return pick_text(getattr(self, key), lang)

    def plain_text(self, key: str, lang: str) -> str:
        """``"label"``, ``"help"`` or ``"outside"`` in plain language; empty where the form has
        none (the official wording is then all there is)."""
        if key not in PLAIN_KEYS:
            raise KeyError(key)
        return pick_text(self.plain.get(key, {}), lang)

    def option(self, value: str) -> Option:
        for option in self.options:
            if option.value == value:
                return option
        raise KeyError(value)


@dataclass(frozen=True)
class FormDefinition:
    """One service the kiosk offers, read from one TOML file.

    ``id``, ``version`` and ``content_hash`` (SHA-256 of the file's bytes) go with every
    submission, so the town hall knows exactly which questions were asked.
    """

    id: str
    version: str
    content_hash: str
    order: int
    title: Mapping[str, str] = dataclass_field(hash=False)
    summary: Mapping[str, str] = dataclass_field(hash=False)
    next_steps: Mapping[str, str] = dataclass_field(hash=False)
    bring: Mapping[str, tuple[str, ...]] = dataclass_field(hash=False)
    kind: str = FORM_KINDS[0]
    assistance: tuple[str, ...] = ("assistant",)
    """Which helpers the service accepts: ``assistant`` and/or ``representative`` (docs/forms.md)."""
    fields: tuple[Field, ...] = ()
    source: Path = Path()

    def text(self, key: str, lang: str) -> str:
        """``"title"``, ``"summary"`` or ``"next_steps"`` (also ``"next"``) in ``lang``."""
        texts = {
            "title": self.title,
            "summary": self.summary,
            "next_steps": self.next_steps,
            "next": self.next_steps,
        }
        if key not in texts:
            raise KeyError(key)
        return pick_text(texts[key], lang)

    def bring_list(self, lang: str) -> list[str]:
        """What the person should bring or keep ready, for the receipt (may be empty)."""
        items = self.bring.get(lang) or self.bring.get(FALLBACK_LANGUAGE, ())
        return list(items)

    def field(self, field_id: str) -> Field:
        for candidate in self.fields:
            if candidate.id == field_id:
                return candidate
        raise KeyError(field_id)
