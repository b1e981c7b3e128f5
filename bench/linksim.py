"""A rural link on loopback: a TCP proxy that shapes bandwidth, delay and jitter, stalls and drops.

``LinkSimulator`` listens on 127.0.0.1 and forwards to one server on loopback (anything else is
refused: the simulator never sends traffic off the machine). Both directions share one radio each
way, as a mobile link does: every byte waits its turn at the profile's bandwidth, then arrives
after half the round-trip time plus jitter, in order. On the profile's schedule it cuts every open
connection (a reset, like a link that is gone), refuses new ones during an outage, stalls the link
(nothing moves for a while, connections stay open), or cuts each connection after a fixed number
of bytes from the client. It counts bytes both ways as the client puts them on the link, so bytes
lost in a cut count too.

A run repeats: drop times, stalls and jitter come from ``random.Random`` streams of their own,
seeded from ``seed``, so the drop schedule is the same whatever traffic the link carries. ``LinkProfile``
times are seconds of the simulated link; ``profile.scaled(f)`` multiplies every time by ``f`` and
divides every bandwidth by ``f``, so a link that drops every 7.5–22.5 s carries the same bytes
between drops at ``f = 0.05`` in a twentieth of the time (what tests do to stay quick).

Used by the functional tests (``running_link`` in a thread beside a synchronous client) and by the
benchmark. Presets: ``edge``, ``rural3g``, ``window``; ``drop_after(n)`` for the cut-after-N mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import socket
import threading
from dataclasses import dataclass, field, replace
from typing import Iterator

PACKET = 1400
"""Bytes read and forwarded at a time (about one TCP segment)."""


@dataclass(frozen=True)
class LinkProfile:
    """How the link behaves; ``None`` bandwidth means unlimited, ``None`` schedules mean never."""

    name: str
    up_bytes_per_second: float | None = None
    down_bytes_per_second: float | None = None
    rtt: float = 0.0
    jitter: float = 0.0
    """Each one-way delay varies by up to ± this many seconds (order is kept)."""
    drop_every: tuple[float, float] | None = None
    """Seconds between two drops, drawn uniformly from this range."""
    outage: float = 0.0
    """After a drop, new connections are refused for this long."""
    window: tuple[float, float] | None = None
    """(seconds up, seconds down), repeated from the start: down cuts and refuses everything."""
    stall_every: tuple[float, float] | None = None
    stall_for: float = 0.0
    drop_after_bytes: int | None = None
    """Cut each connection once the client has sent this many bytes over it."""

    def scaled(self, factor: float) -> "LinkProfile":
        """Every time × ``factor``, every bandwidth ÷ ``factor``: the same bytes per drop, faster."""

        def times(pair: tuple[float, float] | None) -> tuple[float, float] | None:
            return None if pair is None else (pair[0] * factor, pair[1] * factor)

        def rate(value: float | None) -> float | None:
            return None if value is None else value / factor

        return replace(
            self,
            name=f"{self.name}×{factor:g}",
            up_bytes_per_second=rate(self.up_bytes_per_second),
            down_bytes_per_second=rate(self.down_bytes_per_second),
            rtt=self.rtt * factor,
            jitter=self.jitter * factor,
            drop_every=times(self.drop_every),
            outage=self.outage * factor,
            window=times(self.window),
            stall_every=times(self.stall_every),
            stall_for=self.stall_for * factor,
        )


def kbit(value: float) -> float:
    """kbit/s as bytes per second."""
    return value * 1000 / 8


EDGE = LinkProfile(
    "edge",
    up_bytes_per_second=kbit(50),
    down_bytes_per_second=kbit(50),
    rtt=0.4,
    jitter=0.05,
    drop_every=(15.0, 45.0),
    outage=2.0,
    stall_every=(20.0, 60.0),
    stall_for=1.5,
)
RURAL3G = LinkProfile(
    "rural3g",
    up_bytes_per_second=kbit(400),
    down_bytes_per_second=kbit(400),
    rtt=0.15,
    jitter=0.02,
)
WINDOW = replace(RURAL3G, name="window", window=(20.0, 60.0))
PRESETS: dict[str, LinkProfile] = {p.name: p for p in (EDGE, RURAL3G, WINDOW)}


def drop_after(count: int, base: LinkProfile | None = None) -> LinkProfile:
    """A link (unshaped unless ``base`` says otherwise) that cuts each connection after the
    client has sent ``count`` bytes over it."""
    return replace(base or LinkProfile("drop-after"), name=f"drop-after-{count}", drop_after_bytes=count)


@dataclass
class LinkStats:
    """What the link carried; ``bytes_up`` is client → server."""

    bytes_up: int = 0
    bytes_down: int = 0
    connections: int = 0
    refused: int = 0
    drops: int = 0
    """Cut events: scheduled drops and window closings that cut at least one connection, plus
    every connection cut by ``drop_after_bytes``."""


class _Radio:
    """One direction of the link, shared by all connections: bytes leave one after another."""

    def __init__(self, bytes_per_second: float | None) -> None:
        self.rate = bytes_per_second
        self.free_at = 0.0

    def send(self, count: int, now: float) -> float:
        """When the last of ``count`` bytes handed over at ``now`` has left."""
        start = max(now, self.free_at)
        self.free_at = start + (count / self.rate if self.rate else 0.0)
        return self.free_at


@dataclass(eq=False)
class _Connection:
    client: asyncio.StreamWriter
    server: asyncio.StreamWriter
    tasks: list[asyncio.Task] = field(default_factory=list)
    sent_up: int = 0
    closed: bool = False

    def cut(self) -> None:
        """Reset both ends at once: what a vanished link looks like to either side."""
        if self.closed:
            return
        self.closed = True
        for writer in (self.client, self.server):
            with contextlib.suppress(Exception):
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            writer.transport.abort()
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()


def _require_loopback(host: str) -> None:
    address = ipaddress.ip_address(socket.gethostbyname(host))
    if not address.is_loopback:
        raise ValueError(f"the link simulator only forwards to loopback, not to {host}")


class LinkSimulator:
    """The proxy itself; run it inside an event loop (``start``/``stop``) or use ``running_link``."""

    def __init__(
        self,
        profile: LinkProfile,
        *,
        upstream_port: int,
        upstream_host: str = "127.0.0.1",
        seed: int = 0,
    ) -> None:
        _require_loopback(upstream_host)
        self.profile = profile
        self.seed = seed
        self.upstream = (upstream_host, upstream_port)
        self.stats = LinkStats()
        self._jitter_rng = random.Random(f"{seed}/jitter")
        self._drop_rng = random.Random(f"{seed}/drops")
        self._stall_rng = random.Random(f"{seed}/stalls")
        self._up = _Radio(profile.up_bytes_per_second)
        self._down = _Radio(profile.down_bytes_per_second)
        self._connections: set[_Connection] = set()
        self._refuse_until = 0.0
        self._down_now = False
        self._server: asyncio.base_events.Server | None = None
        self._schedules: list[asyncio.Task] = []
        self.port = 0

    def drop_schedule(self, count: int) -> list[float]:
        """The first ``count`` gaps between drops this seed gives (without using them up)."""
        if not self.profile.drop_every:
            return []
        rng = random.Random(f"{self.seed}/drops")
        return [rng.uniform(*self.profile.drop_every) for _ in range(count)]

    # -- lifetime --------------------------------------------------------------------------------

    async def start(self) -> int:
        """Listen on a free port of 127.0.0.1; returns it."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        if self.profile.drop_every:
            self._schedules.append(loop.create_task(self._drops(self.profile.drop_every)))
        if self.profile.window:
            self._schedules.append(loop.create_task(self._windows(self.profile.window)))
        if self.profile.stall_every and self.profile.stall_for > 0:
            self._schedules.append(loop.create_task(self._stalls(self.profile.stall_every)))
        return self.port

    async def stop(self) -> None:
        for task in self._schedules:
            task.cancel()
        self.cut_all(count=False)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut_all(self, *, count: bool = True) -> int:
        """Cut every open connection now; returns how many there were."""
        open_now = [c for c in self._connections if not c.closed]
        for connection in open_now:
            connection.cut()
        self._connections.clear()
        if count and open_now:
            self.stats.drops += 1
        return len(open_now)

    # -- schedules -------------------------------------------------------------------------------

    async def _drops(self, every: tuple[float, float]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._drop_rng.uniform(*every))
            self.cut_all()
            self._refuse_until = loop.time() + self.profile.outage

    async def _windows(self, window: tuple[float, float]) -> None:
        up, down = window
        while True:
            await asyncio.sleep(up)
            self._down_now = True
            self.cut_all()
            await asyncio.sleep(down)
            self._down_now = False

    async def _stalls(self, every: tuple[float, float]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._stall_rng.uniform(*every))
            until = loop.time() + self.profile.stall_for
            for radio in (self._up, self._down):
                radio.free_at = max(radio.free_at, until)

    # -- one connection --------------------------------------------------------------------------

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        if self._down_now or loop.time() < self._refuse_until:
            self.stats.refused += 1
            client_writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        self.stats.connections += 1
        connection = _Connection(client_writer, server_writer)
        self._connections.add(connection)
        connection.tasks = [
            loop.create_task(self._pump(client_reader, server_writer, connection, upward=True)),
            loop.create_task(self._pump(server_reader, client_writer, connection, upward=False)),
        ]
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*connection.tasks, return_exceptions=True)
        self._connections.discard(connection)
        if not connection.closed:
            connection.closed = True
            for writer in (client_writer, server_writer):
                with contextlib.suppress(Exception):
                    writer.close()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        connection: _Connection,
        *,
        upward: bool,
    ) -> None:
        loop = asyncio.get_running_loop()
        radio = self._up if upward else self._down
        queue: asyncio.Queue[tuple[float, bytes, bool] | None] = asyncio.Queue()
        deliver = loop.create_task(self._deliver(queue, writer, connection))
        connection.tasks.append(deliver)
        last_arrival = 0.0
        limit = self.profile.drop_after_bytes if upward else None
        try:
            while not connection.closed:
                try:
                    data = await reader.read(PACKET)
                except (ConnectionError, OSError):
                    break
                if not data:
                    break
                cut_after = False
                if limit is not None and connection.sent_up + len(data) >= limit:
                    data, cut_after = data[: max(0, limit - connection.sent_up)], True
                if upward:
                    connection.sent_up += len(data)
                    self.stats.bytes_up += len(data)
                else:
                    self.stats.bytes_down += len(data)
                now = loop.time()
                left = radio.send(len(data), now)
                delay = self.profile.rtt / 2 + self._jitter_rng.uniform(-self.profile.jitter, self.profile.jitter)
                last_arrival = max(left + max(0.0, delay), last_arrival)
                queue.put_nowait((last_arrival, data, cut_after))
                if cut_after:
                    break
                # Read no faster than the link sends, as TCP's window would make the sender wait.
                if left > now:
                    await asyncio.sleep(left - now)
        finally:
            queue.put_nowait(None)
        await deliver

    async def _deliver(
        self, queue: asyncio.Queue, writer: asyncio.StreamWriter, connection: _Connection
    ) -> None:
        loop = asyncio.get_running_loop()
        while (entry := await queue.get()) is not None:
            arrival, data, cut_after = entry
            wait = arrival - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if connection.closed:
                return
            try:
                writer.write(data)
                await writer.drain()
            except (ConnectionError, OSError):
                connection.cut()
                return
            if cut_after:
                self.stats.drops += 1
                connection.cut()
                return
        if not connection.closed:
            with contextlib.suppress(Exception):
                if writer.can_write_eof():
                    writer.write_eof()


@dataclass
class RunningLink:
    """A simulator running in its own thread: point a client at ``url``."""

    simulator: LinkSimulator
    loop: asyncio.AbstractEventLoop

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.simulator.port}"

    @property
    def stats(self) -> LinkStats:
        return self.simulator.stats

    def cut_all(self) -> int:
        return asyncio.run_coroutine_threadsafe(_call(self.simulator.cut_all), self.loop).result(10)


async def _call(fn):  # type: ignore[no-untyped-def]
    return fn()


@contextlib.contextmanager
def running_link(profile: LinkProfile, *, upstream_port: int, seed: int = 0) -> Iterator[RunningLink]:
    """Run a ``LinkSimulator`` in a background thread for as long as the ``with`` block lasts."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=f"linksim-{profile.name}", daemon=True)
    thread.start()
    simulator = LinkSimulator(profile, upstream_port=upstream_port, seed=seed)
    try:
        asyncio.run_coroutine_threadsafe(simulator.start(), loop).result(10)
        yield RunningLink(simulator, loop)
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.linksim --preset edge --upstream 8080``: shape a local server by hand."""
    import argparse

    parser = argparse.ArgumentParser(description="A rural link between a client and a server on 127.0.0.1.")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="edge")
    parser.add_argument("--upstream", type=int, required=True, metavar="PORT", help="server port on 127.0.0.1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every time by this (bandwidth divided)")
    args = parser.parse_args(argv)
    profile = PRESETS[args.preset].scaled(args.scale) if args.scale != 1.0 else PRESETS[args.preset]

    async def run() -> None:
        simulator = LinkSimulator(profile, upstream_port=args.upstream, seed=args.seed)
        port = await simulator.start()
        print(f"{profile.name}: http://127.0.0.1:{port} -> 127.0.0.1:{args.upstream} (Ctrl+C ends)", flush=True)
        try:
            while True:
                await asyncio.sleep(10)
                print(simulator.stats, flush=True)
        finally:
            await simulator.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
