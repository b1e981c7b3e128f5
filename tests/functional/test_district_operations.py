"""What a municipal IT service runs the server by: readiness that follows the database, and logs
as JSON lines with nothing personal in them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from kiosk.errors import StoreError
from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, build_batch, seal_item
from sync.keys import load_kiosk_keys, load_townhall_keys
from sync.server.app import create_app
from sync.server.database import DATABASE_ENV, TOWN_ENV
from sync.server.jsonlog import JsonLineFormatter

pytestmark = pytest.mark.slow

SECRET_ANSWER = "Erika Quimby-Ostermann, Lindenweg 7"


def _batch(kiosk, townhall, reference: str = "7KQM2X9TJ") -> bytes:
    item = seal_item(
        ItemMeta("nachricht", "1", "0" * 64, kiosk.kiosk_id, reference, "2026-03-02T09:15:00Z"),
        {"message": SECRET_ANSWER},
        townhall.public.encryption,
    )
    return build_batch([item], kiosk_id=kiosk.kiosk_id, sequence=1, signing_key=kiosk.signing,
                       recipient_key_id=townhall.public.encryption_key_id)


async def test_readiness_follows_the_database_while_liveness_does_not(enrol, monkeypatch, own_postgres_server):
    """A load balancer stops sending kiosks to a server whose database is gone, without a restart."""
    from sync.server.pg_storage import PostgresStorage

    server = own_postgres_server
    try:
        url = server.create_database("readiness")
        monkeypatch.setenv(DATABASE_ENV, url)
        monkeypatch.setenv(TOWN_ENV, "tangerhuette")
        _kiosk_dir, townhall_dir = enrol("kiosk-a")
        app = create_app(townhall_dir, storage=PostgresStorage(url, town="tangerhuette"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://townhall") as client:
            assert (await client.get("/v1/ready")).json() == {"ready": True}
            server.stop()
            answer = await client.get("/v1/ready")
            assert (answer.status_code, answer.json()) == (503, {"ready": False})
            assert (await client.get("/v1/health")).json() == {"ok": True}
    finally:
        server.stop()
        from sync.server.database import close_pools

        close_pools()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_servers_json_log_lines_hold_no_answer_no_receipt_code_and_no_client_address(enrol, tmp_path):
    kiosk_dir, townhall_dir = enrol("kiosk-a")
    kiosk, townhall = load_kiosk_keys(kiosk_dir), load_townhall_keys(townhall_dir, need_encryption=False)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in (DATABASE_ENV, TOWN_ENV)}
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "server", "--port", str(port), "--log-format", "json",
         "--data-dir", str(townhall_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                time.sleep(0.1)
        octets = {"Content-Type": "application/octet-stream"}
        assert httpx.post(f"{base}/v1/batches", content=_batch(kiosk, townhall), headers=octets).status_code == 200
        Allowlist(townhall_dir).revoke("kiosk-a", "stolen")
        refused = httpx.post(f"{base}/v1/batches", content=_batch(kiosk, townhall, "A1B2C3D4E"), headers=octets)
        assert refused.status_code == 403
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=20)

    lines = [line for line in err.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message", "pid"} <= set(e) for e in entries)
    messages = "\n".join(e["message"] for e in entries)
    assert "from kiosk kiosk-a: 1 items, stored" in messages  # what IT needs is there
    assert "refused (revoked_kiosk)" in messages
    assert any(e["logger"] == "uvicorn.access" and e["message"] == "POST /v1/batches 200" for e in entries)
    for secret in (SECRET_ANSWER, "7KQM2X9TJ", "A1B2C3D4E", "127.0.0.1"):
        assert secret not in err


def test_addresses_in_any_log_message_and_tracebacks_are_left_out():
    import logging

    formatter = JsonLineFormatter()
    try:
        raise ValueError(SECRET_ANSWER)
    except ValueError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1,
                                   "connection from %s and [%s] failed", ("198.51.100.4:5123", "2001:db8::7"),
                                   sys.exc_info())
    entry = json.loads(formatter.format(record))
    assert entry["message"] == "connection from <address> and <address> failed"
    assert entry["exception"] == "ValueError" and SECRET_ANSWER not in json.dumps(entry)
    times = logging.LogRecord("rathaus.server", logging.INFO, __file__, 1, "batch at 09:15:00 from %s", ("kiosk-a",), None)
    assert json.loads(formatter.format(times))["message"] == "batch at 09:15:00 from kiosk-a"


def test_several_workers_do_not_start_against_a_database_that_does_not_answer(enrol, capsys):
    from kiosk.cli import main

    _kiosk_dir, townhall_dir = enrol("kiosk-a")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens there once the probe is closed

    code = main(["server", "--workers", "2", "--port", str(_free_port()), "--data-dir", str(townhall_dir),
                 "--database", f"postgresql://rathaus@127.0.0.1:{closed_port}/rathaus"])

    assert code == 1
    err = capsys.readouterr().err
    assert "nicht erreichbar" in err or "cannot be reached" in err
    assert "Traceback" not in err


def test_workers_that_keep_ending_at_start_stop_the_server_with_a_failure():
    """Not restarted for ever: systemd sees the failure and restarts the service after its pause."""
    from sync.server.workers import serve_with_workers

    def broken_config():
        raise RuntimeError("no database")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        started = time.monotonic()
        assert serve_with_workers(broken_config, sock, 2) == 1
    assert time.monotonic() - started < 15


def test_a_database_that_refuses_the_login_is_said_at_once_with_its_reason(postgres_server, monkeypatch):
    """IT running a command as the wrong system user learns why within a second or so, instead of
    waiting half a minute for 'cannot be reached'."""
    from kiosk.errors import StoreError
    from sync.server.database import pool_for

    url = f"postgresql://nobody_here@127.0.0.1:{postgres_server.port}/postgres"
    started = time.monotonic()
    with pytest.raises(StoreError) as refused:
        pool_for(url)
    assert time.monotonic() - started < 10
    assert str(refused.value) == (
        f'Die Datenbank des Rathauses {url} ist nicht erreichbar: FATAL: role "nobody_here" does not exist'
    )


def test_the_database_pools_complaints_while_the_database_is_gone_are_json_lines_too():
    """A log collector reads one JSON object per line: psycopg's several-line warnings included."""
    import io
    import logging

    from sync.server.jsonlog import JSON_LOGGERS, use_json_lines

    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate,
                    logging.getLogger(name).level) for name in JSON_LOGGERS}
    stream = io.StringIO()
    try:
        use_json_lines(stream)
        logging.getLogger("psycopg.pool").warning(
            "error connecting in 'rathaus': connection is bad: connection to server at \"10.1.2.3\", port 5432 "
            "failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?"
        )
    finally:
        for name, (handlers, propagate, level) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert (entry["level"], entry["logger"]) == ("warning", "psycopg.pool")
    assert "Connection refused" in entry["message"] and "10.1.2.3" not in entry["message"]


def test_after_the_database_was_down_for_a_while_the_server_is_ready_again_within_seconds(own_postgres_server, monkeypatch):
    """A load balancer takes the server back soon after the database is back, not minutes later.

    psycopg's pause between attempts doubles (1, 2, 4 ... s); after a real outage of a few minutes
    it was minutes long. Here time runs four times faster: pauses from 0.25 s, our limit 2.5 s."""
    import psycopg_pool.base

    import sync.server.database as database
    from sync.server.pg_storage import PostgresStorage

    monkeypatch.setattr(psycopg_pool.base.AttemptWithBackoff, "INITIAL_DELAY", 0.25)
    monkeypatch.setattr(database, "RECONNECT_SECONDS", database.RECONNECT_SECONDS / 4)
    server = own_postgres_server
    url = server.create_database("comeback")
    storage = PostgresStorage(url, town="tangerhuette")
    try:
        storage.ping()
        server._stop_only()
        down_until = time.monotonic() + 9  # psycopg's own pause has grown to 8 s by then
        while time.monotonic() < down_until:
            with pytest.raises(StoreError):
                storage.ping()
        server._start(fsync=False)
        back = time.monotonic()
        while True:
            try:
                storage.ping()
                break
            except StoreError:
                assert time.monotonic() - back < 4, "still not ready long after the database came back"
    finally:
        database.close_pools()
