"""Many towns on one district server and one PostgreSQL database: every attempt to cross from one
town into another is refused, and each town's staff see only their own town's applications."""

from __future__ import annotations

import secrets

import httpx
import pytest

from kiosk.errors import RathausError, StoreError
from kiosk.refcode import new_reference
from sync.allowlist import Allowlist
from sync.embedded import start_embedded_server
from sync.envelope import ItemMeta, build_batch, seal_item, verify_ack
from sync.envelope.downloads import build_download_request
from sync.envelope.status import build_status_request, verify_status_bundle
from sync.envelope.uploads import build_upload_ticket
from sync.inbox import Inbox
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from sync.server.database import DATABASE_ENV, TOWN_ENV
from sync.server.district import create_district_app
from sync.server.storage import open_storage

pytestmark = pytest.mark.slow

REFERENCE = new_reference()
BATCH_ID = "ab" * 16
OCTETS = {"Content-Type": "application/octet-stream"}


def _set_up_town(towns_dir, town: str, url: str, kiosk_ids: tuple[str, ...]) -> dict:
    town_dir = towns_dir / town
    init_townhall(town_dir, name=f"Gemeinde {town}")
    (town_dir / "server.toml").write_text(f'database = "{url}"\ntown = "{town}"\n', encoding="utf-8")
    kiosks = {}
    for kiosk_id in kiosk_ids:
        kiosk_dir = towns_dir / f"{town}-{kiosk_id}"
        init_kiosk(kiosk_dir, kiosk_id=kiosk_id, townhall_public=townhall_public_keys_path(town_dir))
        Allowlist(town_dir).approve(enrolment_request_path(kiosk_dir, kiosk_id))
        kiosks[kiosk_id] = load_kiosk_keys(kiosk_dir)
    return {"dir": town_dir, "town": town, "keys": load_townhall_keys(town_dir), "kiosks": kiosks}


@pytest.fixture
def district(postgres_url, tmp_path, monkeypatch):
    """Towns A and B; each has its own "kiosk-1" (other keys), A also has "kiosk-2"."""
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    monkeypatch.delenv(TOWN_ENV, raising=False)
    towns_dir = tmp_path / "towns"
    towns_dir.mkdir()
    suffix = secrets.token_hex(4)
    a = _set_up_town(towns_dir, f"a-{suffix}", postgres_url, ("kiosk-1", "kiosk-2"))
    b = _set_up_town(towns_dir, f"b-{suffix}", postgres_url, ("kiosk-1",))
    with start_embedded_server(create_district_app(towns_dir)) as server:
        with httpx.Client(base_url=server.url, timeout=20) as client:
            yield client, a, b


def _batch(kiosk, sealed_for, *, reference: str = REFERENCE, message: str = "Hallo") -> bytes:
    item = seal_item(
        ItemMeta("nachricht", "1", "sha256:" + "0" * 64, kiosk.kiosk_id, reference, "2026-03-02T09:15:00Z"),
        {"message": message},
        sealed_for.public.encryption,
    )
    return build_batch(
        [item], kiosk_id=kiosk.kiosk_id, sequence=1, signing_key=kiosk.signing,
        recipient_key_id=sealed_for.public.encryption_key_id, batch_id=BATCH_ID,
    )


def _at(town: dict, path: str) -> str:
    return f"/towns/{town['town']}{path}"


def _held(town: dict) -> int:
    with open_storage(town["dir"]) as storage:
        return storage.counts().items


def test_a_kiosk_of_one_town_is_a_stranger_to_every_other_town(district):
    client, a, b = district
    only_in_a = a["kiosks"]["kiosk-2"]
    same_id_other_key = a["kiosks"]["kiosk-1"]  # B has a kiosk-1 too, with its own key
    for kiosk in (only_in_a, same_id_other_key):
        for sealed_for in (a["keys"], b["keys"]):
            answer = client.post(_at(b, "/v1/batches"), content=_batch(kiosk, sealed_for), headers=OCTETS)
            assert (answer.status_code, answer.json()["error"]) == (403, "refused")
        status = build_status_request(kiosk_id=kiosk.kiosk_id, since_serial=0, signing_key=kiosk.signing)
        answer = client.post(_at(b, "/v1/status"), content=status, headers=OCTETS)
        assert (answer.status_code, answer.json()["error"]) == (403, "refused")
        downloads = build_download_request(kiosk_id=kiosk.kiosk_id, channels={"status": 0}, signing_key=kiosk.signing)
        answer = client.post(_at(b, "/v1/downloads"), content=downloads, headers=OCTETS)
        assert (answer.status_code, answer.json()["error"]) == (403, "refused")
        ticket = build_upload_ticket(
            kiosk_id=kiosk.kiosk_id, batch_id=BATCH_ID, batch_digest="0" * 64, length=20_000, signing_key=kiosk.signing
        )
        answer = client.post(_at(b, "/v1/uploads"), content=ticket, headers=OCTETS)
        assert answer.status_code == 403
    assert _held(a) == 0 and _held(b) == 0


def test_a_batch_sealed_for_another_towns_key_is_refused_by_the_kiosks_own_town(district):
    client, a, b = district
    kiosk = a["kiosks"]["kiosk-1"]

    answer = client.post(_at(a, "/v1/batches"), content=_batch(kiosk, b["keys"]), headers=OCTETS)

    assert (answer.status_code, answer.json()["error"]) == (400, "wrong_recipient")
    assert _held(a) == 0 and _held(b) == 0


def test_the_same_receipt_code_and_batch_id_in_two_towns_are_two_applications_each_in_its_own_inbox(district):
    client, a, b = district
    kiosk_a, kiosk_b = a["kiosks"]["kiosk-1"], b["kiosks"]["kiosk-1"]
    for town, kiosk, message in ((a, kiosk_a, "aus A"), (b, kiosk_b, "aus B")):
        answer = client.post(
            _at(town, "/v1/batches"), content=_batch(kiosk, town["keys"], message=message), headers=OCTETS
        )
        assert answer.status_code == 200, answer.text
        ack = verify_ack(answer.content, town["keys"].signing_public, batch_id=BATCH_ID, kiosk_id="kiosk-1")
        assert ack.refused == ()  # no reference_conflict: the other town's item is not "held" here

    with Inbox(a["dir"]) as inbox_a, Inbox(b["dir"]) as inbox_b:
        assert [e.code for e in inbox_a.list("all")] == [REFERENCE]
        assert [e.code for e in inbox_b.list("all")] == [REFERENCE]
        assert "aus A" in str(inbox_a.open(REFERENCE).answers)
        assert "aus B" in str(inbox_b.open(REFERENCE).answers)
        inbox_b.set_status(REFERENCE, "accepted", "Kommen Sie vorbei.")
        assert inbox_a.history(REFERENCE) == []

    # Town B's answer reaches B's kiosk-1 only, never A's kiosk of the same name.
    request = build_status_request(kiosk_id="kiosk-1", since_serial=0, signing_key=kiosk_a.signing)
    answer = client.post(_at(a, "/v1/status"), content=request, headers=OCTETS)
    assert verify_status_bundle(answer.content, a["keys"].signing_public, kiosk_id="kiosk-1") == []
    request = build_status_request(kiosk_id="kiosk-1", since_serial=0, signing_key=kiosk_b.signing)
    answer = client.post(_at(b, "/v1/status"), content=request, headers=OCTETS)
    updates = verify_status_bundle(answer.content, b["keys"].signing_public, kiosk_id="kiosk-1")
    assert [(u.reference, u.status) for u in updates] == [(REFERENCE, "accepted")]


def test_one_towns_staff_cannot_open_another_towns_application_even_from_the_shared_database(district):
    """Each town's items are sealed for its own key: a town's inbox neither lists another town's
    items nor could open them (a different private key)."""
    client, a, b = district
    answer = client.post(_at(b, "/v1/batches"), content=_batch(b["kiosks"]["kiosk-1"], b["keys"]), headers=OCTETS)
    assert answer.status_code == 200

    with Inbox(a["dir"]) as inbox_a:
        assert inbox_a.list("all") == []
        with pytest.raises(RathausError, match="ist nicht eingegangen"):
            inbox_a.open(REFERENCE)
    assert _held(b) == 1 and _held(a) == 0


def test_the_district_says_it_is_alive_and_ready_and_knows_no_town_it_does_not_serve(district):
    client, a, _b = district
    assert client.get("/v1/health").json() == {"ok": True}
    assert client.get("/v1/ready").json() == {"ready": True}
    assert client.get(_at(a, "/v1/ready")).json() == {"ready": True}
    assert client.post("/towns/nowhere/v1/batches", content=b"x", headers=OCTETS).status_code == 404


def test_rathaus_server_towns_serves_each_town_from_two_workers(postgres_url, tmp_path, monkeypatch):
    """The command IT runs (deploy/server/rathaus-district.service), as a real process."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    monkeypatch.delenv(DATABASE_ENV, raising=False)
    towns_dir = tmp_path / "towns"
    towns_dir.mkdir()
    suffix = secrets.token_hex(4)
    a = _set_up_town(towns_dir, f"a-{suffix}", postgres_url, ("kiosk-1",))
    b = _set_up_town(towns_dir, f"b-{suffix}", postgres_url, ("kiosk-1",))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "server", "--towns", str(towns_dir), "--workers", "2", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if k != DATABASE_ENV},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"{base}/v1/ready", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                time.sleep(0.1)
        assert ready.json() == {"ready": True}
        for town in (a, b):
            answer = httpx.post(
                base + _at(town, "/v1/batches"), content=_batch(town["kiosks"]["kiosk-1"], town["keys"]), headers=OCTETS
            )
            assert answer.status_code == 200, answer.text
        stranger = httpx.post(base + _at(b, "/v1/batches"), content=_batch(a["kiosks"]["kiosk-1"], b["keys"]), headers=OCTETS)
        assert stranger.status_code == 403
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert _held(a) == 1 and _held(b) == 1


def test_a_towns_staff_role_sees_and_answers_only_its_own_town_whatever_it_asks(district, postgres_url, monkeypatch):
    """Row-level security (deploy/server/roles.sql): even a staff machine taken over, asking for
    another town by name, gets nothing of it."""
    from pathlib import Path

    import psycopg

    from sync.server.pg_storage import PostgresStorage

    client, a, b = district
    for town in (a, b):
        answer = client.post(_at(town, "/v1/batches"), content=_batch(town["kiosks"]["kiosk-1"], town["keys"]), headers=OCTETS)
        assert answer.status_code == 200
    staff_role = "staff_" + a["town"].replace("-", "_")
    roles_sql = Path(__file__).resolve().parents[2] / "deploy" / "server" / "roles.sql"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(roles_sql.read_text(encoding="utf-8"))
        admin.execute(f"CREATE ROLE {staff_role} LOGIN IN ROLE rathaus_staff")
    staff_url = postgres_url.replace("postgresql://postgres@", f"postgresql://{staff_role}@")

    own, other = PostgresStorage(staff_url, town=a["town"]), PostgresStorage(staff_url, town=b["town"])
    assert [i.reference for i in own.items()] == [REFERENCE]
    assert other.items() == [] and other.item(REFERENCE) is None and other.counts().items == 0
    with pytest.raises(KeyError):
        other.add_status(REFERENCE, "rejected", "", "2026-03-03T08:00:00Z")
    own.add_status(REFERENCE, "accepted", "", "2026-03-03T08:00:00Z")
    # The staff workplace's own records: damage marks, paper applications, the kiosks' last contact.
    own.mark_damaged(("kiosk-1", REFERENCE), "tampered", "2026-03-03T08:05:00Z")
    other.mark_damaged(("kiosk-1", REFERENCE), "tampered", "2026-03-03T08:05:00Z")  # finds no row of B
    paper = own.record_paper_item("PAPIER001", "nachricht", "1", "", "2026-03-03T09:00:00Z")
    assert own.item("PAPIER001") == paper and own.item(REFERENCE).damaged == "tampered"
    assert set(own.kiosk_contacts()) == {"kiosk-1"} and other.kiosk_contacts() == {}
    with psycopg.connect(staff_url, autocommit=True) as db:
        assert db.execute("SELECT DISTINCT town FROM items").fetchall() == [(a["town"],)]
        assert db.execute("SELECT DISTINCT town FROM kiosk_approvals").fetchall() == [(a["town"],)]
        assert db.execute("SELECT DISTINCT town FROM kiosk_contacts").fetchall() == [(a["town"],)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("DELETE FROM items")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # no application as if a kiosk sent it
            db.execute(
                "INSERT INTO items (town, reference, digest, batch_id, kiosk_id, form_id, form_hash, "
                "captured_at, received_at, sealed) VALUES (%s, 'FALSCH001', 'x', %s, 'kiosk-1', 'nachricht', "
                "'', '', '', '')",
                [a["town"], BATCH_ID],
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor a paper one in another town
            PostgresStorage(staff_url, town=b["town"]).record_paper_item("PAPIER002", "nachricht", "1", "", "2026-03-03T09:00:00Z")
    monkeypatch.setenv(DATABASE_ENV, staff_url)  # town B's inbox, run with town A's role
    with Inbox(b["dir"]) as inbox_b:
        assert inbox_b.list("all") == []
    with pytest.raises(StoreError, match="darf hier nur die IT"):  # the workplace shows this, not a crash
        Allowlist(a["dir"]).revoke("kiosk-1", "gestohlen")
    monkeypatch.delenv(DATABASE_ENV)
    with open_storage(b["dir"]) as storage_b:
        assert storage_b.counts().items == 1 and storage_b.counts().status_updates == 0  # never answered by A
        assert storage_b.item(REFERENCE).damaged is None and storage_b.item("PAPIER002") is None


def test_a_towns_staff_workplace_shows_only_its_own_applications_and_kiosks(district):
    """The staff workplace of town A reads the shared database through A's storage: B's
    application is not found by its code, and B's "kiosk-1" reporting in does not make A's look
    alive. Each town's accounts stay in its own folder."""
    import warnings

    from argon2 import PasswordHasher

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from sync.workplace import WorkplaceConfig, create_app
    from sync.workplace.accounts import open_accounts

    client, a, b = district
    answer = client.post(_at(b, "/v1/batches"), content=_batch(b["kiosks"]["kiosk-1"], b["keys"]), headers=OCTETS)
    assert answer.status_code == 200
    cheap = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with open_accounts(a["dir"], hasher=cheap) as accounts:
        accounts.add_user("erika", "Lindenweg-7-Tangerhuette", role="clerk", display_name="Erika")
        accounts.add_user("ingo", "Lindenweg-7-Tangerhuette", role="it", display_name="Ingo")
    assert (a["dir"] / "staff" / "staff.db").exists() and not (b["dir"] / "staff").exists()

    def log_in(staff: TestClient, username: str) -> None:
        staff.get("/login")
        staff.post("/login", data={"username": username, "password": "Lindenweg-7-Tangerhuette",
                                   "csrf_token": staff.cookies["rk_csrf"], "next": "/inbox"})

    with TestClient(create_app(WorkplaceConfig(a["dir"], hasher=cheap)), follow_redirects=False) as clerk:
        log_in(clerk, "erika")
        found = clerk.get("/inbox", params={"code": REFERENCE})
        assert found.status_code == 200 and 'class="problem"' in found.text  # B's code: not one of A's
    with TestClient(create_app(WorkplaceConfig(a["dir"], hasher=cheap)), follow_redirects=False) as it:
        log_in(it, "ingo")
        kiosks = it.get("/kiosks").text
        assert "kiosk-1" in kiosks and "kiosk-2" in kiosks
        assert kiosks.count("meldet sich nicht") == 2  # neither of A's kiosks was ever heard from
    with open_storage(b["dir"]) as storage_b:
        assert set(storage_b.kiosk_contacts()) == {"kiosk-1"}


def test_each_town_sends_its_kiosks_the_warnings_of_its_own_folder_only(district):
    """The warnings channel in a district: town A's import reaches A's kiosks; town B, whose
    folder holds a record that cannot be read, sends none, and its kiosks still get their status."""
    import datetime as dt

    from sync.envelope.downloads import verify_download
    from sync.warnings.config import load_warnings_config
    from sync.warnings.importer import run_import
    from tests.functional.test_warnings_end_to_end import current_storm

    client, a, b = district
    for town in (a, b):
        (town["dir"] / "warnings.toml").write_text('areas = ["15090535"]\n', encoding="utf-8")
    incoming = a["dir"] / "warnings" / "incoming"
    incoming.mkdir(parents=True)
    (incoming / "storm.xml").write_bytes(current_storm(dt.datetime.now(dt.timezone.utc)))
    assert run_import(load_warnings_config(a["dir"])).new == 1
    (b["dir"] / "warnings").mkdir()
    (b["dir"] / "warnings" / "warnings.db").write_bytes(b"not a database" * 100)  # unreadable to the server

    def warnings_of(town: dict) -> tuple:
        kiosk = town["kiosks"]["kiosk-1"]
        request = build_download_request(
            kiosk_id="kiosk-1", channels={"status": 0, "warnings": 0}, signing_key=kiosk.signing
        )
        answer = client.post(_at(town, "/v1/downloads"), content=request, headers=OCTETS)
        assert answer.status_code == 200, answer.text
        download = verify_download(answer.content, town["keys"].signing_public, kiosk_id="kiosk-1")
        assert "status" in download.parts
        part = download.parts["warnings"]
        return part.version, [text.headline for entry in part.entries for text in entry.texts if text.language.startswith("de")]

    version, headlines = warnings_of(a)
    assert version > 0 and headlines == ["Amtliche UNWETTERWARNUNG vor ORKANARTIGEN BÖEN"]
    assert warnings_of(b) == (0, [])


def test_each_log_line_of_a_towns_request_names_the_town_so_kiosks_of_the_same_name_are_told_apart(district):
    import io
    import json
    import logging

    from sync.server.jsonlog import JsonLineFormatter

    client, a, b = district
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger("rathaus")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        stored = client.post(_at(a, "/v1/batches"), content=_batch(a["kiosks"]["kiosk-1"], a["keys"]), headers=OCTETS)
        refused = client.post(_at(b, "/v1/batches"), content=_batch(a["kiosks"]["kiosk-2"], b["keys"]), headers=OCTETS)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    assert (stored.status_code, refused.status_code) == (200, 403)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    intake = [(e.get("town"), e["message"]) for e in entries if e["logger"] == "rathaus.intake"]
    assert (a["town"], f"batch {BATCH_ID} from kiosk kiosk-1: 1 items, stored") in intake
    assert any(town == b["town"] and "kiosk-2" in message and "refused" in message for town, message in intake)
    assert all(town in (a["town"], b["town"]) for town, _message in intake)
