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


def test_a_pipelined_header_block_that_goes_on_in_later_reads_is_counted_whole(town):
    """Part of the second request's headers waits in the buffer, the rest comes later: the part
    that waited counts too."""
    import time

    from sync.server.serving import MAX_HEADER_BYTES

    townhall_dir, _kiosk, _townhall = town
    first = b"GET /v1/health HTTP/1.1\r\nHost: townhall\r\n\r\n"
    second = _health_with_headers(MAX_HEADER_BYTES * 3 // 2 // 1020, 1000)  # about 24 KiB
    with serving(townhall_dir) as port:
        conn = _open(port, first + second[:12_000])
        time.sleep(0.5)  # the first is answered; the second's start waits in the buffer
        try:
            conn.sendall(second[12_000:])
        except (BrokenPipeError, ConnectionResetError):
            pass
        _closed, received = _closed_by_server(conn, 5.0)
        conn.close()
    assert _statuses(received) == [200, 431], received[:400]


def _large_batch(kiosk, townhall, count: int = 40) -> bytes:
    from kiosk.refcode import new_reference
    from sync.envelope import ItemMeta, build_batch, seal_item

    items = [
        seal_item(
            ItemMeta("nachricht", "1", "a" * 64, kiosk.kiosk_id, new_reference(), "2026-03-02T09:15:00Z"),
            {"name": "Erika", "message": f"Bitte um Rückruf {n} " * 20},
            townhall.public.encryption,
        )
        for n in range(count)
    ]
    return build_batch(
        items, kiosk_id=kiosk.kiosk_id, sequence=1, signing_key=kiosk.signing,
        recipient_key_id=townhall.public.encryption_key_id,
    )


def test_a_batch_whose_blank_line_is_split_between_two_reads_is_taken_in(town):
    """A slow link may cut the packet between the last header's CR LF CR and LF; the body that
    follows in the same read is no header and must not be counted as one (that answered a real
    kiosk's batch of more than 16 KiB with 431)."""
    import time

    from sync.server.serving import MAX_HEADER_BYTES
    from tests.functional.test_server_slow_clients import _post_head

    townhall_dir, kiosk, townhall = town
    body = _large_batch(kiosk, townhall)
    assert len(body) > MAX_HEADER_BYTES
    head = _post_head(len(body))
    with serving(townhall_dir) as port:
        for cut in (1, 2, 3):  # CR LF CR | LF, CR LF | CR LF, CR | LF CR LF
            conn = _open(port, head[:-cut])
            time.sleep(0.3)  # a separate read on the server
            conn.sendall(head[-cut:] + body)
            _closed, received = _closed_by_server(conn, 5.0)
            conn.close()
            assert _statuses(received) == [200], (cut, received[:300])
