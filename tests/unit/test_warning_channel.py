"""The ``warnings`` channel between the town hall and a kiosk: version 0 until the town hall has a
complete import, a broken warnings setting never blocks answers and keys, and the kiosk asks for it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kiosk.store import DB_NAME, open_store
from sync.allowlist import Allowlist
from sync.downloads import apply_download, download_request
from sync.keys import load_kiosk_keys, load_townhall_keys
from sync.server import open_storage
from sync.server.downloads import answer_download_request
from sync.warnings.config import load_warnings_config
from sync.warnings.importer import run_import

SAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "warnings"


@pytest.fixture
def pair(enrol):
    kiosk_dir, townhall_dir = enrol("kiosk-a")
    storage = open_storage(townhall_dir)
    store = open_store(kiosk_dir / DB_NAME)
    kiosk = load_kiosk_keys(kiosk_dir)

    def exchange():
        answer = answer_download_request(
            storage,
            Allowlist(townhall_dir),
            download_request(store, kiosk),
            townhall=load_townhall_keys(townhall_dir, need_encryption=False),
            townhall_dir=townhall_dir,
        )
        apply_download(answer, store=store, kiosk=kiosk, kiosk_dir=kiosk_dir)
        return store.warnings_snapshot()

    yield townhall_dir, exchange
    store.close()
    storage.close()


def test_the_kiosk_asks_for_warnings_and_gets_nothing_before_a_complete_import(pair):
    townhall_dir, exchange = pair
    entries, state = exchange()
    assert entries == [] and state.version == 0 and state.as_of is None


def test_after_an_import_the_kiosk_holds_the_snapshot_with_the_import_time(pair):
    townhall_dir, exchange = pair
    (townhall_dir / "warnings.toml").write_text('areas = ["15090535"]\n', encoding="utf-8")
    incoming = townhall_dir / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(minutes=3)
    warning = json.loads((SAMPLES / "nina-drinking-water.json").read_text(encoding="utf-8"))
    for info in warning["info"]:
        info["expires"] = (started + dt.timedelta(days=1)).isoformat()
    (incoming / "water.json").write_text(json.dumps(warning), encoding="utf-8")
    run_import(load_warnings_config(townhall_dir), now=started)
    entries, state = exchange()
    assert [e["identifier"] for e in entries] == ["mow.DE-ST-SDL-W007-20261205-000"]
    assert state.as_of == started.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert state.version == int(started.timestamp())


def test_broken_warning_settings_never_block_the_other_channels(pair, caplog):
    townhall_dir, exchange = pair
    (townhall_dir / "warnings.toml").write_text("areas = [", encoding="utf-8")
    entries, state = exchange()  # answered and applied: status and keys still travel
    assert state.version == 0
    assert "warnings not sent to kiosk kiosk-a" in caplog.text
