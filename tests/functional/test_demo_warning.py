"""``rathaus demo`` shows the warnings feature with one sample warning that nobody can take for a
real one: marked as a demo sample in German and English, the mildest severity, current at every
start, and carried the real way (CAP file, import, signed download)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from kiosk.config import load_config, save_config
from kiosk.demo import prepare_demo, refresh_demo_warning
from kiosk.official_warnings import warnings_view
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
from sync.embedded import start_embedded_server
from sync.server import create_app


async def test_the_demo_kiosk_shows_one_sample_warning_marked_as_a_demo(tmp_path, visitor_for):
    setup = prepare_demo(tmp_path / "demo")
    with open_runtime(setup.kiosk_dir) as runtime:
        view = runtime.warnings("de")
        assert view.state == "fresh"
        assert [(w.severity, w.headline) for w in view.warnings] == [
            ("Minor", "DEMO: Beispiel einer amtlichen Warnung – keine echte Warnung")
        ]
        assert "keine Behörde" in view.warnings[0].sender
        english = runtime.warnings("en").warnings[0]
        assert english.headline == "DEMO: sample of an official warning – not a real warning"
        app = KioskApp(runtime, kiosk_mode=True, lang="de")
        async with app.run_test(size=(80, 25)) as pilot:
            await pilot.pause()
            banner = app.screen.query_one("#warning-banner").render().plain
            assert banner.startswith("⚠ Vorsicht: DEMO: Beispiel einer amtlichen Warnung")
            assert "Stand:" in banner

    # a day later the demo is started again: the sample is current again, not expired or old
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    refresh_demo_warning(setup.townhall_dir, now=later)
    with start_embedded_server(create_app(setup.townhall_dir)) as server:
        save_config(setup.kiosk_dir, replace(load_config(setup.kiosk_dir), server_url=server.url))
        with open_runtime(setup.kiosk_dir) as runtime:
            assert runtime.sync_now(lang="de").error is None
            view = warnings_view(runtime.config, runtime.store, "de", now=later + dt.timedelta(minutes=1))
            assert view.state == "fresh" and len(view.warnings) == 1
