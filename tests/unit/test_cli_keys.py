"""``rathaus keys``: the enrolment a person does on two screens, and its plain one-line errors."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from kiosk.cli import main
from kiosk.config import load_config

ROOT = Path(__file__).resolve().parents[2]
FINGERPRINT = re.compile(r"[0-9A-F]{4}(?:-[0-9A-F]{4}){4}")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def places(tmp_path) -> tuple[Path, Path]:
    return tmp_path / "townhall", tmp_path / "kiosk"


def set_up(capsys, townhall: Path, kiosk: Path) -> tuple[str, str]:
    code, th_out, _ = run(
        capsys, "keys", "init-townhall", "--data-dir", str(townhall), "--name", "Tangerhütte"
    )
    assert code == 0
    code, k_out, _ = run(
        capsys, "keys", "init-kiosk", "--data-dir", str(kiosk), "--kiosk-id", "kiosk-lueder",
        "--townhall-keys", str(townhall / "keys" / "townhall.json"),
    )
    assert code == 0
    return th_out, k_out


def test_enrolment_on_two_screens_shows_the_same_fingerprints(capsys, places):
    townhall, kiosk = places
    th_out, k_out = set_up(capsys, townhall, kiosk)
    townhall_prints = FINGERPRINT.findall(th_out)
    assert len(townhall_prints) == 2
    kiosk_print, *pinned_prints = FINGERPRINT.findall(k_out)
    assert pinned_prints == townhall_prints  # the kiosk shows the town hall's keys it pinned
    assert "enrolment-kiosk-lueder.json" in k_out

    code, out, _ = run(capsys, "keys", "approve", str(kiosk / "enrolment-kiosk-lueder.json"),
                       "--data-dir", str(townhall), "--yes")
    assert code == 0
    assert FINGERPRINT.findall(out) == [kiosk_print]  # staff compare this with the kiosk's screen
    assert "angemeldet" in out

    _, kiosk_show, _ = run(capsys, "keys", "show", "--data-dir", str(kiosk))
    _, townhall_show, _ = run(capsys, "keys", "show", "--data-dir", str(townhall))
    assert FINGERPRINT.findall(kiosk_show) == [kiosk_print, *townhall_prints]
    assert FINGERPRINT.findall(townhall_show) == townhall_prints
    _, listing, _ = run(capsys, "keys", "list", "--data-dir", str(townhall))
    assert "kiosk-lueder" in listing and kiosk_print in listing


def test_show_without_a_directory_looks_in_the_usual_places(capsys, tmp_path):
    townhall, kiosk = tmp_path / "townhall", tmp_path / "kiosk"  # what conftest sets as defaults
    assert os.environ["RATHAUS_TOWNHALL_DIR"] == str(townhall)
    code, _, err = run(capsys, "keys", "show")
    assert code == 1 and "keine Schlüssel gefunden" in err
    set_up(capsys, townhall, kiosk)
    code, out, _ = run(capsys, "keys", "show")
    assert code == 0
    assert "Kiosk: kiosk-lueder" in out and "Rathaus: Tangerhütte" in out


def test_setting_up_a_kiosk_names_its_municipality(capsys, places):
    townhall, kiosk = places
    set_up(capsys, townhall, kiosk)
    assert load_config(kiosk).municipality == "Tangerhütte"


def test_approval_needs_a_yes_from_the_person_who_compared(capsys, places, monkeypatch):
    townhall, kiosk = places
    set_up(capsys, townhall, kiosk)
    request = str(kiosk / "enrolment-kiosk-lueder.json")

    code, _, err = run(capsys, "keys", "approve", request, "--data-dir", str(townhall))
    assert code == 1 and "--yes" in err  # a script without a terminal must say --yes

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, _ = run(capsys, "keys", "approve", request, "--data-dir", str(townhall))
    assert code == 1 and "nichts freigegeben" in out
    _, listing, _ = run(capsys, "keys", "list", "--data-dir", str(townhall))
    assert "noch kein Kiosk" in listing

    monkeypatch.setattr("sys.stdin", Terminal("j\n"))
    code, out, _ = run(capsys, "keys", "approve", request, "--data-dir", str(townhall))
    assert code == 0 and "[j/N]" in out
    _, listing, _ = run(capsys, "keys", "list", "--data-dir", str(townhall))
    assert "angemeldet seit" in listing


def test_a_blocked_kiosk_is_listed_as_blocked_with_its_reason(capsys, places):
    townhall, kiosk = places
    set_up(capsys, townhall, kiosk)
    request = str(kiosk / "enrolment-kiosk-lueder.json")
    run(capsys, "keys", "approve", request, "--data-dir", str(townhall), "--yes")
    code, out, _ = run(
        capsys, "keys", "revoke", "kiosk-lueder", "--reason", "gestohlen", "--data-dir", str(townhall)
    )
    assert code == 0 and "gesperrt" in out
    _, listing, _ = run(capsys, "keys", "list", "--data-dir", str(townhall))
    assert "gesperrt seit" in listing and "(gestohlen)" in listing


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["keys", "init-townhall", "--name", "Tangerhütte"], "hat bereits Schlüssel"),
        (["keys", "approve", "nowhere.json"], "nowhere.json ist nicht vorhanden"),
        (["keys", "revoke", "kiosk-nobody"], "kiosk-nobody ist bei diesem Rathaus nicht angemeldet"),
        (["keys", "init-kiosk", "--kiosk-id", "Mein Kiosk", "--townhall-keys", "x.json"], "Kleinbuchstaben"),
    ],
)
def test_mistakes_end_in_one_plain_german_line(capsys, tmp_path, argv, expected):
    set_up(capsys, tmp_path / "townhall", tmp_path / "kiosk-other")
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert expected in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_readable_private_key_is_refused_with_the_command_that_fixes_it(capsys, places):
    townhall, kiosk = places
    set_up(capsys, townhall, kiosk)
    key = kiosk / "keys" / "kiosk-signing.key"
    os.chmod(key, 0o644)
    code, _, err = run(capsys, "keys", "show", "--data-dir", str(kiosk))
    assert code == 1
    assert f"chmod 600 {key}" in err
    assert "PRIVATE KEY" not in err


def test_english_staff_get_english_output(capsys, places, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    townhall, kiosk = places
    th_out, k_out = set_up(capsys, townhall, kiosk)
    assert th_out.startswith("Town-hall keys created in")
    assert "Take " in k_out and "rathaus keys approve enrolment-kiosk-lueder.json" in k_out


def _my_messages() -> list[str]:
    files = sorted((ROOT / "sync" / "envelope").glob("*.py")) + [
        ROOT / "sync" / name for name in ("keys.py", "allowlist.py", "cli_keys.py")
    ]
    messages: list[str] = []
    for path in files:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"_": None, "N_": None, "_t": None}
        ):
            messages.append(message)
    return messages


def test_every_text_of_keys_and_envelopes_has_a_german_translation():
    catalogs = []
    # downloads, key rotation and stick paths have their own catalogue, and so do approvals in a district's database
    for name in ("keys.po", "downloads.po", "stickpaths.po", "district_workplace.po"):
        with open(ROOT / "kiosk" / "locale" / "de" / "LC_MESSAGES" / name, "rb") as fh:
            catalogs.append(read_po(fh, locale="de_DE"))
    missing = [m for m in _my_messages() if not any(c.get(m) and c.get(m).string for c in catalogs)]
    assert missing == []
    for message in (message for catalog in catalogs for message in catalog):
        if message.id:
            placeholders = set(re.findall(r"\{(\w+)\}", message.id))
            assert placeholders == set(re.findall(r"\{(\w+)\}", message.string)), message.id


def test_a_town_hall_can_choose_the_post_quantum_suite_and_its_kiosks_pin_it(capsys, places):
    townhall, kiosk = places
    code, out, _ = run(
        capsys, "keys", "init-townhall", "--data-dir", str(townhall), "--name", "Tangerhütte",
        "--suite", "mlkem768-x25519",
    )
    assert code == 0 and "mlkem768-x25519" in out
    document = json.loads((townhall / "keys" / "townhall.json").read_text(encoding="utf-8"))
    assert document["format"] == "rathaus-townhall-keys/2" and document["suite"] == "mlkem768-x25519"
    code, _, _ = run(
        capsys, "keys", "init-kiosk", "--data-dir", str(kiosk), "--kiosk-id", "kiosk-lueder",
        "--townhall-keys", str(townhall / "keys" / "townhall.json"),
    )
    assert code == 0
    code, out, _ = run(capsys, "keys", "show", "--data-dir", str(kiosk))
    assert code == 0 and "mlkem768-x25519" in out
    with pytest.raises(SystemExit):
        main(["keys", "init-townhall", "--data-dir", str(townhall.parent / "other"), "--name", "X", "--suite", "rsa"])
    assert "rsa" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["link", "pipe"])
def test_an_enrolment_or_key_file_on_a_stick_that_is_a_link_or_a_pipe_is_refused_at_once(
    capsys, places, tmp_path, kind
):
    """A stick is hostile: a link would make approve read another file, a pipe would hang it."""
    import signal

    townhall, kiosk = places
    set_up(capsys, townhall, kiosk)
    stick = tmp_path / "stick"
    stick.mkdir()
    request, keys_copy = stick / "enrolment-kiosk-lueder.json", stick / "townhall.json"
    if kind == "link":
        os.symlink(kiosk / "enrolment-kiosk-lueder.json", request)
        os.symlink(townhall / "keys" / "townhall.json", keys_copy)
    else:
        os.mkfifo(request)
        os.mkfifo(keys_copy)

    def hung(signum, frame):
        raise AssertionError("the command waited on the stick")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        code, out, err = run(capsys, "keys", "approve", str(request), "--data-dir", str(townhall), "--yes")
        assert code != 0
        assert "keine gewöhnliche Datei" in out + err
        code, out, err = run(
            capsys, "keys", "init-kiosk", "--data-dir", str(tmp_path / "kiosk2"),
            "--kiosk-id", "kiosk-zwei", "--townhall-keys", str(keys_copy),
        )
        assert code != 0
        assert "keine gewöhnliche Datei" in out + err
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_an_enrolment_request_in_a_folder_on_the_stick_that_is_a_link_is_refused(capsys, places, tmp_path):
    """A folder on the stick that links elsewhere on this computer would make approve read (and
    trust) a file the stick's owner chose from there: refused, naming the folder; nothing enrolled.
    The same request in a real folder of the stick is approved."""
    townhall, kiosk = places
    set_up(capsys, townhall, kiosk)
    stick = tmp_path / "stick"
    stick.mkdir()
    os.symlink(kiosk, stick / "transfer")
    code, out, err = run(
        capsys, "keys", "approve", str(stick / "transfer" / "enrolment-kiosk-lueder.json"),
        "--data-dir", str(townhall), "--yes",
    )
    assert code != 0
    assert "Ordner" in out + err and "transfer" in out + err and "Verknüpfung" in out + err
    code, out, _ = run(capsys, "keys", "list", "--data-dir", str(townhall))
    assert "kiosk-lueder" not in out

    real = stick / "real"
    real.mkdir()
    (real / "enrolment-kiosk-lueder.json").write_bytes((kiosk / "enrolment-kiosk-lueder.json").read_bytes())
    code, out, _ = run(
        capsys, "keys", "approve", str(real / "enrolment-kiosk-lueder.json"), "--data-dir", str(townhall), "--yes"
    )
    assert code == 0 and "kiosk-lueder" in out


def test_the_town_halls_keys_in_a_folder_on_the_stick_that_is_a_link_are_refused_at_init(capsys, places, tmp_path):
    """init-kiosk pins what it reads for good: a linked folder on the stick could hand it another
    town hall's keys from elsewhere on this computer. Refused, naming the folder; no key is made.
    The same file in a real folder of the stick is pinned."""
    townhall, kiosk = places
    set_up(capsys, townhall, kiosk)
    stick = tmp_path / "stick"
    stick.mkdir()
    os.symlink(townhall / "keys", stick / "keys")
    second = tmp_path / "kiosk2"
    code, out, err = run(
        capsys, "keys", "init-kiosk", "--data-dir", str(second),
        "--kiosk-id", "kiosk-zwei", "--townhall-keys", str(stick / "keys" / "townhall.json"),
    )
    assert code != 0
    assert "Ordner" in out + err and "keys" in out + err and "Verknüpfung" in out + err
    assert not (second / "keys" / "townhall.json").exists()

    real = stick / "real"
    real.mkdir()
    (real / "townhall.json").write_bytes((townhall / "keys" / "townhall.json").read_bytes())
    code, out, err = run(
        capsys, "keys", "init-kiosk", "--data-dir", str(second),
        "--kiosk-id", "kiosk-zwei", "--townhall-keys", str(real / "townhall.json"),
    )
    assert code == 0, err
    assert (second / "keys" / "townhall.json").read_bytes() == (townhall / "keys" / "townhall.json").read_bytes()
