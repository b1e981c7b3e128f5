"""``rathaus configure --printer``: a receipt printer is named in one setting, checked when it is
set; ``--idle-seconds`` says its minimum in its help."""

from __future__ import annotations

import pytest

from kiosk.cli import build_parser, main
from kiosk.config import load_config


@pytest.mark.parametrize("setting", ["escpos-net:192.168.1.50:9100", "escpos-file:/dev/usb/lp0", "Foyer", ""])
def test_a_workable_printer_is_saved(enrol, setting, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, _townhall_dir = enrol("kiosk-printer")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--printer", "Foyer"]) == 0
    assert main(["configure", "--data-dir", str(kiosk_dir), "--printer", setting]) == 0
    assert load_config(kiosk_dir).printer == setting


def test_a_printer_that_cannot_work_is_refused_and_nothing_changes(enrol, capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "de")
    kiosk_dir, _townhall_dir = enrol("kiosk-printer")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--location", "Bibliothek"]) == 0
    before = (kiosk_dir / "kiosk.toml").read_bytes()
    code = main(["configure", "--data-dir", str(kiosk_dir), "--location", "Foyer", "--printer", "escpos-net:drucker:99999"])
    assert code == 1
    assert (kiosk_dir / "kiosk.toml").read_bytes() == before
    err = capsys.readouterr().err
    assert "'drucker:99999' ist keine Netzwerkadresse eines Druckers." in err
    assert "escpos-net:HOST[:PORT]" in err and "Es wurde nichts geändert." in err


def test_idle_seconds_help_states_the_minimum(monkeypatch, capsys):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["configure", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "'Do you need more time?' (at least 30 seconds)" in help_text
    assert "HOST[:PORT]" in help_text and "80 mm receipt printer" in help_text


@pytest.mark.parametrize(
    "url, accepted",
    [("https://kiosk.rathaus.example", True), ("http://127.0.0.1:8080", True), ("http://localhost:8080", True),
     ("http://kiosk.rathaus.example", False), ("http://localhost.example.org", False),
     ("http://127.0.0.1.example.org", False), ("kiosk.rathaus.example", False)],
)
def test_the_town_hall_address_must_be_https_as_the_kiosk_readme_says(enrol, url, accepted, monkeypatch, capsys):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, _townhall_dir = enrol("kiosk-url")
    code = main(["configure", "--data-dir", str(kiosk_dir), "--server-url", url])
    assert (code == 0) is accepted
    assert (load_config(kiosk_dir).server_url == url) is accepted
    if not accepted:
        assert "must start with https://" in capsys.readouterr().err


def test_the_kiosk_readme_says_what_configure_does_with_an_address_without_https():
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[2] / "deploy" / "kiosk" / "README.md").read_text().split())
    assert "is not refused" not in readme
    assert "`configure` refuses an address that does not start with `https://`" in readme
