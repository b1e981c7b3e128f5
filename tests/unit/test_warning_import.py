"""The town hall's warnings import as hostile input: DWD zip files, zip bombs, path traversal,
entity expansion, NINA JSON; one bad alert is refused with a log line naming it, the rest imports."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import zipfile
from pathlib import Path

import pytest

from kiosk.errors import RathausError
from sync.warnings.cap import CapError, parse_cap_xml
from sync.warnings.config import load_warnings_config
from sync.warnings.importer import run_import
from sync.warnings.snapshot import kiosk_snapshot
from sync.warnings.sources import MAX_ZIP_MEMBERS, read_document
from sync.warnings.store import WarningsStore

SAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "warnings"
NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_dwd_zip_with_one_alert_per_file_and_a_broken_one(caplog):
    data = zipped(
        {
            "Z_CAP_C_EDZW_20261205091200_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE_815090535.xml": sample("dwd-severe-gusts.xml"),
            "Z_CAP_C_EDZW_20261205093000_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE_polygon.xml": sample("dwd-thunderstorm-polygon.xml"),
            "broken.xml": sample("malformed-truncated.xml"),
        }
    )
    with caplog.at_level(logging.WARNING, logger="rathaus.warnings"):
        harvest = read_document("Z_CAP_C_EDZW_LATEST_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE.zip", data)
    assert [a.identifier.split(".")[8] for _, a in harvest.alerts] == ["1796461920000", "1796463000000"]
    assert [r.name for r in harvest.refused] == ["Z_CAP_C_EDZW_LATEST_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE.zip:broken.xml"]
    assert "COMMUNEUNION_DE.zip:broken.xml refused: not well-formed XML" in caplog.text


def test_a_zip_bomb_a_path_outside_and_a_zip_in_a_zip_are_refused():
    bomb = b"<" + b" " * (3 * 1024 * 1024)
    data = zipped({"bomb.xml": bomb, "../../etc/cron.d/x.xml": sample("dwd-severe-gusts.xml"), "inner.zip": zipped({"a.xml": b"<a/>"})})
    harvest = read_document("feed.zip", data)
    reasons = {r.name.split(":", 1)[1]: r.reason for r in harvest.refused}
    assert "zip bomb" in reasons["bomb.xml"]
    assert "path traversal" in reasons["../../etc/cron.d/x.xml"]
    assert "zip inside the zip" in reasons["inner.zip"]
    assert harvest.alerts == []


def test_too_many_members_are_refused_before_any_is_read():
    data = zipped({f"{n}.xml": b"" for n in range(MAX_ZIP_MEMBERS + 1)}, zipfile.ZIP_STORED)
    harvest = read_document("many.zip", data)
    assert harvest.alerts == [] and "members" in harvest.refused[0].reason


def test_entities_and_dtds_are_never_expanded():
    with pytest.raises(CapError, match="DTDs and entities are not allowed"):
        parse_cap_xml(sample("malformed-entities.xml"))
    external = b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd"><alert/>'
    with pytest.raises(CapError, match="not allowed"):
        parse_cap_xml(external)


def test_other_documents_are_refused_with_their_reason():
    with pytest.raises(CapError, match="not a CAP 1.2 <alert>"):
        parse_cap_xml(b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"><identifier>x</identifier></alert>')
    wrong_status = sample("mowas-fire-smoke.xml").replace(b"<status>Actual</status>", b"<status>Real</status>")
    with pytest.raises(CapError, match="<status> 'Real'"):
        parse_cap_xml(wrong_status)


def test_nina_json_list_and_index(tmp_path):
    harvest = read_document("nina.json", b"[" + sample("nina-drinking-water.json") + b', {"id": "mow.DE-ST-SDL-W003-20261205-000"}, 7]')
    assert [a.identifier for _, a in harvest.alerts] == ["mow.DE-ST-SDL-W007-20261205-000"]
    assert harvest.index == ["mow.DE-ST-SDL-W003-20261205-000"]
    assert [r.name for r in harvest.refused] == ["nina.json[2]"]


def test_the_incoming_folder_is_emptied_into_done_and_refused(tmp_path):
    townhall = tmp_path / "townhall"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    (incoming / "storm.xml").write_bytes(sample("dwd-severe-gusts.xml"))
    (incoming / "broken.xml").write_bytes(sample("malformed-truncated.xml"))
    (incoming / "half.xml.part").write_bytes(b"<al")  # still being copied: left alone
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert (report.read, report.new, len(report.refused), report.complete) == (1, 1, 1, True)
    assert sorted(p.name for p in incoming.iterdir()) == ["half.xml.part"]
    assert [p.name for p in (townhall / "warnings" / "done").iterdir()] == ["storm.xml"]
    assert [p.name for p in (townhall / "warnings" / "refused").iterdir()] == ["broken.xml"]
    # the same alert again changes nothing
    (incoming / "storm.xml").write_bytes(sample("dwd-severe-gusts.xml"))
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert (report.read, report.new) == (1, 0)
    assert sorted(p.name for p in (townhall / "warnings" / "done").iterdir()) == ["storm.2.xml", "storm.xml"]
    with WarningsStore(townhall / "warnings") as store:
        assert len(store.alerts()) == 1 and store.as_of() == "2026-12-05T10:00:00Z"


def test_a_link_in_the_incoming_folder_is_not_followed(tmp_path):
    townhall = tmp_path / "townhall"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    secret = tmp_path / "secret.xml"
    secret.write_bytes(sample("dwd-severe-gusts.xml"))
    (incoming / "link.xml").symlink_to(secret)
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert report.read == 0 and "not a regular file" in report.refused[0].reason
    assert secret.exists()


def test_expired_alerts_and_their_endings_are_forgotten_after_two_days(tmp_path):
    townhall = tmp_path / "townhall"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    for name in ("flood-alert.xml", "flood-update.xml"):
        (incoming / name).write_bytes(sample(name))
    run_import(load_warnings_config(townhall), now=NOW)
    with WarningsStore(townhall / "warnings") as store:
        assert len(store.alerts()) == 2 and len(store.ended_keys()) == 1
    run_import(load_warnings_config(townhall), now=NOW + dt.timedelta(days=5))  # both expired on 7 Dec
    with WarningsStore(townhall / "warnings") as store:
        assert store.alerts() == [] and store.ended_keys() == set()


def test_escape_sequences_and_lone_surrogates_from_json_never_reach_the_record(tmp_path):
    warning = json.loads(sample("nina-drinking-water.json"))
    warning["info"][0]["headline"] = "Trinkwasser\x1b[2J abkochen \ud800"
    broken = dict(warning, identifier="mow.\ud800")
    townhall = tmp_path / "townhall"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    (incoming / "a.json").write_text(json.dumps([warning, broken]), encoding="utf-8")
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert report.read == 1 and "control characters" in report.refused[0].reason
    with WarningsStore(townhall / "warnings") as store:
        (kept,) = store.alerts()
    assert kept.texts[0].headline == "Trinkwasser[2J abkochen"


def test_a_pipe_in_the_incoming_folder_never_hangs_the_import(tmp_path):
    import os

    townhall = tmp_path / "townhall"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    os.mkfifo(incoming / "pipe.xml")
    (incoming / "storm.xml").write_bytes(sample("dwd-severe-gusts.xml"))
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert report.read == 1 and "not a regular file" in report.refused[0].reason
    assert [p.name for p in (townhall / "warnings" / "refused").iterdir()] == ["pipe.xml"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0100-01-01T00:00:00+00:00"])
def test_times_at_the_edge_of_the_calendar_are_refused_and_the_rest_imports(tmp_path, moment):
    """A year the calendar cannot hold in UTC, or one before 1000, crashed the whole run (every
    five minutes, with the file left in the folder) or poisoned the record so no kiosk got warnings."""
    townhall = tmp_path / "townhall"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    (townhall / "warnings.toml").write_text('areas = ["15090535"]\n', encoding="utf-8")
    odd = sample("mowas-fire-smoke.xml").decode().replace("<identifier>", "<identifier>odd-", 1)
    odd = re.sub(r"<sent>[^<]*</sent>", f"<sent>{moment}</sent>", odd)
    (incoming / "a-odd.xml").write_text(odd, encoding="utf-8")
    (incoming / "b-storm.xml").write_bytes(sample("dwd-severe-gusts.xml"))
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert [Path(r.name).name for r in report.refused] == ["a-odd.xml"]
    assert report.complete and (townhall / "warnings" / "refused" / "a-odd.xml").exists()
    alerts, as_of = kiosk_snapshot(load_warnings_config(townhall), NOW)
    assert as_of == "2026-12-05T10:00:00Z" and len(alerts) == 1


@pytest.mark.parametrize(
    "feed", ["http://127.0.0.1.evil.example/x.zip", "http://localhost@evil.example/x.zip", "http://127.0.0.1:80@evil.example/", "ftp://127.0.0.1/x"]
)
def test_a_feed_that_only_looks_like_loopback_is_refused(tmp_path, feed):
    """Plain http is for tests on this machine only: anyone on the way could add or drop warnings."""
    (tmp_path / "warnings.toml").write_text(f'areas = ["15090535"]\nfeeds = ["{feed}"]\n', encoding="utf-8")
    with pytest.raises(RathausError, match="https://"):
        load_warnings_config(tmp_path)


def test_https_and_loopback_feeds_are_accepted(tmp_path):
    feeds = ["https://warnung.bund.de/api31/dashboard/150900000000.json", "http://127.0.0.1:8765/x.zip", "http://localhost/x.xml"]
    (tmp_path / "warnings.toml").write_text(f"areas = [\"15090535\"]\nfeeds = {json.dumps(feeds)}\n", encoding="utf-8")
    assert load_warnings_config(tmp_path).feeds == tuple(feeds)


@pytest.mark.parametrize("incoming", [".", "warnings", "..", "keys", "warnings/done", "ABSOLUTE", "OUTSIDE"])
def test_an_incoming_folder_outside_its_own_place_is_refused_before_anything_is_moved(tmp_path, incoming):
    """The import moves every file it finds there: pointed at the data directory it moved
    townhall.db and warnings.toml away, at warnings/ its own record; run by root with "/", the
    system's own files. It must be a folder inside warnings/ (where systemd lets it write)."""
    townhall = tmp_path / "townhall"
    incoming = {"ABSOLUTE": str(townhall), "OUTSIDE": str(tmp_path / "elsewhere")}.get(incoming, incoming)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "notes.txt").write_text("someone else's file", encoding="utf-8")
    (townhall / "keys").mkdir(parents=True)
    (townhall / "townhall.db").write_bytes(b"the town hall's database")
    (townhall / "warnings.toml").write_text(f'areas = ["15090535"]\nincoming = "{incoming}"\n', encoding="utf-8")
    with pytest.raises(RathausError, match="incoming"):
        run_import(load_warnings_config(townhall), now=NOW)
    assert (townhall / "townhall.db").exists() and (townhall / "warnings.toml").exists()
    assert (tmp_path / "elsewhere" / "notes.txt").exists()


def test_an_incoming_folder_inside_warnings_is_accepted(tmp_path):
    (tmp_path / "warnings.toml").write_text('areas = ["15090535"]\nincoming = "warnings/von-der-leitstelle"\n', encoding="utf-8")
    assert load_warnings_config(tmp_path).incoming == tmp_path / "warnings" / "von-der-leitstelle"


def test_a_dropped_file_name_with_terminal_codes_is_logged_and_listed_harmlessly(tmp_path, caplog):
    """File names come from whoever drops files: an escape sequence in one must not reach the
    IT's terminal or the journal as a code (clearing the screen, hiding the other lines)."""
    townhall = tmp_path / "townhall"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    (townhall / "warnings.toml").write_text('areas = ["15090535"]\n', encoding="utf-8")
    (incoming / "evil\x1b[2J\nline.xml").write_bytes(b"not a warning")
    with caplog.at_level(logging.WARNING, logger="rathaus.warnings"):
        report = run_import(load_warnings_config(townhall), now=NOW)
    assert len(report.refused) == 1
    assert "\x1b" not in report.refused[0].name and "\n" not in report.refused[0].name
    assert all("\x1b" not in r.getMessage() and "\n" not in r.getMessage() for r in caplog.records)


def test_an_incoming_folder_that_cannot_be_listed_leaves_the_run_incomplete_and_feeds_still_read(tmp_path, monkeypatch):
    """A share that went away or lost its permissions: the run goes on with the feeds, logs the
    folder and does not move "Stand" forward (the files there were not read)."""
    townhall = tmp_path / "townhall"
    incoming = townhall / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    (townhall / "warnings.toml").write_text('areas = ["15090535"]\n', encoding="utf-8")
    real_iterdir = Path.iterdir

    def refused(self):
        if self == incoming:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", refused)
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert not report.complete
    with WarningsStore(townhall / "warnings") as store:
        assert store.as_of() is None
