"""``rathaus configure --staff-pin`` together with other options: a PIN typed too short is asked
for again, and a command that never gets a good PIN changes nothing at all, and says so."""

from __future__ import annotations

import io

import pytest

from kiosk.cli import main
from kiosk.config import KioskConfig, load_config, save_config
from kiosk.pin import verify_pin


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def typed(monkeypatch):
    """``typed(*answers)``: what the person types at each PIN prompt, in order."""

    def answers(*lines: str) -> list[str]:
        prompts: list[str] = []
        queue = list(lines)

        def getpass(prompt: str = "") -> str:
            prompts.append(prompt)
            return queue.pop(0)

        monkeypatch.setattr("sys.stdin", Terminal())
        monkeypatch.setattr("getpass.getpass", getpass)
        return prompts

    return answers


def test_a_too_short_pin_is_asked_again_and_every_option_is_kept(enrol, typed, capsys):
    kiosk_dir, _townhall_dir = enrol("kiosk-pin")
    prompts = typed("2468", "246813", "246813")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--location", "Bibliothek Lüderitz", "--staff-pin"]) == 0
    config = load_config(kiosk_dir)
    assert config.location == "Bibliothek Lüderitz"
    assert verify_pin("246813", config.staff_pin_hash)
    assert "6 Ziffern oder mehr" in prompts[0] or "6 digits or more" in prompts[0]
    err = capsys.readouterr().err
    assert "6 bis 32 Ziffern" in err or "6 to 32 digits" in err


def test_a_pin_that_never_comes_right_changes_nothing_and_says_so(enrol, typed, capsys):
    kiosk_dir, _townhall_dir = enrol("kiosk-pin")
    save_config(kiosk_dir, KioskConfig(location="Dorfgemeinschaftshaus"))
    before = (kiosk_dir / "kiosk.toml").read_bytes()
    typed("12", "1234", "12345")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--location", "Bibliothek", "--staff-pin"]) == 1
    assert (kiosk_dir / "kiosk.toml").read_bytes() == before
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "Nichts wurde geändert, auch keine der anderen Einstellungen" in last or "none of the other settings" in last


def test_a_new_pin_ends_a_lockout_at_the_kiosk(enrol, typed):
    from kiosk import staff_access
    from kiosk.store import open_store

    kiosk_dir, _townhall_dir = enrol("kiosk-pin")
    with open_store(kiosk_dir / "kiosk.db") as store:
        for _ in range(5):
            store.record_pin_failure(lambda n: 4_000_000_000.0)
    typed("97531864", "97531864")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--staff-pin"]) == 0
    with open_store(kiosk_dir / "kiosk.db") as store:
        assert staff_access.seconds_to_wait(store) == 0
