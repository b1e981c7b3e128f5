"""``rathaus kiosk --check`` for whoever sets a kiosk up: each part OK, or what to do, and an exit
code a script can test. A ready kiosk talks to a real town-hall server and a receipt printer on
127.0.0.1; an unready one has every problem at once."""

from __future__ import annotations

import wave
from dataclasses import replace

import pytest

from kiosk.cli import main
from kiosk.config import KioskConfig, load_config, save_config
from kiosk.runtime import open_runtime
from sync.embedded import start_embedded_server
from sync.server import create_app
from tests.printer_emulator import LoopbackReceiptPrinter

pytestmark = pytest.mark.slow


def with_warning_area(config: KioskConfig, area: str) -> KioskConfig:
    """``warning_area`` is a setting of its own where the warnings are built in, else kept in [extra]."""
    if "warning_area" in KioskConfig.__dataclass_fields__:
        return replace(config, warning_area=area)
    return replace(config, extra={**config.extra, "warning_area": area})


@pytest.fixture
def tools(tmp_path, monkeypatch):
    """A PATH with only the programs a test gives it (``tools("espeak-ng")``)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))

    sample = tmp_path / "sample.wav"  # what a working espeak-ng writes for -w FILE
    with wave.open(str(sample), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(22050)
        sound.writeframes(b"\x10\x20" * 2205)

    def install(*names: str) -> None:
        for name in names:
            script = "#!/bin/sh\nexit 0\n"
            if name == "espeak-ng":
                script = (
                    "#!/bin/sh\n/bin/cat > /dev/null\n"
                    f'while [ $# -gt 0 ]; do [ "$1" = -w ] && /bin/cat {sample} > "$2"; shift; done\n'
                )
            (bin_dir / name).write_text(script)
            (bin_dir / name).chmod(0o755)

    return install


@pytest.fixture
def check(capsys, monkeypatch):
    """``check(kiosk_dir, lang)``: the exit code and each line as ``{topic: "VERDICT: text"}``."""

    def run(kiosk_dir, lang="en") -> tuple[int, dict[str, str]]:
        monkeypatch.setenv("RATHAUS_LANG", lang)
        return _check(kiosk_dir, capsys)

    return run


def _check(kiosk_dir, capsys) -> tuple[int, dict[str, str]]:
    code = main(["kiosk", "--check", "--data-dir", str(kiosk_dir)])
    out = capsys.readouterr().out
    lines = {}
    for line in out.splitlines()[1:-1]:
        verdict, rest = line.strip().split("  ", 1)
        topic, text = rest.strip().split(":", 1)
        lines[topic] = f"{verdict.strip()}: {text.strip()}"
    return code, lines


def test_a_ready_kiosk_is_all_ok_and_exits_0(enrol, tools, tmp_path, check):
    kiosk_dir, townhall_dir = enrol("kiosk-check")
    tools("espeak-ng")
    with start_embedded_server(create_app(townhall_dir)) as server, LoopbackReceiptPrinter() as printer:
        config = replace(load_config(kiosk_dir), server_url=server.url, printer=printer.setting)
        save_config(kiosk_dir, with_warning_area(config, "15090535"))
        with open_runtime(kiosk_dir) as runtime:
            assert runtime.sync_now(lang="en").error is None
        code, lines = check(kiosk_dir)
        assert printer.printed == b""  # asked for its status, no paper used
    assert code == 0, lines
    assert all(text.startswith("OK:") for text in lines.values()), lines
    assert set(lines) == {"Settings", "Queue", "Keys", "Town hall", "Printer", "Speech", "Warnings area", "Last exchange"}
    assert "0 applications wait to be sent" in lines["Queue"]
    assert "kiosk-check" in lines["Keys"] and "(600)" in lines["Keys"]
    assert server.url in lines["Town hall"]
    assert "has paper" in lines["Printer"]
    assert "15090535" in lines["Warnings area"]


def test_an_unready_kiosk_says_what_to_do_for_each_part_and_exits_1(enrol, tools, tmp_path, check):
    kiosk_dir, _townhall_dir = enrol("kiosk-check")
    tools()  # no espeak-ng
    (kiosk_dir / "keys" / "kiosk-signing.key").chmod(0o644)
    with LoopbackReceiptPrinter() as closed:
        gone = closed.port  # nothing listens there any more
    with LoopbackReceiptPrinter(paper=False) as printer:
        save_config(
            kiosk_dir,
            replace(load_config(kiosk_dir), server_url=f"http://127.0.0.1:{gone}", printer=printer.setting),
        )
        code, lines = check(kiosk_dir)
    assert code == 1
    assert lines["Queue"].startswith("OK:")  # not created yet: the kiosk makes it at its first start
    assert lines["Keys"].startswith("TO DO:") and "chmod 600" in lines["Keys"]
    assert lines["Town hall"].startswith("TO DO:") and "--server-url" in lines["Town hall"]
    assert lines["Printer"].startswith("TO DO:") and "no paper" in lines["Printer"]
    assert lines["Speech"].startswith("TO DO:") and "apt install espeak-ng" in lines["Speech"]
    assert lines["Warnings area"] == (
        "TO DO: not set: the kiosk cannot show official warnings for its area. Give it the municipality "
        "key (AGS): rathaus configure --warning-area 15090535 (Tangerhütte's key)."
    )
    assert lines["Last exchange"].startswith("TO DO:") and "rathaus sync" in lines["Last exchange"]


def test_the_check_speaks_german_by_default_and_names_a_stick_kiosks_folder(enrol, tools, tmp_path, check):
    kiosk_dir, _townhall_dir = enrol("kiosk-check")
    tools("espeak-ng")
    stick = tmp_path / "stick"
    stick.mkdir()
    save_config(kiosk_dir, with_warning_area(replace(load_config(kiosk_dir), usb_dir=str(stick)), "1509053"))
    code, lines = check(kiosk_dir, lang="de")
    assert code == 1
    assert lines["Rathaus"] == f"OK: Keine Rathaus-Adresse: Anträge reisen per USB-Stick, eingebunden unter {stick}."
    assert lines["Drucker"].startswith("HINWEIS:")  # no printer: the kiosk works without one
    assert lines["Warngebiet"].startswith("ZU TUN:") and "1509053" in lines["Warngebiet"]
    assert "rathaus configure --warning-area" in lines["Warngebiet"]  # what to do, not only what is wrong
    assert lines["Letzter Austausch"].startswith("ZU TUN:")


def test_a_damaged_queue_is_named_with_the_way_out(enrol, tools, tmp_path, check):
    kiosk_dir, _townhall_dir = enrol("kiosk-check")
    (kiosk_dir / "kiosk.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    code, lines = check(kiosk_dir)
    assert code == 1
    assert lines["Queue"].startswith("TO DO:")


def test_an_espeak_ng_that_says_nothing_is_named_not_called_fine(enrol, tmp_path, check, monkeypatch):
    kiosk_dir, _townhall_dir = enrol("kiosk-check")
    bin_dir = tmp_path / "mute-bin"
    bin_dir.mkdir()
    (bin_dir / "espeak-ng").write_text("#!/bin/sh\necho 'voice does not exist' >&2\nexit 1\n")
    (bin_dir / "espeak-ng").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    _code, lines = check(kiosk_dir)
    assert lines["Speech"].startswith("TO DO:") and "says nothing in de, en" in lines["Speech"]
    assert "apt install --reinstall espeak-ng" in lines["Speech"]


def test_the_real_espeak_ng_passes_the_check(enrol, check):
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("needs Debian package espeak-ng")
    kiosk_dir, _townhall_dir = enrol("kiosk-check")
    _code, lines = check(kiosk_dir)
    assert lines["Speech"] == "OK: espeak-ng is installed and speaks German and English: questions can be read aloud."
