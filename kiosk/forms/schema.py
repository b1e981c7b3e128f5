"""Check a parsed service definition against the format of docs/forms.md and build the model.

Every problem is collected, not only the first, so a form author fixes a file in one round. Each
problem is a ``FormDefinitionError`` whose ``file`` is the file name, ``field`` says where (a
question's id, ``fields[3]`` for a question without a usable id, or a top-level key) and ``detail``
holds a stable reason code (``unknown-key``, ``missing-text`` ...) listed in docs/forms.md.
Unknown keys are errors: a typo such as ``lable`` would otherwise silently lose a text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from assisted_mode.roles import DEFAULT_ROLES, ROLES
from kiosk.errors import FormDefinitionError
from kiosk.forms.datelimits import is_valid_limit, resolve_limit
from kiosk.forms.model import (
    FIELD_TYPES,
    FORM_KINDS,
    KNOWN_SLOTS,
    PLAIN_KEYS,
    Condition,
    Field,
    FormDefinition,
    Option,
)
from kiosk.i18n import LANGUAGES, Gettext, N_

FORMAT_VERSION = 1
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OPTION_VALUE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
VERSION_PATTERN = re.compile(r"^\d+(\.\d+){0,3}$")
MAX_LENGTH_LIMIT = 10000
# A question (official or plain) stays on screen unscrolled above its answer: longer than this and
# the answers and buttons fall off a small console (80×25). Other texts scroll, within reason.
MAX_QUESTION_CHARS = 160
MAX_TEXT_CHARS = 1000
# Control characters reach the terminal as they are: ESC [2J would clear the kiosk's screen, others
# change its title or colours. Line breaks and tabs are the only ones a text may hold.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

TOP_KEYS = ("format", "id", "version", "order", "kind", "assistance", "title", "summary", "receipt", "fields")
RECEIPT_KEYS = ("next", "bring")
COMMON_FIELD_KEYS = ("id", "type", "required", "label", "help", "example", "when", "plain", "known")
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("max_length", "person_name"),
    "multiline": ("max_length",),
    "date": ("earliest", "latest", "outside"),
    "number": ("min", "max"),
    "money": ("min", "max"),
    "choice": ("options", "multiple"),
    "yesno": ("must_be_yes",),
    "address": (),
    "iban": (),
    "email": (),
    "phone": (),
    "appointment": ("service",),
    "windows": (),
}
OPTION_KEYS = ("value",) + LANGUAGES
CONDITION_KEYS = ("field", "equals", "one_of")
CONDITION_TARGET_TYPES = ("choice", "yesno", "appointment")
APPOINTMENT_REQUEST = "request"  # the appointment answer "none of these times: request one"

_KINDS = {
    "text": N_("text in quotes"),
    "integer": N_("a whole number"),
    "boolean": N_("true or false"),
    "table": N_("a table"),
    "list": N_("a list"),
    "amount": N_("an amount like 12.50"),
    "texts": N_("a list of texts in quotes"),
}


def build_form(
    data: Mapping[str, Any],
    *,
    source: Path,
    content_hash: str,
    _: Gettext,
    require_plain: bool = False,
) -> tuple[FormDefinition | None, list[FormDefinitionError]]:
    """The form, or ``None`` and every problem found in ``data``.

    ``require_plain``: a question without a plain-language text is a problem too
    (``rathaus forms check --require-plain``); the kiosk itself shows the official wording then.
    """
    reader = _FormReader(source.name, _, require_plain=require_plain)
    form = reader.read(data, source, content_hash)
    return (form if not reader.problems else None), reader.problems


class _FormReader:
    def __init__(self, file: str, gettext: Gettext, *, require_plain: bool = False) -> None:
        self.file = file
        self._ = gettext
        self.require_plain = require_plain
        self.problems: list[FormDefinitionError] = []

    def problem(self, where: str, code: str, message: str, **values: Any) -> None:
        text = self._(message).format(**values)
        self.problems.append(FormDefinitionError(text, file=self.file, field=where, detail=code))

    # --- generic checks ------------------------------------------------------------------------

    def keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            if close:
                self.problem(
                    where, "unknown-key", N_("unknown key '{key}'; did you mean '{suggestion}'?"),
                    key=key, suggestion=close[0],
                )
            else:
                self.problem(
                    where, "unknown-key", N_("unknown key '{key}'; allowed here: {allowed}"),
                    key=key, allowed=", ".join(allowed),
                )

    def wrong_type(self, where: str, key: str, kind: str) -> None:
        self.problem(
            where, "wrong-type", N_("'{key}' must be {kind}"), key=key, kind=self._(_KINDS[kind])
        )

    def required_key(self, table: Mapping[str, Any], key: str, where: str) -> bool:
        if key not in table:
            self.problem(where, "missing-key", N_("'{key}' is missing"), key=key)
            return False
        return True

    def texts(
        self, table: Mapping[str, Any], key: str, where: str, *, required: bool = True
    ) -> Mapping[str, str]:
        """A text in every language: ``label.de`` and ``label.en``."""
        if key not in table:
            if required:
                self.required_key(table, key, where)
            return MappingProxyType({})
        value = table[key]
        if not isinstance(value, Mapping):
            self.wrong_type(where, key, "table")
            return MappingProxyType({})
        self.keys(value, LANGUAGES, where)
        return self.language_texts(value, key, where)

    def language_texts(self, table: Mapping[str, Any], path: str, where: str) -> Mapping[str, str]:
        """``table[lang]`` for every language; ``path`` names the place in messages."""
        result: dict[str, str] = {}
        for lang in LANGUAGES:
            text = table.get(lang)
            if text is None or (isinstance(text, str) and not text.strip()):
                self._missing_text(where, f"{path}.{lang}", lang)
            elif not isinstance(text, str):
                self.wrong_type(where, f"{path}.{lang}", "text")
            elif self._odd_text(text.strip(), path, lang, where):
                continue
            else:
                result[lang] = text.strip()
        return MappingProxyType(result)

    def _odd_text(self, text: str, path: str, lang: str, where: str) -> bool:
        """A text that would harm the screen: control characters, or longer than a screen holds."""
        if CONTROL_CHARACTER.search(text):
            self.problem(
                where, "bad-text",
                N_("{path} holds a control character (such as the escape character); write plain text"),
                path=f"{path}.{lang}",
            )
            return True
        limit = MAX_QUESTION_CHARS if path in ("label", "plain.label") else MAX_TEXT_CHARS
        if len(text) > limit:
            self.problem(
                where, "bad-text",
                N_("{path} has {length} characters; at most {limit} fit on the kiosk's screen"),
                path=f"{path}.{lang}", length=len(text), limit=limit,
            )
            return True
        return False

    def _missing_text(self, where: str, path: str, lang: str) -> None:
        message = (
            N_("the German text is missing ({path})")
            if lang == "de"
            else N_("the English text is missing ({path})")
        )
        self.problem(where, "missing-text", message, path=path)

    def integer(self, table: Mapping[str, Any], key: str, where: str) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong_type(where, key, "integer")
            return None
        return value

    def boolean(self, table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.wrong_type(where, key, "boolean")
            return default
        return value

    # --- the file ------------------------------------------------------------------------------

    def read(self, data: Mapping[str, Any], source: Path, content_hash: str) -> FormDefinition | None:
        if not self.required_key(data, "format", "format"):
            return None
        if data["format"] != FORMAT_VERSION or isinstance(data["format"], bool):
            self.problem(
                "format", "bad-format-version",
                N_("format {value} is not supported; this program reads format {supported}"),
                value=data["format"], supported=FORMAT_VERSION,
            )
            return None
        for key in data:
            if key not in TOP_KEYS:
                self.keys({key: None}, TOP_KEYS, str(key))
        form_id = self._form_id(data)
        version = self._version(data)
        order = self.integer(data, "order", "order") if self.required_key(data, "order", "order") else None
        kind = self._kind(data)
        assistance = self._assistance(data)
        title = self.texts(data, "title", "title")
        summary = self.texts(data, "summary", "summary")
        next_steps, bring = self._receipt(data)
        fields = self._fields(data)
        if self.problems:
            return None
        return FormDefinition(
            id=form_id or "",
            version=version or "",
            content_hash=content_hash,
            order=order or 0,
            kind=kind,
            assistance=assistance,
            title=title,
            summary=summary,
            next_steps=next_steps,
            bring=bring,
            fields=fields,
            source=source,
        )

    def _form_id(self, data: Mapping[str, Any]) -> str | None:
        if not self.required_key(data, "id", "id"):
            return None
        value = data["id"]
        if not isinstance(value, str):
            self.wrong_type("id", "id", "text")
            return None
        if not ID_PATTERN.match(value):
            self._bad_id("id", value)
            return None
        return value

    def _bad_id(self, where: str, value: Any) -> None:
        self.problem(
            where, "bad-id",
            N_("'{value}' is not a valid id: use up to 40 lowercase letters, digits and _, "
               "starting with a letter"),
            value=value,
        )

    def _kind(self, data: Mapping[str, Any]) -> str:
        """``kind``: what the person hands in, for the words around the questions (an application
        is approved or cancelled, a message is neither)."""
        value = data.get("kind", FORM_KINDS[0])
        if not isinstance(value, str):
            self.wrong_type("kind", "kind", "text")
            return FORM_KINDS[0]
        if value not in FORM_KINDS:
            self.problem(
                "kind", "bad-kind", N_("kind '{value}' is not known; use one of: {kinds}"),
                value=value, kinds=", ".join(FORM_KINDS),
            )
            return FORM_KINDS[0]
        return value

    def _assistance(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        """``assistance``: which helpers the service accepts (docs/assisted-mode.md). Without it,
        an assistant only: anyone may help a citizen type, but acting for them needs a service
        that says so."""
        value = data.get("assistance", list(DEFAULT_ROLES))
        if not isinstance(value, list) or not all(isinstance(role, str) for role in value):
            self.wrong_type("assistance", "assistance", "list")
            return DEFAULT_ROLES
        unknown = [role for role in value if role not in ROLES]
        if unknown or len(set(value)) != len(value):
            self.problem(
                "assistance", "bad-assistance",
                N_("assistance lists '{value}'; use each of these at most once: {roles}"),
                value=", ".join(unknown or value), roles=", ".join(ROLES),
            )
            return DEFAULT_ROLES
        return tuple(role for role in ROLES if role in value)

    def _version(self, data: Mapping[str, Any]) -> str | None:
        if not self.required_key(data, "version", "version"):
            return None
        value = data["version"]
        if not isinstance(value, str):
            self.wrong_type("version", "version", "text")
            return None
        if not VERSION_PATTERN.match(value):
            self.problem(
                "version", "bad-version",
                N_("version '{value}' must be numbers with dots, like \"1.0\""), value=value,
            )
            return None
        return value

    def _receipt(
        self, data: Mapping[str, Any]
    ) -> tuple[Mapping[str, str], Mapping[str, tuple[str, ...]]]:
        empty_bring = MappingProxyType({lang: () for lang in LANGUAGES})
        if not self.required_key(data, "receipt", "receipt"):
            return MappingProxyType({}), empty_bring
        receipt = data["receipt"]
        if not isinstance(receipt, Mapping):
            self.wrong_type("receipt", "receipt", "table")
            return MappingProxyType({}), empty_bring
        self.keys(receipt, RECEIPT_KEYS, "receipt")
        next_steps = self.texts(receipt, "next", "receipt.next")
        if "bring" not in receipt:
            return next_steps, empty_bring
        lists = receipt["bring"]
        if not isinstance(lists, Mapping):
            self.wrong_type("receipt.bring", "bring", "table")
            return next_steps, empty_bring
        self.keys(lists, LANGUAGES, "receipt.bring")
        bring: dict[str, tuple[str, ...]] = {}
        for lang in LANGUAGES:
            items = lists.get(lang)
            if items is None:
                self._missing_text("receipt.bring", f"bring.{lang}", lang)
            elif not isinstance(items, list) or not all(
                isinstance(item, str) and item.strip() for item in items
            ):
                self.wrong_type("receipt.bring", f"bring.{lang}", "texts")
            else:
                bring[lang] = tuple(item.strip() for item in items)
        if len({len(items) for items in bring.values()}) > 1:
            self.problem(
                "receipt.bring", "bring-mismatch",
                N_("bring.de and bring.en must list the same things, one for one"),
            )
        return next_steps, MappingProxyType(bring)

    # --- the questions -------------------------------------------------------------------------

    def _fields(self, data: Mapping[str, Any]) -> tuple[Field, ...]:
        if not self.required_key(data, "fields", "fields"):
            return ()
        entries = data["fields"]
        if not isinstance(entries, list):
            self.wrong_type("fields", "fields", "list")
            return ()
        if not entries:
            self.problem("fields", "no-fields", N_("the form has no questions ([[fields]])"))
            return ()
        all_ids = [e.get("id") for e in entries if isinstance(e, Mapping)]
        earlier: dict[str, Field | None] = {}
        result: list[Field] = []
        for number, entry in enumerate(entries, start=1):
            field = self._field(entry, number, earlier, all_ids)
            if field is not None:
                result.append(field)
        return tuple(result)

    def _field(
        self,
        entry: Any,
        number: int,
        earlier: dict[str, Field | None],
        all_ids: list[Any],
    ) -> Field | None:
        where = f"fields[{number}]"
        if not isinstance(entry, Mapping):
            self.wrong_type(where, where, "table")
            return None
        field_id = entry.get("id")
        if field_id is None:
            self.required_key(entry, "id", where)
        elif not isinstance(field_id, str):
            self.wrong_type(where, "id", "text")
            field_id = None
        elif not ID_PATTERN.match(field_id):
            self._bad_id(where, field_id)
            field_id = None
        elif field_id in earlier:
            self.problem(
                field_id, "duplicate-field",
                N_("the id '{id}' is used by two questions; each question needs its own id"),
                id=field_id,
            )
            field_id = None
        else:
            where = field_id
        before = len(self.problems)
        kind = self._field_type(entry, where)
        allowed = COMMON_FIELD_KEYS + (TYPE_KEYS[kind] if kind else ())
        self._field_keys(entry, allowed, kind, where)
        required = self.boolean(entry, "required", where, True)
        label = self.texts(entry, "label", where)
        help_text = self.texts(entry, "help", where)
        example = self.texts(entry, "example", where, required=False)
        constraints = self._constraints(entry, kind, required, where) if kind else {}
        when = self._condition(entry, where, earlier, all_ids) if "when" in entry else None
        plain = self._plain(entry, kind, bool(constraints.get("outside")), where)
        known = self._known(entry, kind, where)
        field = None
        if len(self.problems) == before and field_id and kind:
            field = Field(
                id=field_id, type=kind, required=required, label=label, help=help_text,
                example=example, when=when, plain=plain, known=known, **constraints,
            )
        if field_id:
            earlier[field_id] = field
        return field

    def _plain(
        self, entry: Mapping[str, Any], kind: str | None, has_outside: bool, where: str
    ) -> Mapping[str, Mapping[str, str]]:
        """``plain``: the question (``label``) and its explanation (``help``) in plain language,
        and for a date with its own ``outside`` message that one too."""
        if "plain" not in entry:
            if self.require_plain:
                self.problem(
                    where, "missing-plain",
                    N_("there is no plain-language text (plain.label and plain.help)"),
                )
            return MappingProxyType({})
        table = entry["plain"]
        if not isinstance(table, Mapping):
            self.wrong_type(where, "plain", "table")
            return MappingProxyType({})
        allowed = PLAIN_KEYS if has_outside else tuple(k for k in PLAIN_KEYS if k != "outside")
        self.keys(table, allowed, where)
        result: dict[str, Mapping[str, str]] = {}
        for key in allowed:
            path = f"plain.{key}"
            if key not in table:
                if key != "outside":
                    self.problem(where, "missing-key", N_("'{key}' is missing"), key=path)
                continue
            if not isinstance(table[key], Mapping):
                self.wrong_type(where, path, "table")
                continue
            self.keys(table[key], LANGUAGES, where)
            texts = self.language_texts(table[key], path, where)
            if texts:
                result[key] = texts
        if has_outside and "outside" not in table and self.require_plain:
            self.problem(
                where, "missing-plain",
                N_("there is no plain-language text for 'outside' (plain.outside)"),
            )
        return MappingProxyType(result)

    def _known(self, entry: Mapping[str, Any], kind: str | None, where: str) -> str:
        """``known``: the question asks about the visitor themselves, so an earlier answer of the
        same visit is offered (``name``, ``address``, ``phone``, ``email``, ``birth_date``)."""
        value = entry.get("known")
        if value is None:
            return ""
        if not isinstance(value, str) or value not in KNOWN_SLOTS:
            self.problem(
                where, "bad-known", N_("known = \"{value}\" is not possible; use one of: {slots}"),
                value=value, slots=", ".join(KNOWN_SLOTS),
            )
            return ""
        if kind and KNOWN_SLOTS[value] != kind:
            self.problem(
                where, "bad-known",
                N_("known = \"{value}\" needs a question of type '{wanted}', not '{type}'"),
                value=value, wanted=KNOWN_SLOTS[value], type=kind,
            )
            return ""
        return value

    def _field_type(self, entry: Mapping[str, Any], where: str) -> str | None:
        if not self.required_key(entry, "type", where):
            return None
        kind = entry["type"]
        if kind in FIELD_TYPES:
            return kind
        close = difflib.get_close_matches(str(kind), FIELD_TYPES, n=1, cutoff=0.6)
        if close:
            self.problem(
                where, "unknown-type", N_("unknown type '{type}'; did you mean '{suggestion}'?"),
                type=kind, suggestion=close[0],
            )
        else:
            self.problem(
                where, "unknown-type", N_("unknown type '{type}'; possible types: {types}"),
                type=kind, types=", ".join(FIELD_TYPES),
            )
        return None

    def _field_keys(
        self, entry: Mapping[str, Any], allowed: tuple[str, ...], kind: str | None, where: str
    ) -> None:
        other_type_keys = {key for keys in TYPE_KEYS.values() for key in keys}
        for key in entry:
            if key in allowed:
                continue
            if key in other_type_keys:
                if kind:
                    self.problem(
                        where, "unknown-key",
                        N_("'{key}' is not used by questions of type '{type}'"),
                        key=key, type=kind,
                    )
                continue
            self.keys({key: None}, allowed, where)

    def _constraints(
        self, entry: Mapping[str, Any], kind: str, required: bool, where: str
    ) -> dict[str, Any]:
        if kind == "text":
            return {
                "max_length": self._max_length(entry, where),
                "person_name": self.boolean(entry, "person_name", where, False),
            }
        if kind == "multiline":
            return {"max_length": self._max_length(entry, where)}
        if kind == "number":
            return self._min_max(entry, where, self.integer, 0)
        if kind == "money":
            return self._min_max(entry, where, self._amount, Decimal("0.00"))
        if kind == "date":
            return self._date_limits(entry, where)
        if kind == "choice":
            return {
                "options": self._options(entry, where),
                "multiple": self.boolean(entry, "multiple", where, False),
            }
        if kind == "appointment":
            service = entry.get("service")
            if not isinstance(service, str) or not ID_PATTERN.match(service):
                self.problem(
                    where, "missing-key",
                    N_("an appointment question needs 'service', the bookable service of the town hall's calendar"),
                )
                return {}
            return {"service": service}
        if kind == "yesno":
            must_be_yes = self.boolean(entry, "must_be_yes", where, False)
            if must_be_yes and not required:
                self.problem(
                    where, "conflict", N_("must_be_yes = true needs required = true")
                )
            return {"must_be_yes": must_be_yes}
        return {}

    def _max_length(self, entry: Mapping[str, Any], where: str) -> int | None:
        value = self.integer(entry, "max_length", where)
        if value is not None and not 1 <= value <= MAX_LENGTH_LIMIT:
            self.problem(
                where, "bad-limit", N_("max_length must be from 1 to {limit}"),
                limit=MAX_LENGTH_LIMIT,
            )
            return None
        return value

    def _amount(self, entry: Mapping[str, Any], key: str, where: str) -> Decimal | None:
        value = entry.get(key)
        if value is None:
            return None
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise InvalidOperation
            amount = Decimal(str(value))
            if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            self.wrong_type(where, key, "amount")
            return None
        return amount.quantize(Decimal("0.01"))

    def _min_max(
        self, entry: Mapping[str, Any], where: str, read: Any, default_min: int | Decimal
    ) -> dict[str, Any]:
        """``min`` and ``max``; without ``min`` nothing below zero is accepted (counts and
        amounts are never negative unless the form says so)."""
        low = read(entry, "min", where)
        high = read(entry, "max", where)
        if low is None and "min" not in entry:
            low = default_min
        if low is not None and high is not None and low > high:
            self.problem(
                where, "bad-limit", N_("min ({low}) is greater than max ({high})"),
                low=low, high=high,
            )
        return {"minimum": low, "maximum": high}

    def _date_limits(self, entry: Mapping[str, Any], where: str) -> dict[str, Any]:
        limits: dict[str, str | None] = {}
        for key in ("earliest", "latest"):
            value = entry.get(key)
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                value = value.isoformat()
            if value is not None and not (isinstance(value, str) and is_valid_limit(value)):
                self.problem(
                    where, "bad-limit",
                    N_("{key} '{value}' is not a date limit: use \"today\", a distance like "
                       "\"+30d\", \"-2w\", \"+6m\", \"-18y\", or a date like \"2026-01-31\""),
                    key=key, value=value,
                )
                value = None
            limits[key] = value.strip() if isinstance(value, str) else None
        earliest, latest = limits["earliest"], limits["latest"]
        if earliest and latest:
            today = dt.date.today()
            if resolve_limit(earliest, today) > resolve_limit(latest, today):
                self.problem(
                    where, "bad-limit", N_("earliest ({earliest}) is after latest ({latest})"),
                    earliest=earliest, latest=latest,
                )
        outside = self.texts(entry, "outside", where, required=False)
        return {"earliest": earliest, "latest": latest, "outside": outside}

    def _options(self, entry: Mapping[str, Any], where: str) -> tuple[Option, ...]:
        options = entry.get("options")
        if not isinstance(options, list) or len(options) < 2:
            self.problem(
                where, "no-options",
                N_("a choice question needs at least two options ([[fields.options]] with "
                   "value, de and en)"),
            )
            return ()
        result: list[Option] = []
        seen: set[str] = set()
        for number, option in enumerate(options, start=1):
            if not isinstance(option, Mapping):
                self.wrong_type(where, f"options[{number}]", "table")
                continue
            self.keys(option, OPTION_KEYS, where)
            value = option.get("value")
            if not isinstance(value, str) or not OPTION_VALUE_PATTERN.match(value):
                self.problem(
                    where, "bad-option",
                    N_("option {number}: value '{value}' is not valid: use lowercase letters, "
                       "digits, - and _ in quotes"),
                    number=number, value=value,
                )
                continue
            if value in seen:
                self.problem(
                    where, "duplicate-option", N_("the option value '{value}' appears twice"),
                    value=value,
                )
                continue
            seen.add(value)
            labels = self.language_texts(option, f"options[{number}]", where)
            result.append(Option(value=value, label=labels))
        return tuple(result)

    def _condition(
        self,
        entry: Mapping[str, Any],
        where: str,
        earlier: dict[str, Field | None],
        all_ids: list[Any],
    ) -> Condition | None:
        when = entry["when"]
        if not isinstance(when, Mapping):
            self.wrong_type(where, "when", "table")
            return None
        self.keys(when, CONDITION_KEYS, where)
        target_id = when.get("field")
        has_equals, has_one_of = "equals" in when, "one_of" in when
        if not isinstance(target_id, str) or has_equals == has_one_of:
            self.problem(
                where, "bad-condition",
                N_("when needs 'field' and either 'equals' or 'one_of', for example "
                   "when = {{ field = \"wants_reply\", equals = true }}"),
            )
            return None
        if target_id not in earlier:
            if target_id in all_ids:
                message = N_("when refers to '{target}', which comes later; a question can only "
                             "depend on questions before it")
            else:
                message = N_("when refers to '{target}', but there is no question with that id")
            self.problem(where, "condition-field", message, target=target_id)
            return None
        target = earlier[target_id]
        if target is None:
            return None  # the earlier question has its own problem, already reported
        if target.type not in CONDITION_TARGET_TYPES:
            self.problem(
                where, "condition-field",
                N_("when can only depend on a choice or yesno question; '{target}' is of "
                   "type '{type}'"),
                target=target_id, type=target.type,
            )
            return None
        wanted = [when["equals"]] if has_equals else when["one_of"]
        if not isinstance(wanted, list) or not wanted:
            self.wrong_type(where, "one_of", "list")
            return None
        if not all(self._fits(target, value) for value in wanted):
            if target.type == "yesno":
                self.problem(
                    where, "condition-value",
                    N_("'{target}' is a yesno question: compare with true or false, without "
                       "quotes"),
                    target=target_id,
                )
            else:
                bad = next(v for v in wanted if not self._fits(target, v))
                self.problem(
                    where, "condition-value",
                    N_("'{value}' is not an option of '{target}'; its options are: {values}"),
                    value=bad, target=target_id,
                    values=", ".join(o.value for o in target.options),
                )
            return None
        if has_equals:
            return Condition(field=target_id, equals=wanted[0])
        return Condition(field=target_id, one_of=tuple(wanted))

    @staticmethod
    def _fits(target: Field, value: Any) -> bool:
        if target.type == "yesno":
            return isinstance(value, bool)
        if target.type == "appointment":
            return value == APPOINTMENT_REQUEST
        return isinstance(value, str) and any(o.value == value for o in target.options)
