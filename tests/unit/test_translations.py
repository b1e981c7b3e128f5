"""Every sentence a person can see exists in German, the kiosk's default language."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

from babel.messages.pofile import read_po

from kiosk.i18n import LOCALE_DIR, translator

ROOT = Path(__file__).resolve().parents[2]


def _german_catalogue() -> dict[str, str]:
    entries: dict[str, str] = {}
    for po_path in sorted((LOCALE_DIR / "de" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as fh:
            for message in read_po(fh, locale="de_DE"):
                if message.id and isinstance(message.id, str) and message.string:
                    entries[message.id] = message.string
    return entries


def _messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("kiosk", "sync", "assisted_mode"):
        for source in sorted((ROOT / package).rglob("*.py")):
            for line, message, _comments, _context in extract_from_file("python", source):
                if isinstance(message, str) and message.strip():
                    found.setdefault(message, f"{source.relative_to(ROOT)}:{line}")
    return found


def test_every_interface_text_has_a_german_translation():
    catalogue = _german_catalogue()
    messages = _messages()
    assert len(messages) > 100
    missing = sorted(f"{where}: {msg!r}" for msg, where in messages.items() if msg not in catalogue)
    assert missing == []


def test_placeholders_survive_translation():
    german = translator("de")
    import re

    placeholder = re.compile(r"\{[a-z_]+\}")
    broken = [
        msg
        for msg in _messages()
        if sorted(placeholder.findall(msg)) != sorted(placeholder.findall(german(msg)))
    ]
    assert broken == []


def test_one_english_text_reads_the_same_in_german_in_every_catalogue():
    # The tools read every catalogue at once; a text translated twice would show whichever
    # catalogue happens to load last, so one screen could word it unlike another.
    first: dict[str, tuple[str, object]] = {}
    differing = []
    for po_path in sorted((LOCALE_DIR / "de" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale="de_DE"):
                if not message.id:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                seen = first.setdefault(key, (po_path.name, message.string))
                if seen[1] != message.string:
                    differing.append(f"{key!r}: {seen[0]} and {po_path.name}")
    assert differing == []
