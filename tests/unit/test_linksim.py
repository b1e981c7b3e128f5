"""The link simulator shapes, delays, cuts and counts as its profile says, on loopback only."""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.linksim import EDGE, PRESETS, RURAL3G, WINDOW, LinkProfile, LinkSimulator, drop_after, kbit


async def _echo_server() -> tuple[asyncio.base_events.Server, int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _through(profile: LinkProfile, payload: bytes, *, seed: int = 0):
    """Send ``payload`` through the link to an echo server; (echoed bytes, seconds, stats)."""
    server, port = await _echo_server()
    link = LinkSimulator(profile, upstream_port=port, seed=seed)
    await link.start()
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", link.port)
    writer.write(payload)
    await writer.drain()
    received = bytearray()
    try:
        while len(received) < len(payload):
            data = await asyncio.wait_for(reader.read(65536), timeout=10)
            if not data:
                break
            received += data
    except ConnectionError:
        pass
    elapsed = time.monotonic() - started
    writer.close()
    await link.stop()
    server.close()
    return bytes(received), elapsed, link.stats


def test_presets_are_the_rural_links_of_the_issue():
    assert EDGE.up_bytes_per_second == kbit(50) and EDGE.rtt == 0.4 and EDGE.drop_every == (15.0, 45.0)
    assert RURAL3G.up_bytes_per_second == kbit(400) and RURAL3G.rtt == 0.15 and RURAL3G.drop_every is None
    assert WINDOW.window == (20.0, 60.0)
    assert set(PRESETS) == {"edge", "rural3g", "window"}


def test_scaling_keeps_the_bytes_between_two_drops():
    fast = EDGE.scaled(0.05)
    assert fast.drop_every == pytest.approx((0.75, 2.25))
    assert fast.rtt == pytest.approx(0.02)
    assert fast.up_bytes_per_second * fast.drop_every[0] == pytest.approx(EDGE.up_bytes_per_second * EDGE.drop_every[0])


def test_bandwidth_and_delay_slow_the_bytes_down_and_both_directions_are_counted():
    payload = bytes(range(256)) * 160  # 40 KiB
    profile = LinkProfile("slow", up_bytes_per_second=200_000, down_bytes_per_second=200_000, rtt=0.1)
    echoed, elapsed, stats = asyncio.run(_through(profile, payload))
    assert echoed == payload  # nothing changed, nothing reordered
    assert elapsed >= len(payload) / 200_000 + 0.1  # at least one way's transmission plus a round trip
    assert stats.bytes_up == len(payload) and stats.bytes_down == len(payload)
    assert stats.connections == 1 and stats.drops == 0


def test_drop_after_n_bytes_cuts_the_connection_there():
    payload = b"x" * 50_000
    echoed, _elapsed, stats = asyncio.run(_through(drop_after(12_345), payload))
    assert len(echoed) <= 12_345
    assert stats.bytes_up == 12_345 and stats.drops == 1


def test_a_seed_gives_the_same_drop_schedule_every_time():
    one = LinkSimulator(EDGE, upstream_port=9, seed=42).drop_schedule(5)
    two = LinkSimulator(EDGE, upstream_port=9, seed=42).drop_schedule(5)
    other = LinkSimulator(EDGE, upstream_port=9, seed=43).drop_schedule(5)
    assert one == two != other
    assert all(15.0 <= gap <= 45.0 for gap in one)


def test_scheduled_drops_cut_open_connections_and_refuse_during_the_outage():
    profile = LinkProfile("flaky", drop_every=(0.2, 0.2), outage=5.0)

    async def scenario():
        server, port = await _echo_server()
        link = LinkSimulator(profile, upstream_port=port)
        await link.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", link.port)
        writer.write(b"hello")
        assert await reader.read(5) == b"hello"
        cut = await _read_or_reset(reader)  # the drop ends the connection
        late_reader, _late_writer = await asyncio.open_connection("127.0.0.1", link.port)
        refused = await _read_or_reset(late_reader)
        await link.stop()
        server.close()
        return cut, refused, link.stats

    cut, refused, stats = asyncio.run(scenario())
    assert cut == b"" and refused == b""
    assert stats.drops >= 1 and stats.refused >= 1


async def _read_or_reset(reader: asyncio.StreamReader) -> bytes:
    """What a reader gets from a cut connection: an empty read or a reset, both meaning "gone"."""
    try:
        return await asyncio.wait_for(reader.read(10), timeout=5)
    except ConnectionError:
        return b""


def test_only_loopback_is_ever_forwarded_to():
    with pytest.raises(ValueError, match="loopback"):
        LinkSimulator(EDGE, upstream_host="192.0.2.1", upstream_port=80)
