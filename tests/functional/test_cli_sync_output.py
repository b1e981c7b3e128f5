"""``rathaus sync`` says what it did in whole sentences: "2 Anträge übermittelt", never "Antrag/Anträge"."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.cli import main
from kiosk.config import load_config, save_config
from kiosk.runtime import open_runtime
from sync.embedded import start_embedded_server
from sync.server import create_app

pytestmark = pytest.mark.slow


def test_sync_counts_in_german_singular_and_plural(enrol, fill, capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "de")
    kiosk_dir, townhall_dir = enrol("kiosk-sync")
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, replace(load_config(kiosk_dir), server_url=server.url))
        with open_runtime(kiosk_dir) as runtime:
            form = runtime.form("nachricht")
            for text in ("Danke!", "Noch einmal danke!"):
                runtime.submit(form, fill(form, {"topic": "lob", "message": text, "name": "", "wants_reply": False}))
        assert main(["sync", "--data-dir", str(kiosk_dir)]) == 0
        first = capsys.readouterr().out
        with open_runtime(kiosk_dir) as runtime:
            runtime.submit(form, fill(form, {"topic": "lob", "message": "Ein drittes Mal.", "name": "", "wants_reply": False}))
        assert main(["sync", "--data-dir", str(kiosk_dir)]) == 0
        second = capsys.readouterr().out
    assert "2 Anträge übermittelt, 0 Statusmeldungen erhalten." in first
    assert "1 Antrag übermittelt, 0 Statusmeldungen erhalten." in second
