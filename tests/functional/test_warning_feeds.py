"""Warning feeds fetched over HTTP (served on 127.0.0.1): DWD's zip, NINA's index with its
warnings, a feed that fails and a feed that sends too much; the rest still imports."""

from __future__ import annotations

import datetime as dt
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sync.cli_warnings import listing
from kiosk.cli import main
from sync.warnings.config import load_warnings_config
from sync.warnings.importer import run_import
from sync.warnings.snapshot import kiosk_snapshot
from sync.warnings.sources import FeedError, read_feed
from sync.warnings.store import WarningsStore

SAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "warnings"
NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)

pytestmark = pytest.mark.slow


def dwd_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("dwd-severe-gusts.xml", "dwd-test-warning.xml", "malformed-truncated.xml"):
            archive.writestr(name, (SAMPLES / name).read_bytes())
    return buffer.getvalue()


@pytest.fixture
def feed_server():
    """A web server on 127.0.0.1 with DWD-like and NINA-like paths."""
    pages = {
        "/weather/alerts/cap/COMMUNEUNION_DWD_STAT/Z_CAP_C_EDZW_LATEST_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE.zip": dwd_zip(),
        "/api31/mowas/mapData.json": b'[{"id": "mow.DE-ST-SDL-W003-20261205-000", "version": 1, "severity": "Extreme", "type": "Alert"},'
        b' {"id": "mow.DE-ST-SDL-W007-20261205-000"}]',
        "/api31/warnings/mow.DE-ST-SDL-W007-20261205-000.json": (SAMPLES / "nina-drinking-water.json").read_bytes(),
        "/api31/warnings/mow.DE-ST-SDL-W003-20261205-000.json": b'{"identifier": "mow.DE-ST-SDL-W003-20261205-000", "info": "nonsense"}',
        "/huge.xml": b"<" * (70 * 1024 * 1024),
        "/maintenance.zip": b"<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>",
        "/error.json": b'{"error": "service unavailable"}',
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = pages.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_feeds_import_and_a_failing_feed_keeps_the_old_as_of(feed_server, tmp_path, capsys):
    townhall = tmp_path / "townhall"
    townhall.mkdir()
    dwd = f"{feed_server}/weather/alerts/cap/COMMUNEUNION_DWD_STAT/Z_CAP_C_EDZW_LATEST_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE.zip"
    nina = f"{feed_server}/api31/mowas/mapData.json"
    (townhall / "warnings.toml").write_text(f'areas = ["15090535"]\nfeeds = ["{dwd}", "{nina}"]\n', encoding="utf-8")
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert report.complete and report.failed_feeds == []
    assert report.read == 3  # the storm, the DWD test (kept, never shown) and the drinking water
    assert {Path(r.name).name.split(":")[-1] for r in report.refused} == {
        "malformed-truncated.xml",
        "mow.DE-ST-SDL-W003-20261205-000.json",
    }

    missing = f"{feed_server}/api31/lhp/mapData.json"
    (townhall / "warnings.toml").write_text(f'areas = ["15090535"]\nfeeds = ["{dwd}", "{missing}"]\n', encoding="utf-8")
    later = NOW + dt.timedelta(minutes=5)
    report = run_import(load_warnings_config(townhall), now=later)
    assert not report.complete and report.failed_feeds == [missing]
    with WarningsStore(townhall / "warnings") as store:
        assert store.as_of() == "2026-12-05T10:00:00Z"  # not the later run: one source was missing

    assert main(["warnings", "list", "--data-dir", str(townhall)]) == 0
    assert "Gebiete der Kioske: 15090535" in capsys.readouterr().out
    listed = "\n".join(listing(townhall, NOW, "de"))
    assert "Gebiete der Kioske: 15090535" in listed
    assert "gestört seit 2026-12-05T10:05:00Z" in listed and "HTTP 404" in listed
    assert "[Severe] Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN" in listed and "geht an die Kioske" in listed
    assert "wird nie gezeigt: DWD test event code 98" in listed


def test_a_feed_that_sends_too_much_is_cut_off(feed_server):
    with pytest.raises(FeedError, match="announces"):
        read_feed(f"{feed_server}/huge.xml", timeout=10)


def test_cli_import_of_named_files(tmp_path, capsys):
    townhall = tmp_path / "townhall"
    code = main(
        ["warnings", "import", "--data-dir", str(townhall), str(SAMPLES / "flood-alert.xml"), str(SAMPLES / "malformed-entities.xml")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "1 Warnmeldung(en) gelesen, 1 neu, 0 für andere Gebiete, 1 abgelehnt." in out
    assert "malformed-entities.xml: refused XML construct" in out
    assert "Hinweis: In warnings.toml sind keine Gebiete eingetragen" in out


def test_listing_before_any_import_creates_nothing(tmp_path):
    townhall = tmp_path / "townhall"
    townhall.mkdir()
    lines = listing(townhall, NOW, "en")
    assert lines[1].startswith("Complete as of: never") and not (townhall / "warnings").exists()


@pytest.fixture
def dripping_server():
    """A server on 127.0.0.1 that answers with a status line and then one header byte every
    half second, for ever: every single read is quick, the answer never ends."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def drip(connection):
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.is_set():
                connection.sendall(b"a")
                time.sleep(0.5)
        except OSError:
            pass
        finally:
            connection.close()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/dashboard/150900000000.json"
    stop.set()
    listener.close()


def test_a_feed_that_never_finishes_its_headers_is_cut_off_and_the_next_feed_still_imports(
    feed_server, dripping_server, tmp_path
):
    townhall = tmp_path / "townhall"
    townhall.mkdir()
    dwd = f"{feed_server}/weather/alerts/cap/COMMUNEUNION_DWD_STAT/Z_CAP_C_EDZW_LATEST_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE.zip"
    (townhall / "warnings.toml").write_text(
        f'areas = ["15090535"]\nfeeds = ["{dripping_server}", "{dwd}"]\nfeed_timeout_seconds = 1\n', encoding="utf-8"
    )
    reports = []
    worker = threading.Thread(target=lambda: reports.append(run_import(load_warnings_config(townhall), now=NOW)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "the import hangs on a feed that never ends its headers"
    report = reports[0]
    assert report.failed_feeds == [dripping_server] and not report.complete
    with WarningsStore(townhall / "warnings") as store:
        assert "Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN" in [a.texts[0].headline for a in store.alerts()]


@pytest.mark.parametrize("page", ["/maintenance.zip", "/error.json"])
def test_a_feed_that_answers_with_something_else_is_a_failed_feed_not_an_empty_one(feed_server, tmp_path, page):
    """A maintenance page or an error object with status 200 is no list of warnings: counted as
    read, it moved "Stand" forward and the kiosks said "no current warnings" from nothing."""
    townhall = tmp_path / "townhall"
    townhall.mkdir()
    url = f"{feed_server}{page}"
    (townhall / "warnings.toml").write_text(f'areas = ["15090535"]\nfeeds = ["{url}"]\n', encoding="utf-8")
    report = run_import(load_warnings_config(townhall), now=NOW)
    assert report.failed_feeds == [url] and not report.complete
    with WarningsStore(townhall / "warnings") as store:
        assert store.as_of() is None


def test_a_warning_its_feed_no_longer_lists_is_taken_off_and_comes_back_if_listed_again(tmp_path):
    """MoWaS warnings have no end time: when NINA stops listing one and its Cancel was missed, the
    kiosks showed it for ever. Gone from a feed read completely means withdrawn; listed again
    (a glitch) means back."""
    pages = {"/api31/dashboard/150900000000.json": b'[{"id": "mow.DE-ST-SDL-W007-20261205-000"}]',
             "/api31/warnings/mow.DE-ST-SDL-W007-20261205-000.json": (SAMPLES / "nina-drinking-water.json").read_bytes()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = pages.get(self.path, b"")
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        townhall = tmp_path / "townhall"
        townhall.mkdir()
        feed = f"http://127.0.0.1:{server.server_address[1]}/api31/dashboard/150900000000.json"
        (townhall / "warnings.toml").write_text(f'areas = ["15090535"]\nfeeds = ["{feed}"]\n', encoding="utf-8")
        config = load_warnings_config(townhall)

        def shown(at):
            alerts, _as_of = kiosk_snapshot(config, at)
            return [a.identifier for a in alerts]

        run_import(config, now=NOW)
        assert shown(NOW) == ["mow.DE-ST-SDL-W007-20261205-000"]
        pages["/api31/dashboard/150900000000.json"] = b"[]"  # withdrawn, no Cancel seen
        later = NOW + dt.timedelta(minutes=5)
        assert run_import(config, now=later).complete
        assert shown(later) == []
        pages["/api31/dashboard/150900000000.json"] = b'[{"id": "mow.DE-ST-SDL-W007-20261205-000"}]'
        again = later + dt.timedelta(minutes=5)
        run_import(config, now=again)
        assert shown(again) == ["mow.DE-ST-SDL-W007-20261205-000"]
    finally:
        server.shutdown()
        server.server_close()
