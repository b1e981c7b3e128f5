"""``rathaus staff ...``: the first account from a script or a terminal, plain refusals, and a
workplace that will not start where it could not open applications."""

from __future__ import annotations

import io
import sys

import pytest
from argon2 import PasswordHasher

from kiosk.cli import main
from sync.keys import init_townhall
from sync.workplace import open_accounts
from sync.workplace.accounts import LoginRefused


CHEAP = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.fixture
def townhall_dir(tmp_path):
    directory = tmp_path / "townhall"  # the default data directory of every test (conftest)
    init_townhall(directory, name="Einheitsgemeinde Tangerhütte")
    return directory


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_the_first_account_from_a_script_logs_in_with_that_password(townhall_dir, monkeypatch, capsys):
    _stdin(monkeypatch, "Stadtpark-am-Teich-3\n")
    assert main(["staff", "add-user", "H.Amtsleiterin", "--role", "head", "--name", "Helga Amtsleiterin", "--password-stdin"]) == 0
    assert "Konto h.amtsleiterin (Amtsleitung) angelegt" in capsys.readouterr().out
    with open_accounts(townhall_dir) as accounts:
        staff, _token = accounts.login("h.amtsleiterin", "Stadtpark-am-Teich-3")
    assert (staff.role, staff.display_name) == ("head", "Helga Amtsleiterin")
    assert main(["staff", "users"]) == 0
    assert "h.amtsleiterin" in capsys.readouterr().out


def test_a_short_password_a_taken_name_and_no_terminal_are_refused_plainly(townhall_dir, monkeypatch, capsys):
    _stdin(monkeypatch, "kurz\n")
    assert main(["staff", "add-user", "erika", "--role", "clerk", "--password-stdin"]) == 1
    assert "mindestens 10 Zeichen" in capsys.readouterr().err
    _stdin(monkeypatch, "Lindenweg-7-Tangerhuette\n")
    assert main(["staff", "add-user", "erika", "--role", "clerk", "--password-stdin"]) == 0
    _stdin(monkeypatch, "Lindenweg-7-Tangerhuette\n")
    assert main(["staff", "add-user", "erika", "--role", "clerk", "--password-stdin"]) == 1
    assert "schon ein Konto" in capsys.readouterr().err
    _stdin(monkeypatch, "")
    assert main(["staff", "add-user", "paul", "--role", "clerk"]) == 1
    err = capsys.readouterr().err
    assert "--password-stdin" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["staff", "add-user", "paul", "--role", "chef"])
    assert "clerk" in capsys.readouterr().err  # the possible roles are named


def test_unlock_ends_a_lock_out_and_disable_ends_an_account(townhall_dir, monkeypatch, capsys):
    with open_accounts(townhall_dir, hasher=CHEAP) as accounts:
        accounts.add_user("erika", "Lindenweg-7-Tangerhuette", role="clerk")
        for _ in range(3):
            with pytest.raises(LoginRefused):
                accounts.login("erika", "falsch-falsch")
    assert main(["staff", "unlock", "erika"]) == 0
    with open_accounts(townhall_dir) as accounts:
        accounts.login("erika", "Lindenweg-7-Tangerhuette")
    assert main(["staff", "disable", "erika"]) == 0
    with open_accounts(townhall_dir) as accounts, pytest.raises(LoginRefused):
        accounts.login("erika", "Lindenweg-7-Tangerhuette")


def test_the_workplace_does_not_start_without_a_town_hall_or_its_private_key(townhall_dir, tmp_path, capsys):
    assert main(["staff", "serve", "--data-dir", str(tmp_path / "tippfehler")]) == 1
    err = capsys.readouterr().err
    assert "tippfehler" in err and "--data-dir" in err and "Traceback" not in err
    (townhall_dir / "keys" / "townhall-encryption.key").unlink()
    assert main(["staff", "serve", "--port", "8999"]) == 1
    err = capsys.readouterr().err
    assert "townhall-encryption.key" in err and "Traceback" not in err
