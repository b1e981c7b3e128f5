"""Languages: gettext catalogues for interface text, Babel for dates and money.

Interface strings are written in English in the code and wrapped in ``_()`` (or ``N_()`` where they
are only marked). German translations live in ``kiosk/locale/de/LC_MESSAGES/*.po``: one catalogue
per area, so they can be reviewed by the town hall's staff without programming. The ``.po`` files are
compiled in memory at first use, so no generated ``.mo`` file is ever kept in the tree.
Form texts (questions, help) are not here: they travel in the form definitions themselves.
"""

from __future__ import annotations

import datetime as _dt
import gettext
import io
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Callable

from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.dates import get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES: tuple[str, ...] = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}
_LOCALES = {"de": "de_DE", "en": "en_GB"}
LOCALE_DIR = Path(__file__).parent / "locale"

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


def normalise_language(lang: str | None) -> str:
    """Map anything (``de_DE.UTF-8``, ``EN``, ``None``) to one of ``LANGUAGES``."""
    if not lang:
        return DEFAULT_LANGUAGE
    short = lang.split(".")[0].split("_")[0].split("-")[0].lower()
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


def language_from_environment() -> str:
    """The staff tools speak the language of the shell they run in (``RATHAUS_LANG`` or ``LANG``)."""
    return normalise_language(os.environ.get("RATHAUS_LANG") or os.environ.get("LANG"))


@lru_cache(maxsize=None)
def _translations(lang: str) -> gettext.NullTranslations:
    lang = normalise_language(lang)
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    result: gettext.NullTranslations = gettext.NullTranslations()
    if not folder.is_dir():
        return result
    for po_path in sorted(folder.glob("*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=_LOCALES[lang])
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        translations = gettext.GNUTranslations(buffer)
        translations.add_fallback(result)
        result = translations
    return result


def translator(lang: str) -> Gettext:
    """Return ``_`` for one language."""
    return _translations(normalise_language(lang)).gettext


def ntranslator(lang: str) -> Callable[[str, str, int], str]:
    """Return ``ngettext`` for one language (``"1 Antrag"`` / ``"3 Anträge"``)."""
    return _translations(normalise_language(lang)).ngettext


def format_date(value: _dt.date, lang: str) -> str:
    """A date as people in that language write it (``24.12.2026`` / ``24 Dec 2026``)."""
    return _babel_format_date(value, format="medium", locale=_LOCALES[normalise_language(lang)])


def local_timezone() -> _dt.tzinfo:
    """The town hall's time zone (``RATHAUS_TZ``, default Europe/Berlin), whatever the machine says."""
    return get_timezone(os.environ.get("RATHAUS_TZ") or "Europe/Berlin")


def format_datetime(value: _dt.datetime, lang: str) -> str:
    """A moment in the town hall's local time, to the minute (stored times are UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return _babel_format_datetime(
        value, format="medium", tzinfo=local_timezone(), locale=_LOCALES[normalise_language(lang)]
    ).rsplit(":", 1)[0]


def format_money(value: Decimal, lang: str) -> str:
    """Euro amounts the local way (``1.234,50 €``)."""
    return format_currency(value, "EUR", locale=_LOCALES[normalise_language(lang)])


def format_amount(value: Decimal, lang: str) -> str:
    """An amount without the currency, with the language's decimal mark (``12,50`` / ``12.50``),
    for examples in hints and messages."""
    return format_decimal(value, format="#,##0.00", locale=_LOCALES[normalise_language(lang)])
