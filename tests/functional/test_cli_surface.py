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
    out = capsys.readouterr().out
    assert any(f"{usage} rathaus {' '.join(command)}" in out for usage in ("usage:", "Aufruf:"))


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


def test_configure_refuses_a_folder_without_a_kiosk_and_values_that_could_never_work(enrol, tmp_path, capsys):
    typo = tmp_path / "kiosk-typo"
    assert main(["configure", "--data-dir", str(typo), "--location", "Bibliothek"]) == 1
    assert not typo.exists()
    kiosk_dir, _townhall_dir = enrol("kiosk-conf")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--server-url", "kiosk.rathaus.example"]) == 1
    assert main(["configure", "--data-dir", str(kiosk_dir), "--idle-seconds", "0"]) == 1
    err = capsys.readouterr().err
    assert "https://" in err and "30" in err and "Traceback" not in err
    assert main(["configure", "--data-dir", str(kiosk_dir), "--server-url", "https://kiosk.rathaus.example"]) == 0
    from kiosk.config import load_config

    assert load_config(kiosk_dir).server_url == "https://kiosk.rathaus.example"


def test_a_staff_pin_cannot_be_piped_in(enrol, capsys, monkeypatch):
    import io

    kiosk_dir, _townhall_dir = enrol("kiosk-pin")
    monkeypatch.setattr("sys.stdin", io.StringIO("1234\n1234\n"))
    assert main(["configure", "--data-dir", str(kiosk_dir), "--staff-pin"]) == 1
    err = capsys.readouterr().err
    assert "terminal" in err.lower() and len(err.strip().splitlines()) == 1


def test_the_wrong_side_of_the_stick_gets_a_hint_not_advice_to_make_keys(enrol, tmp_path, capsys):
    kiosk_dir, townhall_dir = enrol("kiosk-side")
    stick = tmp_path / "stick"
    stick.mkdir()
    assert main(["usb", "import", str(stick), "--data-dir", str(kiosk_dir)]) == 1
    err = capsys.readouterr().err
    assert "--kiosk" in err and "init-townhall" not in err
    assert main(["usb", "export", str(stick), "--data-dir", str(townhall_dir)]) == 1
    err = capsys.readouterr().err
    assert "--townhall" in err and "init-kiosk" not in err
