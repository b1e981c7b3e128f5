"""Every text of the workplace's pages exists in German, and the workplace needs no terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_file

from babel.messages.pofile import read_po

from kiosk.i18n import LOCALE_DIR

TEMPLATES = Path(__file__).resolve().parents[2] / "sync" / "workplace" / "templates"


def _template_messages() -> list[tuple[str, object]]:
    found = []
    for template in sorted(TEMPLATES.glob("*.html")):
        for line, message, _comments, _context in extract_from_file(
            "jinja2.ext:babel_extract",
            template,
            keywords={"_": None, "n_": (1, 2)},
            options={"extensions": "jinja2.ext.i18n", "trim_blocks": "1", "lstrip_blocks": "1"},
        ):
            found.append((f"{template.name}:{line}", message))
    return found


def _german_ids() -> set[object]:
    """Message ids with a German text; a plural's id is its (singular, plural) pair."""
    ids: set[object] = set()
    for po_path in sorted((LOCALE_DIR / "de" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as fh:
            for message in read_po(fh, locale="de_DE"):
                texts = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.id and all(texts):
                    ids.add(tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id)
    return ids


def test_every_text_on_the_workplace_pages_has_a_german_translation():
    german = _german_ids()
    messages = _template_messages()
    assert len(messages) > 80
    missing = [
        f"{where}: {message!r}"
        for where, message in messages
        if (tuple(message[:2]) if isinstance(message, tuple) else message) not in german
    ]
    assert missing == []


def test_the_workplace_imports_without_textual():
    code = (
        "import sys, sync.workplace, sync.workplace.views\n"
        "print(','.join(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
