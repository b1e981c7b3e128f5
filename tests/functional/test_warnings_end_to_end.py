"""End to end: a DWD warning dropped at the town hall is imported, a kiosk syncs with the real
server on 127.0.0.1 (downloads first), and the warning is on the kiosk's start screen; a USB stick
carries the same snapshot. A kiosk of the neighbouring municipality gets nothing of it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kiosk.config import load_config, save_config
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
from sync.embedded import start_embedded_server
from sync.server.app import create_app
from sync.warnings.config import load_warnings_config
from sync.warnings.importer import run_import

SAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "warnings"

pytestmark = pytest.mark.slow


def current_storm(now: dt.datetime) -> bytes:
    """The DWD sample with its times moved to now (sent 10 minutes ago, valid for 6 hours)."""
    text = (SAMPLES / "dwd-severe-gusts.xml").read_text(encoding="utf-8")
    stamp = lambda moment: moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")  # noqa: E731
    for tag, moment in (
        ("sent", now - dt.timedelta(minutes=10)),
        ("effective", now - dt.timedelta(minutes=10)),
        ("onset", now - dt.timedelta(minutes=5)),
        ("expires", now + dt.timedelta(hours=6)),
    ):
        text = re.sub(f"<{tag}>[^<]*</{tag}>", f"<{tag}>{stamp(moment)}</{tag}>", text)
    return text.encode()


def place(kiosk_dir: Path, area: str, server_url: str = "") -> None:
    from dataclasses import replace

    save_config(kiosk_dir, replace(load_config(kiosk_dir), warning_area=area, server_url=server_url))


async def test_a_warning_imported_at_the_town_hall_reaches_the_start_screen(enrol, tmp_path):
    kiosk_dir, townhall_dir = enrol("kiosk-tangerhuette")
    (townhall_dir / "warnings.toml").write_text('areas = ["15090535", "15090520"]\n', encoding="utf-8")
    incoming = townhall_dir / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    now = dt.datetime.now(dt.timezone.utc)
    (incoming / "storm.xml").write_bytes(current_storm(now))
    (incoming / "test.xml").write_bytes((SAMPLES / "mowas-test.xml").read_bytes())
    report = run_import(load_warnings_config(townhall_dir))
    assert report.complete and report.new == 2

    with start_embedded_server(create_app(townhall_dir)) as server:
        place(kiosk_dir, "15090535", server.url)
        runtime = open_runtime(kiosk_dir)
        try:
            sync = runtime.sync_now()
            assert sync.error is None
            view = runtime.warnings("de")
            assert view.state == "fresh"
            assert [w.headline for w in view.warnings] == ["Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN"]
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=(100, 40)) as pilot:
                await pilot.pause()
                banner = str(app.screen.query_one("#warning-banner").label)
                assert banner.startswith("⚠ Große Gefahr: Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN")
                assert "Stand:" in banner
        finally:
            runtime.close()


def test_the_stick_carries_the_warnings_too(enrol, tmp_path):
    from kiosk.cli import main

    kiosk_dir, townhall_dir = enrol("kiosk-tangerhuette")
    (townhall_dir / "warnings.toml").write_text('areas = ["15090535"]\n', encoding="utf-8")
    incoming = townhall_dir / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    (incoming / "storm.xml").write_bytes(current_storm(dt.datetime.now(dt.timezone.utc)))
    run_import(load_warnings_config(townhall_dir))
    place(kiosk_dir, "15090535")
    stick = tmp_path / "stick"
    stick.mkdir()
    assert main(["usb", "export", str(stick), "--data-dir", str(kiosk_dir)]) == 0
    assert main(["usb", "import", str(stick), "--data-dir", str(townhall_dir)]) == 0
    assert main(["usb", "import", "--kiosk", str(stick), "--data-dir", str(kiosk_dir)]) == 0
    runtime = open_runtime(kiosk_dir)
    try:
        assert [w.headline for w in runtime.warnings("de").warnings] == ["Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN"]
    finally:
        runtime.close()


def test_the_neighbouring_municipality_sees_nothing_of_it(enrol, tmp_path):
    kiosk_dir, townhall_dir = enrol("kiosk-stendal")
    (townhall_dir / "warnings.toml").write_text('areas = ["15090535", "15090415"]\n', encoding="utf-8")
    incoming = townhall_dir / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    (incoming / "storm.xml").write_bytes(current_storm(dt.datetime.now(dt.timezone.utc)))
    run_import(load_warnings_config(townhall_dir))
    with start_embedded_server(create_app(townhall_dir)) as server:
        place(kiosk_dir, "15090415", server.url)
        runtime = open_runtime(kiosk_dir)
        try:
            assert runtime.sync_now().error is None
            view = runtime.warnings("de")
            assert view.state == "fresh" and view.warnings == ()
        finally:
            runtime.close()
