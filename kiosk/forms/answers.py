"""Turn what a person typed into an answer value, and an answer value back into words.

``parse_answer`` is lenient about form (``12,50`` and ``12.50``, ``24.12.26``, IBAN in groups of
four) and strict about meaning (a date that does not exist, an IBAN with a wrong check digit). When
it refuses, the ``AnswerError`` message tells the person in their language what to type instead.
The values it returns are the JSON-serialisable ones of docs/architecture.md; ``display_answer``
writes them for the review screen and the staff's PDF.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

from kiosk.errors import AnswerError
from kiosk.forms import iban as iban_rules
from kiosk.forms.datelimits import resolve_limit
from kiosk.forms.model import ADDRESS_PARTS, Field
from kiosk.i18n import Gettext, N_, format_amount, format_date, format_money, translator

Raw = str | Mapping[str, str] | Sequence[str] | bool | None

DEFAULT_MAX_LENGTH = {"text": 200, "multiline": 2000}
EMAIL_MAX_LENGTH = 254
PHONE_DIGITS = (6, 15)
MONEY_MAX_DIGITS = 12
EXAMPLE_AMOUNT = Decimal("12.50")  # written the way of the language on screen: 12,50 or 12.50

_REQUIRED = {
    "choice": N_("Please choose one of the answers."),
    "yesno": N_("Please answer Yes or No."),
    "address": N_("Please fill in street, house number, postcode and town."),
    "date": N_("Please type a date."),
    "number": N_("Please type a number."),
    "money": N_("Please type an amount."),
    "iban": N_("Please type the IBAN of the account."),
    "email": N_("Please type an e-mail address."),
    "phone": N_("Please type a phone number."),
}
# The same in plain language: short sentences, one statement each, saying what to do.
_REQUIRED_PLAIN = {
    "choice": N_("Choose one answer. Then press Enter."),
    "yesno": N_("Choose Yes or No."),
    "address": N_("Fill in all 4 boxes: street, house number, postcode and town."),
    "date": N_("Type a date. Write the day, the month and the year."),
    "number": N_("Type a number. Use the digits 0 to 9."),
    "money": N_("Type an amount in euros."),
    "iban": N_("Type the IBAN. The IBAN is the number of the bank account."),
    "email": N_("Type an e-mail address."),
    "phone": N_("Type a phone number."),
}


def _refuse(_: Gettext, message: str, plain: str, **values: Any) -> AnswerError:
    """An ``AnswerError`` in the official wording and in plain language, both in ``_``'s
    language (``message`` and ``plain`` are the English texts marked with ``N_``)."""
    return AnswerError(_(message).format(**values), plain=_(plain).format(**values))


class AddressPartError(AnswerError):
    """An address answer with one part missing or wrong; ``part`` names it so the screen can put
    the cursor there (``"street"``, ``"number"``, ``"postcode"`` or ``"town"``)."""

    def __init__(self, message: str, *, part: str, plain: str = "") -> None:
        super().__init__(message, plain=plain)
        self.part = part


def parse_answer(field: Field, raw: Raw, lang: str, *, today: dt.date | None = None) -> Any:
    """The answer value for ``raw``, ``None`` for an optional question left empty.

    Raises ``AnswerError`` with a message in ``lang`` that says what to type instead. ``today``
    is only for dates with relative limits (``"+90d"``); it defaults to the current day.
    """
    _ = translator(lang)
    if _is_empty(raw):
        if field.required:
            if field.type == "choice" and field.multiple:
                raise _refuse(
                    _, N_("Please choose at least one of the answers."),
                    N_("Choose one answer or more."),
                )
            raise _refuse(
                _,
                _REQUIRED.get(field.type, N_("Please type your answer.")),
                _REQUIRED_PLAIN.get(field.type, N_("Type your answer.")),
            )
        return None
    parser = _PARSERS[field.type]
    return parser(field, raw, _, lang, today or dt.date.today())


def display_answer(field: Field, value: Any, lang: str) -> str:
    """``value`` in words for the review screen and the staff's PDF."""
    _ = translator(lang)
    if value is None:
        return _("not given")
    kind = field.type
    if kind == "yesno":
        return _("Yes") if value else _("No")
    if kind == "date":
        return format_date(dt.date.fromisoformat(value), lang)
    if kind == "money":
        return format_money(Decimal(value), lang)
    if kind == "number":
        return str(value)
    if kind == "appointment" and isinstance(value, dict):
        return str(value.get("unit", ""))
    if kind in ("choice", "appointment", "windows"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(_option_label(field, v, lang) for v in values)
    if kind == "address":
        return "{street} {number}, {postcode} {town}".format(**value)
    if kind == "iban":
        return iban_rules.grouped(value)
    return str(value)


def _option_label(field: Field, value: str, lang: str) -> str:
    try:
        return field.option(value).text(lang)
    except KeyError:
        return value


def _is_empty(raw: Raw) -> bool:
    if raw is None:
        return True
    if isinstance(raw, bool):
        return False
    if isinstance(raw, str):  # a stray escape code alone is nothing typed (it is dropped later)
        return not "".join(ch for ch in raw if unicodedata.category(ch) != "Cc").strip()
    if isinstance(raw, Mapping):
        return all(not str(raw.get(part) or "").strip() for part in ADDRESS_PARTS)
    return len(raw) == 0


def _need_text(raw: Raw) -> str:
    """Typed text without control characters (a stray escape code must not reach the PDF)."""
    if not isinstance(raw, str):
        raise TypeError(f"expected typed text, got {type(raw).__name__}")
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


# --- text, multiline, email, phone -------------------------------------------------------------


def _parse_text(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> str:
    if field.type == "multiline":
        lines = [line.rstrip() for line in _need_text(raw).split("\n")]
        value = "\n".join(lines).strip()
    else:
        value = " ".join(_need_text(raw).split())
    if field.person_name and (
        not any(ch.isalpha() for ch in value) or any(ch.isdigit() for ch in value)
    ):
        raise _refuse(
            _,
            N_("Please type a name here, in letters. A date or a number belongs to another question."),
            N_("Type a name here. Use letters. A date or a number belongs to another question."),
        )
    limit = field.max_length or DEFAULT_MAX_LENGTH[field.type]
    if len(value) > limit:
        raise _refuse(
            _,
            N_("Please shorten your answer to {limit} characters (it now has {count})."),
            N_("Your answer is too long. It has {count} characters. Make it {limit} characters or shorter."),
            limit=limit, count=len(value),
        )
    return value


_EMAIL_LOCAL = re.compile(r"^[^@\s\"(),:;<>\[\]\\]+$")
_EMAIL_LABEL = re.compile(r"^[^\W_](?:[\w-]{0,61}[^\W_])?$")
_EMAIL_TOP = re.compile(r"^[^\W\d_]{2,}$")


def _parse_email(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> str:
    value = _need_text(raw).strip()
    local, at, domain = value.rpartition("@")
    labels = domain.split(".")
    good = (
        bool(at)
        and len(value) <= EMAIL_MAX_LENGTH
        and bool(_EMAIL_LOCAL.match(local))
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
        and len(labels) >= 2
        and all(_EMAIL_LABEL.match(label) for label in labels)
        and bool(_EMAIL_TOP.match(labels[-1]))
    )
    if not good:
        raise _refuse(
            _,
            N_("Please check the e-mail address. It looks like this: name@example.de"),
            N_("Check the e-mail address. An e-mail address looks like this: name@example.de"),
        )
    return f"{local}@{domain.lower()}"


_PHONE_CHARS = re.compile(r"^\+?[0-9 ()/.\-]+$")


def _parse_phone(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> str:
    value = " ".join(_need_text(raw).split())
    digits = re.sub(r"\D", "", value)
    low, high = PHONE_DIGITS
    good = (
        bool(_PHONE_CHARS.match(value))
        and low <= len(digits) <= high
        and (value.startswith("+") or digits.startswith("0"))
    )
    if not good:
        raise _refuse(
            _,
            N_("Please type the phone number with its area code, for example 03935 123456."),
            N_("Type the phone number with the area code. The area code is the first part. "
               "Example: 03935 123456."),
        )
    return value


# --- numbers and money -------------------------------------------------------------------------

_WHOLE = re.compile(r"^\d+$|^\d{1,3}(?:[.' ]\d{3})+$")


def _parse_number(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> int:
    text = " ".join(_need_text(raw).replace("\u2212", "-").split())
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-").strip()
    if not _WHOLE.match(body):
        if re.fullmatch(r"\d+[.,]\d+", body):
            raise _refuse(
                _, N_("Please type a whole number without a comma, for example 3."),
                N_("Type a whole number. A whole number has no comma. Example: 3."),
            )
        raise _refuse(
            _, N_("Please type a number using digits, for example 3."),
            N_("Type the number with digits. Example: 3."),
        )
    value = sign * int(re.sub(r"\D", "", body))
    low, high = field.minimum, field.maximum
    if value < 0 and low is not None and low >= 0:
        raise _refuse(
            _, N_("Please type the number without a minus sign."),
            N_("Type the number without the minus sign (-)."),
        )
    if (low is not None and value < low) or (high is not None and value > high):
        raise AnswerError(
            _number_range_message(_, low, high), plain=_number_range_plain(_, low, high)
        )
    return value


def _parse_money(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> str:
    try:
        amount = _money_amount(_need_text(raw))
    except _TooPrecise:
        raise _refuse(
            _,
            N_("Please type the amount with at most two digits for the cents, for example {example}."),
            N_("Type the cents with 2 digits at most. Example: {example}."),
            example=format_amount(EXAMPLE_AMOUNT, lang),
        ) from None
    except ValueError:
        raise _refuse(
            _,
            N_("Please type the amount in euros, for example {example}."),
            N_("Type the amount in euros. Example: {example}."),
            example=format_amount(EXAMPLE_AMOUNT, lang),
        ) from None
    low, high = field.minimum, field.maximum
    if amount < 0 and low is not None and low >= 0:
        raise _refuse(
            _, N_("Please type the amount without a minus sign."),
            N_("Type the amount without the minus sign (-)."),
        )
    if (low is not None and amount < low) or (high is not None and amount > high):
        raise AnswerError(
            _money_range_message(_, low, high, lang), plain=_money_range_plain(_, low, high, lang)
        )
    return f"{amount:.2f}"


_CURRENCY = re.compile(r"€|\beur\b|\beuro\b", re.IGNORECASE)
_GROUPED = re.compile(r"\d+|\d{1,3}(?:([.,'])\d{3})(?:\1\d{3})*")


class _TooPrecise(ValueError):
    """More than two digits after the decimal mark."""


def _money_amount(text: str) -> Decimal:
    """Read ``12,50``, ``12.50``, ``1.234,50``, ``1,234.50``, ``12,-`` or ``12 €``.

    With both separators the later one is the decimal one. With only one kind: one or two digits
    after a single separator are cents; groups of exactly three digits are thousands (an amount
    with three decimals is never meant). Raises ``ValueError`` when the text is not an amount.
    """
    text = "".join(_CURRENCY.sub("", text.replace("\u2212", "-")).split())
    negative = text.startswith("-")
    if text[:1] in ("+", "-"):
        text = text[1:]
    text = re.sub(r"[.,]-+$", "", text)  # "12,-" is how whole euros are written
    if not re.fullmatch(r"\d[0-9.,']*", text):
        raise ValueError("not an amount")
    separators = [ch for ch in text if ch in ".,'"]
    last = max(text.rfind("."), text.rfind(","))
    whole, cents = text, ""
    if last >= 0:
        after = text[last + 1 :]
        single = separators.count(text[last]) == 1
        if single and (len(set(separators)) > 1 or len(after) != 3):
            whole, cents = text[:last], after
    if len(cents) > 2:
        raise _TooPrecise(cents)
    if not _GROUPED.fullmatch(whole) or (cents and not cents.isdigit()):
        raise ValueError("not an amount")
    digits = re.sub(r"\D", "", whole).lstrip("0") or "0"
    if len(digits) > MONEY_MAX_DIGITS:
        raise ValueError("too large")
    amount = Decimal(f"{digits}.{cents.ljust(2, '0')}")
    return -amount if negative and amount else amount


def _number_range_message(_: Gettext, low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return _("Please type a number from {low} to {high}.").format(low=low, high=high)
    if low is not None:
        return _("Please type a number of at least {low}.").format(low=low)
    return _("Please type a number of at most {high}.").format(high=high)


def _number_range_plain(_: Gettext, low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return _("Type a number between {low} and {high}.").format(low=low, high=high)
    if low is not None:
        return _("Type the number {low} or a bigger number.").format(low=low)
    return _("Type the number {high} or a smaller number.").format(high=high)


def _money_range_plain(_: Gettext, low: Any, high: Any, lang: str) -> str:
    def show(amount: Any) -> str:
        return format_money(Decimal(amount), lang)

    if low is not None and high is not None:
        return _("Type an amount between {low} and {high}.").format(low=show(low), high=show(high))
    if low is not None:
        return _("Type {low} or more.").format(low=show(low))
    return _("Type {high} or less.").format(high=show(high))


def _money_range_message(_: Gettext, low: Any, high: Any, lang: str) -> str:
    def show(amount: Any) -> str:
        return format_money(Decimal(amount), lang)

    if low is not None and high is not None:
        return _("Please type an amount from {low} to {high}.").format(low=show(low), high=show(high))
    if low is not None:
        return _("Please type an amount of at least {low}.").format(low=show(low))
    return _("Please type an amount of at most {high}.").format(high=show(high))


# --- choice, yesno -----------------------------------------------------------------------------

_YES = {"ja", "j", "yes", "y", "true", "1"}
_NO = {"nein", "n", "no", "false", "0"}


def _parse_choice(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> Any:
    known = [option.value for option in field.options]
    if field.multiple:
        given = [raw] if isinstance(raw, str) else list(raw or ())  # type: ignore[arg-type]
        if any(not isinstance(v, str) or v not in known for v in given):
            raise _refuse(
                _, N_("Please choose from the answers shown."),
                N_("Choose from the answers on the screen."),
            )
        chosen = set(given)
        if field.maximum is not None and len(chosen) > field.maximum:
            raise AnswerError(_("Please choose at most {count} of the answers.").format(count=field.maximum))
        return [value for value in known if value in chosen]
    if not isinstance(raw, str) or raw not in known:
        raise _refuse(
            _, N_("Please choose one of the answers shown."),
            N_("Choose one answer on the screen."),
        )
    return raw


def _parse_yesno(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> bool:
    if isinstance(raw, bool):
        value = raw
    else:
        word = _need_text(raw).strip().lower()
        if word in _YES:
            value = True
        elif word in _NO:
            value = False
        else:
            raise _refuse(_, N_("Please answer Yes or No."), N_("Choose Yes or No."))
    if field.must_be_yes and not value:
        raise _refuse(
            _,
            N_("We can only accept the request once you have confirmed this. "
               "If something is not right, please go back and correct it."),
            N_("Choose Yes. With Yes you confirm your answers. Is something wrong? "
               "Then go back with the Esc key and correct it."),
        )
    return value


# --- address -----------------------------------------------------------------------------------

_HOUSE_NUMBER = re.compile(r"^\d{1,4} ?[A-Za-z]?(?: ?[-/] ?\d{1,4} ?[A-Za-z]?)?$")
_ADDRESS_PART_MAX = 100


def _parse_address(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise TypeError("an address is given as a mapping of its four parts")
    unknown = set(raw) - set(ADDRESS_PARTS)
    if unknown:
        raise TypeError(f"unknown address parts: {sorted(unknown)}")
    parts = {name: " ".join(_need_text(raw.get(name) or "").split()) for name in ADDRESS_PARTS}
    messages = {
        "street": N_("Please type the street."),
        "number": N_("Please type the house number, for example 12 or 12a."),
        "postcode": N_("Please type the postcode with 5 digits, for example 39517."),
        "town": N_("Please type the town."),
    }
    plain = {
        "street": N_("Type the name of the street."),
        "number": N_("Type the house number. Example: 12 or 12a."),
        "postcode": N_("Type the postcode. The postcode has 5 digits. Example: 39517."),
        "town": N_("Type the name of the town."),
    }
    checks = {
        "street": lambda v: _has_letters(v),
        "number": lambda v: bool(_HOUSE_NUMBER.match(v)),
        "postcode": lambda v: bool(re.fullmatch(r"\d{5}", v.replace(" ", ""))),
        "town": lambda v: _has_letters(v),
    }
    for name in ADDRESS_PARTS:
        if not checks[name](parts[name]):
            raise AddressPartError(_(messages[name]), part=name, plain=_(plain[name]))
    parts["postcode"] = parts["postcode"].replace(" ", "")
    return parts


def _has_letters(value: str) -> bool:
    return 2 <= len(value) <= _ADDRESS_PART_MAX and any(ch.isalpha() for ch in value)


# --- iban --------------------------------------------------------------------------------------


def _parse_iban(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> str:
    value = iban_rules.compact(_need_text(raw)).replace("-", "")
    problem = iban_rules.problem(value)
    if problem == "shape":
        raise _refuse(
            _,
            N_("An IBAN starts with two letters and two digits, for example "
               "DE89 3704 0044 0532 0130 00. Please check it."),
            N_("Check the IBAN. An IBAN starts with 2 letters and 2 digits. "
               "Example: DE89 3704 0044 0532 0130 00."),
        )
    if problem == "country":
        raise _refuse(
            _,
            N_("Please give an account in the euro payment area (SEPA); a German IBAN starts with DE."),
            N_("We need an account in the SEPA area. SEPA is the area in Europe for payments in "
               "euros. A German IBAN starts with DE."),
        )
    if problem == "length":
        raise _refuse(
            _,
            N_("An IBAN starting with {country} has {expected} characters; you typed {count}. "
               "Please check it."),
            N_("An IBAN with {country} at the start has {expected} characters. You typed {count} "
               "characters. Check the IBAN."),
            country=value[:2], expected=iban_rules.SEPA_LENGTHS[value[:2]], count=len(value),
        )
    if problem == "checksum":
        raise _refuse(
            _,
            N_("This IBAN cannot be right: probably one character is mistyped. "
               "Please compare it with your bank card or a bank statement."),
            N_("This IBAN is wrong. Probably one character is mistyped. Compare the IBAN with "
               "your bank card."),
        )
    return value


# --- date --------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[.\s/-]+(\d{1,2})[.\s/-]+(\d{4}|\d{2})\.?$")
_DIGITS_ONLY = re.compile(r"^(\d{2})(\d{2})(\d{4}|\d{2})$")


def _parse_date(field: Field, raw: Raw, _: Gettext, lang: str, today: dt.date) -> str:
    text = _need_text(raw).strip()
    earliest = resolve_limit(field.earliest, today) if field.earliest else None
    latest = resolve_limit(field.latest, today) if field.latest else None
    iso = _ISO_DATE.match(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
        parts, year_digits = (day, month, year), 4
    else:
        match = _DAY_MONTH_YEAR.match(text) or _DIGITS_ONLY.match(text)
        if not match:
            example = _date_example(field, lang, earliest, latest, today)
            raise _refuse(
                _, N_("Please type the date like this: {example} (day.month.year)."),
                N_("Type the date like this: {example}. First the day, then the month, then the year."),
                example=example,
            )
        day, month, year = (int(g) for g in match.groups())
        parts, year_digits = (day, month, year), len(match.group(3))
    day, month, year = parts
    years = [year] if year_digits == 4 else [1900 + year, 2000 + year]
    existing = [d for d in (_make_date(y, month, day) for y in years) if d is not None]
    if not existing:
        shown = f"{day:02d}.{month:02d}.{year:0{year_digits}d}"
        raise _refuse(
            _, N_("There is no {date}. Please check the day and the month."),
            N_("The date {date} does not exist. Check the day and the month."),
            date=shown,
        )
    fitting = [d for d in existing if _within(d, earliest, latest)]
    if len(fitting) > 1:
        raise _refuse(
            _, N_("Please type the year with four digits, for example {first} or {second}."),
            N_("Type the year with 4 digits. Example: {first} or {second}."),
            first=fitting[0].year, second=fitting[1].year,
        )
    if not fitting:
        plain = _date_range_plain(_, earliest, latest, today, lang)
        if field.outside:  # the form says in its own words why such a day cannot be right
            raise AnswerError(
                field.text("outside", lang), plain=field.plain_text("outside", lang) or plain
            )
        raise AnswerError(_date_range_message(_, earliest, latest, today, lang), plain=plain)
    return fitting[0].isoformat()


def _date_example(
    field: Field, lang: str, earliest: dt.date | None, latest: dt.date | None, today: dt.date
) -> str:
    """The same example date the question shows under it; one of our own only where it shows none
    (a birth date) or shows words instead of a date."""
    from kiosk.forms.examples import example_for

    shown = example_for(field, lang, today).strip()
    if re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", shown):
        return shown
    return _example_date(earliest, latest, today).strftime("%d.%m.%Y")


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _within(day: dt.date, earliest: dt.date | None, latest: dt.date | None) -> bool:
    return (earliest is None or day >= earliest) and (latest is None or day <= latest)


def _date_range_message(
    _: Gettext, earliest: dt.date | None, latest: dt.date | None, today: dt.date, lang: str
) -> str:
    if earliest is not None and latest is not None:
        return _("Please choose a date from {earliest} to {latest}.").format(
            earliest=format_date(earliest, lang), latest=format_date(latest, lang)
        )
    if earliest is not None:
        if earliest == today:
            return _("The date cannot be in the past. Please choose today or a later day.")
        return _("Please choose a date on or after {earliest}.").format(
            earliest=format_date(earliest, lang)
        )
    assert latest is not None
    if latest == today:
        return _("The date cannot be in the future. Please check it.")
    return _("Please choose a date on or before {latest}.").format(
        latest=format_date(latest, lang)
    )


def _date_range_plain(
    _: Gettext, earliest: dt.date | None, latest: dt.date | None, today: dt.date, lang: str
) -> str:
    if earliest is not None and latest is not None:
        return _("Choose a date between {earliest} and {latest}.").format(
            earliest=format_date(earliest, lang), latest=format_date(latest, lang)
        )
    if earliest is not None:
        if earliest == today:
            return _("Choose today or a later day.")
        return _("Choose {earliest} or a later day.").format(earliest=format_date(earliest, lang))
    assert latest is not None
    if latest == today:
        return _("Choose today or an earlier day.")
    return _("Choose {latest} or an earlier day.").format(latest=format_date(latest, lang))


def _example_date(earliest: dt.date | None, latest: dt.date | None, today: dt.date) -> dt.date:
    """A date inside the allowed range to show in the message: in the past for birth dates."""
    if earliest is not None and latest is not None:
        return earliest + (latest - earliest) / 2
    if latest is not None and latest <= today:
        return dt.date(latest.year - 40, 5, 24)
    candidate = dt.date(today.year, 12, 24)
    if earliest is not None and candidate < earliest:
        return earliest
    if latest is not None and candidate > latest:
        return latest
    return candidate


_PARSERS: dict[str, Callable[[Field, Raw, Gettext, str, dt.date], Any]] = {
    "text": _parse_text,
    "multiline": _parse_text,
    "email": _parse_email,
    "phone": _parse_phone,
    "number": _parse_number,
    "money": _parse_money,
    "choice": _parse_choice,
    "yesno": _parse_yesno,
    "address": _parse_address,
    "iban": _parse_iban,
    "date": _parse_date,
    "appointment": _parse_choice,  # offered as a choice of the kiosk's times (kiosk.appointments)
    "windows": _parse_choice,
}
