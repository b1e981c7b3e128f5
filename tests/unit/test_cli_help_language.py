"""``--help`` speaks one language: argparse's own words ("usage:", "options:", "show this help
message and exit", its error messages) are German when the tool is."""

from __future__ import annotations

import argparse

import pytest

from kiosk.cli import build_parser, main
from kiosk.cli_reference import _walk

ARGPARSE_ENGLISH = ("usage:", "options:", "positional arguments:", "show this help message and exit",
                    "show program's version number", "default:")


def test_every_commands_help_is_german_through_and_through(monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "de")
    parsers = list(_walk(build_parser()))
    assert len(parsers) > 20
    for parser in parsers:
        text = parser.format_help()
        assert text.startswith("Aufruf: "), parser.prog
        assert "Optionen:" in text and "diese Hilfe zeigen und beenden" in text, parser.prog
        for english in ARGPARSE_ENGLISH:
            assert english not in text, f"{parser.prog}: {english!r}"


def test_help_in_english_stays_english(monkeypatch, capsys):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    with pytest.raises(SystemExit):
        main(["kiosk", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: rathaus kiosk") and "options:" in out
    assert "kiosk data directory (default: $RATHAUS_KIOSK_DIR or ./var/kiosk)" in " ".join(out.split())


def test_argparse_errors_are_german_too(monkeypatch, capsys):
    monkeypatch.setenv("RATHAUS_LANG", "de")
    with pytest.raises(SystemExit):
        main(["kiosk", "--lang", "fr"])
    err = capsys.readouterr().err
    assert "ungültige Wahl: 'fr' (möglich: 'de', 'en')" in err and "invalid choice" not in err
    with pytest.raises(SystemExit):
        main(["keys", "approve"])
    assert "diese Angaben fehlen: REQUEST_FILE" in capsys.readouterr().err


def test_argparse_is_left_as_it_was_for_other_programs(monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "de")
    build_parser().format_help()
    assert argparse.ArgumentParser(prog="other").format_help().startswith("usage: other")
