"""The header-block limit holds for a request that arrives behind another on the same connection
(pipelined): its headers are not counted as they come in, since the first request is still being
answered, so they are counted when the server turns to them."""

from __future__ import annotations

import pytest

from tests.functional.test_server_slow_clients import (  # noqa: F401  (fixture)
    _closed_by_server,
    _health_with_headers,
    _open,
    serving,
    town,
)

pytestmark = pytest.mark.slow


def _statuses(received: bytes) -> list[int]:
    return [int(part[:3]) for part in received.split(b"HTTP/1.1 ")[1:] if part[:3].isdigit()]


def test_a_pipelined_request_with_too_large_a_header_block_is_refused(town):
    from sync.server.serving import MAX_HEADER_BYTES

    townhall_dir, _kiosk, _townhall = town
    first = b"GET /v1/health HTTP/1.1\r\nHost: townhall\r\n\r\n"
    line = 1000
    second = _health_with_headers(MAX_HEADER_BYTES * 3 // (line + 20), line)  # about 48 KiB, each line short
    with serving(townhall_dir) as port:
        conn = _open(port)
        try:
            conn.sendall(first + second)
        except (BrokenPipeError, ConnectionResetError):
            pass
        _closed, received = _closed_by_server(conn, 5.0)
        conn.close()
        # a small pipelined request behind the first is still answered
        conn = _open(port)
        conn.sendall(first + _health_with_headers(4, 100))
        _closed, small = _closed_by_server(conn, 5.0)
        conn.close()
    assert _statuses(received) == [200, 431], received[:400]
    assert _statuses(small) == [200, 200], small[:400]
