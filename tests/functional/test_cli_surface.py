"""The ``rathaus`` command as a person meets it: help everywhere, one plain line for a mistake."""

from __future__ import annotations

import argparse

import pytest

from kiosk.cli import build_parser, main


def all_commands(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from all_commands(sub, (*prefix, name))


COMMANDS = sorted(set(all_commands(build_parser())))


def test_help_lists_every_area():
    top = {command[0] for command in COMMANDS}
    assert {"kiosk", "demo", "forms", "server", "inbox", "keys", "sync", "usb", "configure"} <= top


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: rathaus " + " ".join(command) in capsys.readouterr().out


@pytest.mark.parametrize("command", [("forms", "check"), ("inbox", "list"), ("sync",), ("keys", "show")], ids=" ".join)
def test_a_bad_flag_is_one_line(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--no-such-flag"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--help" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["forms", "check", "{missing}"],
        ["inbox", "list", "--data-dir", "{missing}"],
        ["inbox", "export", "--service", "nachricht", "--format", "csv", "--out", "-", "--data-dir", "{missing}"],
        ["server", "--data-dir", "{missing}"],
        ["keys", "show", "--data-dir", "{missing}"],
        ["sync", "--data-dir", "{missing}"],
        ["usb", "export", "{here}", "--data-dir", "{missing}"],
        ["usb", "import", "{here}", "--data-dir", "{missing}"],
        ["usb", "import", "{missing}", "--kiosk", "--data-dir", "{missing}"],
    ],
    ids=lambda args: " ".join(a for a in args if not a.startswith("{")),
)
def test_a_wrong_folder_is_one_plain_line_and_creates_nothing(args, tmp_path, capsys):
    missing = tmp_path / "typo"
    code = main([a.format(missing=missing, here=tmp_path) for a in args])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("rathaus ") and len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err + captured.out
    assert not missing.exists()
