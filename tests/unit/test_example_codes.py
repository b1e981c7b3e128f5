"""Every receipt code shown as an example passes the product's own check.

Staff try the codes they read in the guides and in ``--help``; an example that the check refuses
looks like a broken program."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from kiosk import refcode
from kiosk.cli import build_parser
from kiosk.i18n import translator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CODE = re.compile(r"(?<![0-9A-Za-z-])[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}(?![0-9A-Za-z-])")


def _guides() -> list[Path]:
    return sorted(ROOT.glob("docs/*.md")) + sorted(ROOT.glob("deploy/**/*.md")) + [ROOT / "README.md"]


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def _help_texts(lang: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RATHAUS_LANG", lang)
    monkeypatch.setenv("COLUMNS", "200")
    return "\n".join(parser.format_help() for parser in _parsers(build_parser()))


def _sync_messages() -> list[str]:
    """Every text of the town-hall side that a person can see, in English and in German."""
    german = translator("de")
    messages: list[str] = []
    for source in sorted((ROOT / "sync").rglob("*.py")):
        for _line, message, _comments, _context in extract_from_file(
            "python", str(source), keywords={"_": None, "N_": None, "_t": None}
        ):
            if isinstance(message, str):
                messages += [message, german(message)]
    return messages


def _invalid(text: str) -> list[str]:
    return sorted({code for code in EXAMPLE_CODE.findall(text) if not refcode.is_valid(code)})


def test_the_pattern_finds_printed_codes_and_the_check_tells_them_apart():
    assert EXAMPLE_CODE.findall("z. B. 7KQ-M2X-9TJ, nicht 7KQ-M2X-9TD.") == ["7KQ-M2X-9TJ", "7KQ-M2X-9TD"]
    assert _invalid("7KQ-M2X-9TJ 7KQ-M2X-9TD") == ["7KQ-M2X-9TD"]


@pytest.mark.parametrize("guide", _guides(), ids=lambda path: str(path.relative_to(ROOT)))
def test_example_codes_in_the_guides_pass_the_check(guide):
    assert _invalid(guide.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("lang", ["de", "en"])
def test_example_codes_in_the_help_texts_pass_the_check(lang, monkeypatch):
    help_texts = _help_texts(lang, monkeypatch)
    assert "7KQ-M2X-9TJ" in help_texts  # the inbox's example is there to be checked
    assert _invalid(help_texts) == []


def test_example_codes_in_the_town_hall_messages_pass_the_check():
    assert _invalid("\n".join(_sync_messages())) == []
