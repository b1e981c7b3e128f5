"""Where the private key and the decrypted answers go: the kiosk-facing server never touches the
key (nor the workplace's folder), and a workplace session of opening, answering, printing and
exporting leaves no decrypted answer on the town hall's disk."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import warnings

import pytest
from argon2 import PasswordHasher

from kiosk.config import KioskConfig, save_config
from kiosk.runtime import open_runtime
from sync.embedded import start_embedded_server
from sync.server import create_app as create_server_app
from sync.workplace import WorkplaceConfig, create_app, open_accounts

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

CHEAP = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
TYPED = {
    "topic": "strassen",
    "message": "Quergraben Zwölfling: Brückengeländer Xylophon locker.",
    "name": "Waltraud Zschiesche-Pfeilsticker",
    "wants_reply": False,
}
SECRETS = ("Zschiesche-Pfeilsticker", "Xylophon", "Quergraben")

SERVER_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    townhall_dir, kiosk_dir = Path(sys.argv[1]), Path(sys.argv[2])
    opened = []
    def audit(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            opened.append(str(args[0]))
        elif event == "sqlite3.connect" and args:
            opened.append(str(args[0]))
    from kiosk.config import KioskConfig, save_config
    from kiosk.runtime import open_runtime
    from sync.embedded import start_embedded_server
    from sync.server import create_app
    sys.addaudithook(audit)  # from here on: the server starting, receiving and answering
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url))
        with open_runtime(kiosk_dir) as runtime:
            runtime.submit(runtime.form("nachricht"), json.loads(sys.argv[3]))
            report = runtime.sync_now(lang="de")
            assert report.error is None and report.sent == 1, report
            report = runtime.sync_now(lang="de")
            assert report.error is None, report
    print(json.dumps(opened))
    """
)


@pytest.mark.slow
def test_the_kiosk_facing_server_never_opens_the_private_key_or_the_workplace_folder(enrol, tmp_path):
    kiosk_dir, townhall_dir = enrol("kirche-luederitz")
    with open_accounts(townhall_dir, hasher=CHEAP):  # the workplace has been used here
        pass
    result = subprocess.run(
        [sys.executable, "-c", SERVER_SCRIPT, str(townhall_dir), str(kiosk_dir), json.dumps(TYPED)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    opened = json.loads(result.stdout.strip().splitlines()[-1])
    assert any(path.endswith("townhall.db") for path in opened)  # the hook saw the server at work
    assert any(path.endswith("townhall-signing.key") for path in opened)
    workplace_folder = str(townhall_dir / "staff")
    touched = [p for p in opened if "encryption.key" in p or "previous-encryption" in p or p.startswith(workplace_folder)]
    assert touched == []


@pytest.mark.slow
def test_a_workplace_session_writes_no_decrypted_answer_to_disk(enrol, tmp_path, monkeypatch):
    kiosk_dir, townhall_dir = enrol("kirche-luederitz")
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))  # any temporary file lands where we look
    with open_accounts(townhall_dir, hasher=CHEAP) as accounts:
        accounts.add_user("erika", "Lindenweg-7-Tangerhuette", role="clerk")
    with start_embedded_server(create_server_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url))
        with open_runtime(kiosk_dir) as runtime:
            code = runtime.submit(runtime.form("nachricht"), TYPED).reference
            assert runtime.sync_now(lang="de").sent == 1

    with TestClient(create_app(WorkplaceConfig(townhall_dir, hasher=CHEAP)), follow_redirects=False) as client:
        client.get("/login")
        csrf = client.cookies["rk_csrf"]
        client.post("/login", data={"username": "erika", "password": "Lindenweg-7-Tangerhuette", "csrf_token": csrf})
        page = client.get(f"/applications/{code}?kiosk=kirche-luederitz")
        assert SECRETS[0] in page.text  # it was opened and shown
        url = f"/applications/{code}/status?kiosk=kirche-luederitz"
        client.post(url, data={"csrf_token": csrf, "status": "in_progress", "message": "", "action": "preview"})
        client.post(url, data={"csrf_token": csrf, "status": "in_progress", "message": "", "action": "save"})
        pdf = client.get(f"/applications/{code}/pdf?kiosk=kirche-luederitz")
        assert pdf.headers["content-type"] == "application/pdf"
        export = client.get("/export", params={"service": "nachricht", "format": "csv"})
        assert SECRETS[0] in export.content.decode("utf-8-sig")  # the clerk's download has it ...
        client.get("/inbox?filter=all")
        client.get("/access-log")

    # ... and nothing on the town hall's disk does: not the databases, their WAL, logs or temp files.
    written = [p for folder in (townhall_dir, spool) for p in folder.rglob("*") if p.is_file()]
    assert any(p.name == "staff.db" for p in written)
    for path in written:
        data = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode("utf-8") not in data, f"{secret} found in {path}"
