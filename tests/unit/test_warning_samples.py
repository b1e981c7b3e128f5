"""Real-world shaped CAP samples (tests/vectors/warnings/) imported at the town hall and shown by a
kiosk in Tangerhütte at a fixed time: what a citizen reads, and what never reaches them."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from kiosk.config import KioskConfig
from kiosk.official_warnings import summary_line, warnings_view
from kiosk.store import open_store
from sync.warnings.alerts import SEVERITY_RANK, alert_to_json
from sync.warnings.channel import version_of
from sync.warnings.config import load_warnings_config
from sync.warnings.importer import run_import
from sync.warnings.snapshot import kiosk_snapshot

SAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "warnings"
NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)  # 11:00 in Tangerhütte
KIOSK = KioskConfig(warning_area="15090535", warning_coordinates="52.4297,11.8069")


@pytest.fixture
def townhall(tmp_path):
    folder = tmp_path / "townhall"
    folder.mkdir()
    (folder / "warnings.toml").write_text('areas = ["15090535"]\npoints = ["52.4297,11.8069"]\n', encoding="utf-8")
    (folder / "warnings" / "incoming").mkdir(parents=True)
    return folder


def drop(townhall: Path, *names: str) -> None:
    for name in names:
        shutil.copy(SAMPLES / name, townhall / "warnings" / "incoming" / name)


@pytest.fixture
def kiosk_store(tmp_path):
    with open_store(tmp_path / "kiosk" / "kiosk.db") as store:
        yield store


def sync_kiosk(townhall: Path, store, at: dt.datetime = NOW) -> None:
    """What the warnings channel carries to the kiosk (the download itself is tested elsewhere)."""
    alerts, as_of = kiosk_snapshot(load_warnings_config(townhall), at)
    if as_of:
        store.replace_warnings(
            [alert_to_json(a) for a in alerts],
            rank=lambda e: SEVERITY_RANK[e["severity"]],
            version=version_of(as_of),
            as_of=as_of,
        )


def headlines(store, config=KIOSK, lang="de", now=NOW):
    return [w.headline for w in warnings_view(config, store, lang, now=now).warnings]


ALL = [p.name for p in sorted(SAMPLES.iterdir()) if p.suffix in (".xml", ".json") and p.name != "channel.json"]


def test_the_kiosk_shows_its_warnings_most_severe_first_and_nothing_else(townhall, kiosk_store, caplog):
    drop(townhall, *[n for n in ALL if n != "flood-cancel.xml"])
    report = run_import(load_warnings_config(townhall), now=NOW - dt.timedelta(minutes=5))
    assert report.complete
    refused = {Path(r.name).name for r in report.refused}
    assert refused == {"malformed-truncated.xml", "malformed-entities.xml"}
    assert "malformed-truncated.xml" in caplog.text and "not well-formed XML" in caplog.text
    sync_kiosk(townhall, kiosk_store)
    assert headlines(kiosk_store) == [
        "Großbrand in Tangerhütte – starke Rauchentwicklung",  # MoWaS, Extreme
        "Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN",  # DWD, Severe, by warn cell
        "1. AKTUALISIERUNG: Hochwasser an der Elbe – Alarmstufe 3 am Pegel Tangermünde",  # the Update
        "Amtliche WARNUNG vor STARKEM GEWITTER",  # DWD, Moderate, by polygon only
        "Trinkwasser in Tangerhütte abkochen",  # NINA JSON, Minor, by warnVerwaltungsbereiche
    ]
    shown = warnings_view(KIOSK, kiosk_store, "de", now=NOW)
    assert shown.state == "fresh"
    fire = shown.warnings[0]
    assert fire.instruction.startswith("Halten Sie Fenster und Türen geschlossen")
    assert fire.sender == "Landkreis Stendal – Katastrophenschutz" and fire.expires is None
    storm = shown.warnings[1]
    assert storm.sender == "Deutscher Wetterdienst" and storm.expires == "2026-12-05T21:00:00Z"
    line = summary_line(shown, "de")
    assert line.startswith("Extreme Gefahr: Großbrand in Tangerhütte") and "Stand: 05.12.2026, 10:55" in line
    assert "und 4 weitere Warnungen" in line


def test_never_shown_test_exercise_expired_other_area(townhall, kiosk_store):
    drop(townhall, "dwd-test-warning.xml", "mowas-test.xml", "mowas-exercise.xml", "dwd-expired-frost.xml", "dwd-other-area.xml")
    run_import(load_warnings_config(townhall), now=NOW)
    sync_kiosk(townhall, kiosk_store)
    view = warnings_view(KIOSK, kiosk_store, "de", now=NOW)
    assert view.warnings == ()
    assert summary_line(view, "de") == "Keine aktuellen Warnungen bekannt – Stand: 05.12.2026, 11:00"
    # the expired frost was shown while it lasted
    earlier = NOW - dt.timedelta(hours=3)
    sync_kiosk(townhall, kiosk_store, at=earlier)
    assert headlines(kiosk_store, now=earlier) == ["Amtliche WARNUNG vor FROST"]


def test_update_replaces_and_cancel_removes_the_flood_warning(townhall, kiosk_store):
    drop(townhall, "flood-alert.xml")
    run_import(load_warnings_config(townhall), now=NOW)
    sync_kiosk(townhall, kiosk_store)
    assert headlines(kiosk_store) == ["Hochwasserwarnung für die Elbe: Alarmstufe 2 am Pegel Tangermünde"]
    drop(townhall, "flood-update.xml")
    run_import(load_warnings_config(townhall), now=NOW)
    sync_kiosk(townhall, kiosk_store)
    assert headlines(kiosk_store) == ["1. AKTUALISIERUNG: Hochwasser an der Elbe – Alarmstufe 3 am Pegel Tangermünde"]
    drop(townhall, "flood-cancel.xml")
    run_import(load_warnings_config(townhall), now=NOW)
    sync_kiosk(townhall, kiosk_store)
    assert headlines(kiosk_store) == []


def test_a_cancel_that_arrives_before_its_update_still_ends_it(townhall, kiosk_store):
    drop(townhall, "flood-cancel.xml")
    run_import(load_warnings_config(townhall), now=NOW)
    drop(townhall, "flood-update.xml")
    run_import(load_warnings_config(townhall), now=NOW)
    sync_kiosk(townhall, kiosk_store)
    assert headlines(kiosk_store) == []


def test_stale_data_is_said_plainly_and_never_claims_no_warnings(townhall, kiosk_store):
    drop(townhall, "flood-alert.xml")
    run_import(load_warnings_config(townhall), now=NOW - dt.timedelta(hours=7))
    sync_kiosk(townhall, kiosk_store, at=NOW - dt.timedelta(hours=7))
    view = warnings_view(KIOSK, kiosk_store, "de", now=NOW)
    assert view.state == "stale"
    line = summary_line(view, "de")
    assert "Hochwasserwarnung für die Elbe" in line and "älter als 6 Stunden" in line
    # with nothing known from stale data, the kiosk does not say "no warnings"
    nothing = KioskConfig(warning_area="15081455")
    line = summary_line(warnings_view(nothing, kiosk_store, "de", now=NOW), "de")
    assert "Keine aktuellen Warnungen" not in line
    assert line.startswith("Warnungen nicht aktuell – Stand: 05.12.2026, 04:00")
    english = summary_line(warnings_view(nothing, kiosk_store, "en", now=NOW), "en")
    assert english.startswith("Warnings are not up to date – as of") and "more than 6 hours old" in english


def test_a_kiosk_never_synced_says_warnings_could_not_be_fetched(kiosk_store):
    view = warnings_view(KIOSK, kiosk_store, "de", now=NOW)
    assert view.state == "never"
    assert summary_line(view, "de").startswith("Amtliche Warnungen konnten nicht abgerufen werden.")


def test_a_town_hall_without_a_complete_import_sends_version_zero(townhall):
    alerts, as_of = kiosk_snapshot(load_warnings_config(townhall), NOW)
    assert (alerts, as_of) == ([], None)


def test_a_kiosk_without_a_warning_area_shows_nothing(kiosk_store):
    assert summary_line(warnings_view(KioskConfig(), kiosk_store, "de", now=NOW), "de") == ""


def test_english_texts_are_taken_when_the_alert_has_them(townhall, kiosk_store):
    drop(townhall, "nina-drinking-water.json")
    run_import(load_warnings_config(townhall), now=NOW)
    sync_kiosk(townhall, kiosk_store)
    assert headlines(kiosk_store, lang="en") == ["Boil tap water in Tangerhütte"]


def test_warnings_for_other_areas_are_not_kept_and_kept_ones_lose_other_areas(townhall):
    drop(townhall, "dwd-other-area.xml", "dwd-severe-gusts.xml")
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert (report.read, report.other_areas) == (2, 1)
    from sync.warnings.store import WarningsStore

    with WarningsStore(townhall / "warnings") as store:
        (storm,) = store.alerts()
    assert [area.description for area in storm.areas] == ["Gemeinde Tangerhütte"]  # Stendal left out


def test_after_a_recovery_the_kiosk_does_not_claim_no_warnings(tmp_path):
    from kiosk.store.recovery import recover_store

    path = tmp_path / "recovered" / "kiosk.db"
    with open_store(path) as store:
        store.replace_warnings([], rank=lambda e: 0, version=version_of("2026-12-05T09:55:00Z"), as_of="2026-12-05T09:55:00Z")
        assert warnings_view(KIOSK, store, "de", now=NOW).state == "fresh"
    recover_store(path)
    with open_store(path) as store:
        assert warnings_view(KIOSK, store, "de", now=NOW).state == "never"


def test_a_warning_area_that_is_no_key_is_said_as_not_known(kiosk_store):
    broken = KioskConfig(warning_area="Tangerhütte")
    assert summary_line(warnings_view(broken, kiosk_store, "de", now=NOW), "de").startswith(
        "Amtliche Warnungen konnten nicht abgerufen werden."
    )


def test_a_kiosk_clock_far_behind_never_calls_old_data_fresh(townhall, kiosk_store):
    """A kiosk whose clock lost its battery stands in 2000: every snapshot then looks "younger
    than six hours" forever. Data from the kiosk's future says its age is not known instead."""
    drop(townhall, "dwd-other-area.xml")
    run_import(load_warnings_config(townhall), now=NOW)
    sync_kiosk(townhall, kiosk_store)
    behind = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    view = warnings_view(KIOSK, kiosk_store, "de", now=behind)
    assert view.state == "stale"
    line = summary_line(view, "de")
    assert "Keine aktuellen Warnungen" not in line
    assert line.startswith("Warnungen nicht aktuell – Stand: 05.12.2026, 11:00")
    assert "Uhren dieses Kiosks und des Rathauses" in line and "älter als" not in line
    assert "clocks of this kiosk" in summary_line(warnings_view(KIOSK, kiosk_store, "en", now=behind), "en")
    # a few minutes between the town hall's clock and the kiosk's are no reason to doubt
    assert warnings_view(KIOSK, kiosk_store, "de", now=NOW - dt.timedelta(minutes=5)).state == "fresh"


def test_line_breaks_in_a_headline_do_not_stretch_the_banner():
    from kiosk.official_warnings import ShownWarning, WarningsView

    shown = ShownWarning("x", "Severe", "Sturm\n\n\n\n\nBöen\n", "", "", "", "DWD", None, None)
    line = summary_line(WarningsView("fresh", as_of="2026-12-05T10:00:00Z", warnings=(shown,)), "de")
    assert line.startswith("Große Gefahr: Sturm Böen – Stand:") and "\n" not in line


@pytest.mark.parametrize("status", ["Exercise", "Test"])
def test_an_exercise_or_test_cancel_never_ends_a_real_warning(townhall, kiosk_store, status):
    """CAP: Test and Exercise messages are to be ignored; a Leitstelle's drill that cancels by
    mistake the real flood warning's identifier must not take it off the kiosks."""
    drop(townhall, "flood-alert.xml")
    drill = (SAMPLES / "flood-cancel.xml").read_text(encoding="utf-8")
    drill = drill.replace("<status>Actual</status>", f"<status>{status}</status>").replace("<identifier>", "<identifier>drill-", 1)
    drill = re.sub(
        r"<references>[^<]*</references>",
        "<references>DE-ST-LHW-W012,mow.DE-ST-LHW-W012-20261204-000,2026-12-04T16:00:00+01:00</references>",
        drill,
    )
    (townhall / "warnings" / "incoming" / "drill.xml").write_text(drill, encoding="utf-8")
    run_import(load_warnings_config(townhall), now=NOW)
    sync_kiosk(townhall, kiosk_store)
    assert headlines(kiosk_store) == ["Hochwasserwarnung für die Elbe: Alarmstufe 2 am Pegel Tangermünde"]


@pytest.mark.parametrize("hours", ["sechs", 10**12, -5, 2.5e20])
def test_a_hand_edited_stale_limit_that_is_no_sensible_number_falls_back_to_six_hours(townhall, kiosk_store, hours):
    """kiosk.toml is edited by hand: a word or an absurd number must not crash the start screen."""
    drop(townhall, "flood-alert.xml")
    run_import(load_warnings_config(townhall), now=NOW - dt.timedelta(hours=7))
    sync_kiosk(townhall, kiosk_store, at=NOW - dt.timedelta(hours=7))
    config = KioskConfig(warning_area="15090535", warnings_stale_hours=hours)
    view = warnings_view(config, kiosk_store, "de", now=NOW)
    assert (view.state, view.stale_hours) == ("stale", 6)
    assert "älter als 6 Stunden" in summary_line(view, "de")


@pytest.mark.parametrize("town_hall_area", ["150900000000", "15090000"])
def test_a_town_hall_that_lists_its_kreis_still_sends_the_municipalitys_warnings(tmp_path, town_hall_area):
    """NINA's dashboard is asked by the Kreis (150900000000), so IT may well list that key in
    areas: then every warning for a single municipality was dropped at the town hall and the
    kiosks said "no current warnings" from fresh data."""
    folder = tmp_path / "townhall"
    (folder / "warnings" / "incoming").mkdir(parents=True)
    (folder / "warnings.toml").write_text(f'areas = ["{town_hall_area}"]\n', encoding="utf-8")
    drop(folder, "dwd-severe-gusts.xml", "mowas-fire-smoke.xml", "dwd-other-area.xml")
    run_import(load_warnings_config(folder), now=NOW)
    with open_store(tmp_path / "kiosk.db") as store:
        sync_kiosk(folder, store)
        assert sorted(headlines(store)) == [
            "Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN",
            "Großbrand in Tangerhütte – starke Rauchentwicklung",
        ]
        neighbour = KioskConfig(warning_area="15090010")  # another municipality of the Kreis, not warned
        assert headlines(store, config=neighbour) == []
