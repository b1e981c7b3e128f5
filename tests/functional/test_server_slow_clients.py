"""Strangers cannot hold the town-hall server: a body held open one byte short, headers or a body
trickled a byte at a time, and many such connections at once are all closed after a bounded
time, while the server keeps answering health checks and another kiosk's batch goes through.
A real uvicorn server on 127.0.0.1, with the production protocol and short test deadlines."""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, build_batch, seal_item, verify_ack
from sync.envelope.acks import batch_digest
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from sync.server.app import create_app
from sync.server.serving import server_config

pytestmark = pytest.mark.slow

IDLE, DEADLINE, HEADERS = 1.0, 3.0, 2.0
BOUND = DEADLINE + 4.0  # every held connection must be gone by then (a loaded machine is slow)


@pytest.fixture
def town(tmp_path):
    townhall_dir = tmp_path / "townhall"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(tmp_path / "kiosk", kiosk_id="kiosk-b", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(tmp_path / "kiosk", "kiosk-b"))
    return townhall_dir, load_kiosk_keys(tmp_path / "kiosk"), load_townhall_keys(townhall_dir, need_encryption=False)


@contextmanager
def serving(townhall_dir, **limits):
    app = create_app(townhall_dir, body_idle_timeout=IDLE, body_deadline=DEADLINE)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", header_timeout=HEADERS, **limits
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive()


def _batch(kiosk, townhall) -> bytes:
    meta = ItemMeta("hausnummer", "1", "a" * 64, kiosk.kiosk_id, "7KQM2X9TD", "2026-03-02T09:15:00Z")
    return build_batch(
        [seal_item(meta, {"name": "Erika"}, townhall.public.encryption)],
        kiosk_id=kiosk.kiosk_id,
        sequence=1,
        signing_key=kiosk.signing,
        recipient_key_id=townhall.public.encryption_key_id,
    )


def _open(port: int, first: bytes = b"") -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    if first:
        conn.sendall(first)
    return conn


def _closed_by_server(conn: socket.socket, within: float) -> tuple[bool, bytes]:
    """Read until the server closes the connection (True) or ``within`` seconds pass (False)."""
    received = b""
    stop = time.monotonic() + within
    while time.monotonic() < stop:
        conn.settimeout(max(0.05, stop - time.monotonic()))
        try:
            data = conn.recv(4096)
        except socket.timeout:
            break
        except ConnectionResetError:
            return True, received
        if not data:
            return True, received
        received += data
    return False, received


def _post_head(length: int) -> bytes:
    return (
        f"POST /v1/batches HTTP/1.1\r\nHost: townhall\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode("ascii")


def test_a_body_held_open_one_byte_short_is_closed_in_bounded_time_while_others_are_served(town):
    townhall_dir, kiosk, townhall = town
    data = _batch(kiosk, townhall)
    with serving(townhall_dir) as port:
        held = _open(port, _post_head(len(data)) + data[:-1])
        started = time.monotonic()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            assert http.get("/v1/health").json() == {"ok": True}  # served while the body is held
            closed, answer = _closed_by_server(held, BOUND)
            took = time.monotonic() - started
            accepted = http.post("/v1/batches", content=data)  # the complete batch still goes in
        held.close()
    assert closed and IDLE * 0.8 <= took <= BOUND, took
    assert answer.startswith(b"HTTP/1.1 408") and b'"error":"timeout"' in answer
    assert accepted.status_code == 200


def test_a_body_trickled_a_byte_at_a_time_ends_at_the_whole_request_deadline(town):
    townhall_dir, kiosk, townhall = town
    data = _batch(kiosk, townhall)
    with serving(townhall_dir) as port:
        trickler = _open(port, _post_head(len(data)))
        started, closed = time.monotonic(), False
        for position in range(len(data)):  # bounded: never more bytes than the body has
            if time.monotonic() - started > BOUND:
                break
            try:
                trickler.sendall(data[position : position + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            closed, _answer = _closed_by_server(trickler, IDLE / 2)
            if closed:
                break
        trickler.close()
    assert closed and DEADLINE * 0.8 <= time.monotonic() - started <= BOUND


def test_headers_trickled_or_never_sent_are_closed_after_the_header_deadline(town):
    townhall_dir, _kiosk, _townhall = town
    with serving(townhall_dir) as port:
        silent = _open(port)
        partial = _open(port, b"POST /v1/batches HTTP/1.1\r\nHost: town")
        started = time.monotonic()
        results = [_closed_by_server(conn, BOUND) for conn in (silent, partial)]
        took = time.monotonic() - started
        silent.close()
        partial.close()
    assert all(closed for closed, _ in results) and took <= HEADERS + 2.0


def test_sixty_slow_connections_do_not_keep_another_kiosk_out(town, caplog):
    townhall_dir, kiosk, townhall = town
    data = _batch(kiosk, townhall)
    with serving(townhall_dir) as port, caplog.at_level(logging.INFO, logger="rathaus"):
        slow = []
        for n in range(60):
            if n % 3 == 0:
                slow.append(_open(port))  # never says anything
            elif n % 3 == 1:
                slow.append(_open(port, b"POST /v1/batches HTTP/1.1\r\nHo"))  # headers trickling
            else:
                slow.append(_open(port, _post_head(len(data)) + data[:10]))  # body trickling
        stop = threading.Event()

        def trickle():
            for _round in range(int(BOUND / 0.2)):  # bounded
                if stop.wait(0.2):
                    return
                for conn in slow:
                    try:
                        conn.send(b"s")
                    except OSError:
                        pass

        worker = threading.Thread(target=trickle, daemon=True)
        worker.start()
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
                health = http.get("/v1/health")
                accepted = http.post("/v1/batches", content=data)
            # and every slow one is closed by the server within the bound
            ended = time.monotonic() + BOUND
            still_open = list(slow)
            while still_open and time.monotonic() < ended:
                still_open = [c for c in still_open if not _closed_by_server(c, 0.1)[0]]
        finally:
            stop.set()
            worker.join(5)
            for conn in slow:
                conn.close()
    assert health.json() == {"ok": True}
    assert accepted.status_code == 200
    ack = verify_ack(accepted.content, townhall.signing_public, batch_id=ack_id(data), kiosk_id="kiosk-b",
                     batch_digest=batch_digest(data))
    assert ack.refused == ()
    assert still_open == []
    assert len(caplog.records) < 60  # no line per connection beyond the deadline notices


def test_over_the_connection_cap_the_longest_silent_connection_makes_room_and_logs_stay_short(town, caplog):
    townhall_dir, _kiosk, _townhall = town
    with caplog.at_level(logging.WARNING, logger="rathaus"), serving(townhall_dir, max_connections=10) as port:
        idle = [_open(port) for _ in range(40)]
        time.sleep(0.3)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            health = http.get("/v1/health")
        closed = sum(_closed_by_server(conn, 0.2)[0] for conn in idle)
        for conn in idle:
            conn.close()
    assert health.json() == {"ok": True}
    assert closed >= 30  # at most the cap stays open
    lines = [r for r in caplog.records if r.name == "rathaus.server"]
    assert 1 <= len(lines) <= 2, [r.getMessage() for r in lines]


def ack_id(data: bytes) -> str:
    from sync.envelope import parse_batch

    return parse_batch(data).header.batch_id


def test_under_a_64_file_limit_80_idle_connections_neither_stop_health_checks_nor_flood_the_log(town):
    import resource
    import subprocess
    import sys

    townhall_dir = town[0]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def small_file_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "server", "--port", str(port), "--data-dir", str(townhall_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=small_file_limit,
    )
    idle = []
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        for _ in range(80):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(2.5)  # asyncio retries a failed accept every second: give a flood time to show
        health = [httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5) for _ in range(3)]
    finally:
        for conn in idle:
            conn.close()
        process.terminate()
        _out, err = process.communicate(timeout=20)
    assert all(answer.json() == {"ok": True} for answer in health)
    assert "Too many open files" not in err
    assert len(err.splitlines()) < 20, err


def _status_of(port: int, request: bytes) -> int | None:
    """The status code the server answers ``request`` with (``None``: closed without an answer)."""
    conn = _open(port)
    try:
        try:
            conn.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        _closed, received = _closed_by_server(conn, 5.0)
    finally:
        conn.close()
    if not received.startswith(b"HTTP/1.1 "):
        return None
    return int(received[9:12])


def _health_with_headers(count: int, size: int) -> bytes:
    lines = "".join(f"X-Filler-{n:03d}: {'a' * size}\r\n" for n in range(count))
    return f"GET /v1/health HTTP/1.1\r\nHost: townhall\r\n{lines}Connection: close\r\n\r\n".encode("ascii")


def test_the_whole_header_block_is_limited_not_only_each_line(town):
    """Many headers each far under the limit, together over it: refused with 431, whatever the
    pieces the network delivers them in; a request just under the limit is still served."""
    from sync.server.serving import MAX_HEADER_BYTES

    townhall_dir, _kiosk, _townhall = town
    line = 1000
    many = MAX_HEADER_BYTES * 3 // (line + 20)  # about 48 KiB in all, each line under 1 KiB
    with serving(townhall_dir) as port:
        assert _status_of(port, _health_with_headers(4, line)) == 200
        just_under = (MAX_HEADER_BYTES - 200) // (line + 20)
        assert _status_of(port, _health_with_headers(just_under, line)) == 200
        assert _status_of(port, _health_with_headers(many, line)) == 431
        assert _status_of(port, _health_with_headers(just_under + 2, line)) == 431
        # three lines each just under what h11 holds of one incomplete line, 45 KiB together
        assert _status_of(port, _health_with_headers(3, MAX_HEADER_BYTES - 1024)) == 431
        # sent in small pieces, as a slow link delivers them
        conn = _open(port)
        request = _health_with_headers(many, line)
        try:
            for start in range(0, len(request), 1500):
                conn.sendall(request[start : start + 1500])
        except (BrokenPipeError, ConnectionResetError):
            pass
        _closed, received = _closed_by_server(conn, 5.0)
        conn.close()
        assert received.startswith(b"HTTP/1.1 431")
        assert _status_of(port, _health_with_headers(4, line)) == 200
