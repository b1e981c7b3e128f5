"""Official warnings on the kiosk's screens, driven by keys: the start screen's banner, the warnings
screen with what to do, and the honest words when the data is old or was never fetched."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path


from kiosk.official_warnings import warnings_view
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.screens.warnings import WarningsScreen
from sync.warnings.alerts import SEVERITY_RANK, alert_to_json
from sync.warnings.channel import version_of
from sync.warnings.config import load_warnings_config
from sync.warnings.importer import run_import
from sync.warnings.snapshot import kiosk_snapshot

SAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "warnings"
NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)
SCREEN_SIZE = (100, 40)
PLACE = {"warning_area": "15090535", "warning_coordinates": "52.4297,11.8069"}


def synced(runtime, tmp_path, names, *, imported_at=NOW, monkeypatch) -> None:
    """The town hall imported ``names`` at ``imported_at``; the kiosk holds its snapshot; the
    kiosk's clock stands at ``NOW``."""
    townhall = tmp_path / "townhall-warnings"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    (townhall / "warnings.toml").write_text('areas = ["15090535"]\npoints = ["52.4297,11.8069"]\n', encoding="utf-8")
    for name in names:
        shutil.copy(SAMPLES / name, incoming / name)
    run_import(load_warnings_config(townhall), now=imported_at)
    alerts, as_of = kiosk_snapshot(load_warnings_config(townhall), imported_at)
    runtime.store.replace_warnings(
        [alert_to_json(a) for a in alerts], rank=lambda e: SEVERITY_RANK[e["severity"]], version=version_of(as_of), as_of=as_of
    )
    frozen(runtime, monkeypatch)


def frozen(runtime, monkeypatch) -> None:
    monkeypatch.setattr(runtime, "warnings", lambda lang: warnings_view(runtime.config, runtime.store, lang, now=NOW))


async def open_warnings(visitor) -> None:
    await visitor.tab_to(lambda w: w.id == "warning-banner")
    await visitor.press("enter")
    await visitor.pilot.pause()
    assert isinstance(visitor.app.screen, WarningsScreen)


async def test_the_most_severe_warning_on_the_start_screen_and_all_of_them_behind_it(
    open_kiosk, tmp_path, visitor_for, monkeypatch
):
    runtime = open_kiosk(**PLACE)
    synced(runtime, tmp_path, ["mowas-fire-smoke.xml", "dwd-severe-gusts.xml", "dwd-test-warning.xml", "mowas-exercise.xml"],
           monkeypatch=monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        banner = visitor.text
        assert "⚠ Extreme Gefahr: Großbrand in Tangerhütte – starke Rauchentwicklung" in banner
        assert "(und 1 weitere Warnung) – Stand: 05.12.2026, 11:00" in banner
        assert "TEST-WARNUNG" not in banner and "ÜBUNG" not in banner
        await open_warnings(visitor)
        text = visitor.text
        fire = text.index("Extreme Gefahr: Großbrand in Tangerhütte")
        storm = text.index("Große Gefahr: Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN")
        assert fire < storm  # most severe first
        assert "Stand: 05.12.2026, 11:00" in text
        assert "Was tun?" in text
        assert "Halten Sie Fenster und Türen geschlossen." in text
        assert "Gültig bis zur Aufhebung" in text  # MoWaS gave no expiry
        assert "Gültig von 05.12.2026, 10:00 bis 05.12.2026, 22:00" in text
        assert "Herausgeber: Landkreis Stendal – Katastrophenschutz" in text
        assert "Herausgeber: Deutscher Wetterdienst" in text
        assert "TEST-WARNUNG" not in text and "ÜBUNG" not in text
        assert visitor.focused.id == "close"  # the focus mark is on the way back
        await visitor.press("pagedown", "down")  # scrolling keeps the focus where it is
        assert visitor.focused.id == "close"
        await visitor.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)


async def test_no_warnings_is_said_only_from_fresh_data(open_kiosk, tmp_path, visitor_for, monkeypatch):
    runtime = open_kiosk(**PLACE)
    synced(runtime, tmp_path, ["dwd-other-area.xml"], imported_at=NOW - dt.timedelta(minutes=10), monkeypatch=monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        assert "Keine aktuellen Warnungen bekannt – Stand: 05.12.2026, 10:50" in visitor.text
        await visitor.press("f2")
        await pilot.pause()
        assert "No current warnings known – as of 5 Dec 2026, 10:50" in visitor.text


async def test_old_data_is_called_old_and_never_no_warnings(open_kiosk, tmp_path, visitor_for, monkeypatch):
    runtime = open_kiosk(**PLACE)
    synced(runtime, tmp_path, ["dwd-other-area.xml"], imported_at=NOW - dt.timedelta(hours=8), monkeypatch=monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        text = visitor.text
        assert "Warnungen nicht aktuell – Stand: 05.12.2026, 03:00" in text
        assert "älter als 6 Stunden" in text
        assert "Keine aktuellen Warnungen" not in text
        await open_warnings(visitor)
        text = visitor.text
        assert "Stand: 05.12.2026, 03:00" in text
        assert "Ob es jetzt Warnungen gibt, ist hier nicht bekannt." in text
        assert "keine aktuellen Warnungen" not in text.lower()


async def test_a_kiosk_that_never_fetched_warnings_says_so(open_kiosk, visitor_for, monkeypatch):
    runtime = open_kiosk(**PLACE)
    frozen(runtime, monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        assert "Amtliche Warnungen konnten nicht abgerufen werden." in visitor.text
        await open_warnings(visitor)
        assert "Amtliche Warnungen konnten nicht abgerufen werden." in visitor.text
        assert "Keine aktuellen Warnungen" not in visitor.text


async def test_a_kiosk_without_a_warning_area_shows_no_banner(runtime, visitor_for):
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        assert "Warnung" not in visitor.text
        banner = app.screen.query_one("#warning-banner")
        assert not banner.display
        await visitor.tab_to(lambda w: w.id == "status")  # Tab never stops on the hidden banner
        for _ in range(12):
            await visitor.press("tab")
            assert visitor.focused.id != "warning-banner"


async def test_at_80_by_25_the_banner_takes_two_lines_of_text(open_kiosk, tmp_path, visitor_for, monkeypatch):
    runtime = open_kiosk(**PLACE)
    synced(runtime, tmp_path, ["mowas-fire-smoke.xml", "dwd-severe-gusts.xml"], monkeypatch=monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(80, 25)) as pilot:
        await pilot.pause()
        banner = app.screen.query_one("#warning-banner")
        assert banner.region.height <= 4  # two lines of text and the button's frame
        assert banner.region.y < 10



LONG_HEADLINE = (
    "Großbrand in einem Recyclingbetrieb in Tangerhütte, Ortsteil Lüderitz – starke Rauchentwicklung, "
    "Fenster und Türen geschlossen halten, Lüftungs- und Klimaanlagen abschalten"
)


def _outside(app, size) -> list[str]:
    """Every shown button of the start screen that is not wholly in sight: on the screen and, for
    the services, inside the visible part of their scroll area."""
    width, height = size
    services = app.screen.query_one("#services").region
    missing = []
    for button in app.screen.query("Button"):
        if not button.display:
            continue
        region = button.region
        inside = region.height > 0 and region.y >= 0 and region.bottom <= height and region.right <= width
        if button.id not in ("language", "warning-banner"):
            inside = inside and region.y >= services.y and region.bottom <= services.bottom
        if not inside:
            missing.append(f"{button.id or button.label}: {region}")
    return missing


async def test_with_a_warning_every_start_screen_button_stays_in_sight_at_80_by_25(
    open_kiosk, tmp_path, visitor_for, monkeypatch
):
    runtime = open_kiosk(**PLACE)
    synced(runtime, tmp_path, ["mowas-fire-smoke.xml", "dwd-severe-gusts.xml"], monkeypatch=monkeypatch,
           imported_at=NOW - dt.timedelta(hours=8))  # old data: the banner says so too
    entries, state = runtime.store.warnings_snapshot()
    for entry in entries:  # MoWaS headlines can be long
        for text in entry["texts"]:
            if text["headline"].startswith("Großbrand"):
                text["headline"] = LONG_HEADLINE
    runtime.store.replace_warnings(entries, rank=lambda e: SEVERITY_RANK[e["severity"]], version=state.version, as_of=state.as_of)
    for lang, status_label in (("de", "Status eines Antrags abfragen"), ("en", "Check the status of an application")):
        for size in ((80, 25), (100, 30)):
            app = KioskApp(runtime, kiosk_mode=True, lang=lang)
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                text = visitor_for(pilot).text
                assert "⚠ Extreme" in text and ("Stand: 05.12.2026, 03:00" in text or "as of 5 Dec 2026, 03:00" in text)
                assert ("älter als 6 Stunden" in text) or ("more than 6 hours old" in text)
                assert _outside(app, size) == [], (lang, size)
                assert status_label in str(app.screen.query_one("#status").label)
                await open_warnings(visitor_for(pilot))  # the whole headline is one Enter away
                assert LONG_HEADLINE[:60] in visitor_for(pilot).text


async def test_square_brackets_in_a_warning_are_shown_as_written_not_read_as_markup(
    open_kiosk, tmp_path, visitor_for, monkeypatch
):
    """CAP texts come from outside: "[/b]" must not crash the start screen, and "[@click=…]" must not
    become a link that runs a kiosk action."""
    runtime = open_kiosk(**PLACE)
    synced(runtime, tmp_path, ["mowas-fire-smoke.xml"], monkeypatch=monkeypatch)
    entries, state = runtime.store.warnings_snapshot()
    headline = "Rauch [/b] Stufe [3] [@click=app.quit]hier[/]"
    entries[0]["texts"][0]["headline"] = headline
    runtime.store.replace_warnings(entries, rank=lambda e: SEVERITY_RANK[e["severity"]], version=state.version, as_of=state.as_of)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        banner = app.screen.query_one("#warning-banner")
        assert headline in str(banner.render().plain)
        assert not any("@click" in str(span.style) for span in banner.render().spans)
        await open_warnings(visitor_for(pilot))
        assert headline in visitor_for(pilot).text


async def test_warnings_brought_by_an_exchange_show_at_once_not_half_a_minute_later(
    open_kiosk, tmp_path, visitor_for, monkeypatch
):
    runtime = open_kiosk(**PLACE)
    frozen(runtime, monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        await pilot.pause()
        assert "Amtliche Warnungen konnten nicht abgerufen werden." in visitor_for(pilot).text
        synced(runtime, tmp_path, ["mowas-fire-smoke.xml"], monkeypatch=monkeypatch)  # the exchange stores them
        from kiosk.ui.messages import SyncFinished

        app.post_message(SyncFinished(None))
        await pilot.pause()
        assert "⚠ Extreme Gefahr: Großbrand in Tangerhütte" in visitor_for(pilot).text


async def test_at_80_by_25_the_arrow_keys_reach_the_warning_and_every_button(open_kiosk, tmp_path, visitor_for, monkeypatch):
    """The services scroll a little at 80×25 (their summary lies below): the arrow keys must still
    move between the buttons, up to the warning, and not scroll the area instead."""
    runtime = open_kiosk(**PLACE)
    synced(runtime, tmp_path, ["mowas-fire-smoke.xml", "dwd-severe-gusts.xml"], monkeypatch=monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=(80, 25)) as pilot:
        await pilot.pause()
        visitor = visitor_for(pilot)
        await visitor.press("up")
        assert visitor.focused.id == "warning-banner"
        await visitor.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, WarningsScreen)
        await visitor.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        app.screen.focus_default()
        reached = set()
        for _ in range(4):
            await visitor.press("down")
            reached.add(visitor.focused.id or str(visitor.focused.label))
        assert "status" in reached
        assert _outside(app, (80, 25)) == []
