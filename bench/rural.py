"""``python -m bench rural``: our sync against one POST per submission, over the same rural link.

For each preset of ``bench.linksim`` (``edge``, ``rural3g``, ``window``) the benchmark queues the
same number of realistic applications of the six shipped services (``bench.answers``, sealed by
``kiosk.submission`` as the kiosk seals them) and sends them twice through a fresh link with the
same seed, both times HTTP/1.1 from ``httpx`` to a uvicorn server on 127.0.0.1:

- ours: the kiosk's outbox (``sync.outbox.OutboxClient``: downloads first, then the batch in
  resumable chunks) against the real town-hall server, round after round as ``rathaus sync
  --watch`` runs, until nothing waits;
- baseline: one POST per sealed item to ``bench.baseline_server``; a failed POST waits as the
  kiosk's retry policy waits and starts that item again from its first byte (no resume).

Every figure is defined in docs/performance.md ("Rural link"). Times are scaled: ``--scale f``
multiplies every time of the link (latency, jitter, drop and outage schedule, stalls), the kiosk's
waits, timeouts and target time per chunk by ``f`` and divides the bandwidth by ``f``, so the bytes
between two drops and bandwidth × time stay what they are on the real link; only the wall clock
shrinks; CPU time at the kiosk and the town hall does not, so a scaled run counts it ``1/f`` times
over (a scaled figure is a lower bound for efficiency). The default (``make bench``: 50
applications per preset, ``f = 0.1``) takes about a minute; ``--full`` (or ``RATHAUS_BENCH_FULL=1``)
sends the 200 applications of the issue (about four minutes); ``--scale 1`` runs in real time.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bench.answers import samples
from bench.baseline_server import create_baseline_app
from bench.linksim import PRESETS, LinkProfile, LinkStats, running_link
from kiosk.runtime import open_runtime
from sync.allowlist import Allowlist
from sync.embedded import start_embedded_server
from sync.keys import enrolment_request_path, init_kiosk, init_townhall, townhall_public_keys_path
from sync.outbox import TIMEOUTS, OutboxClient, RetryPolicy
from sync.server import create_app, open_storage
from sync.uploader import CHUNK_SECONDS, ChunkSizer

SEED = 2026
"""Answers and link schedules come from this seed, so a run repeats."""
ROUND_GAP = 60.0
"""Seconds between two rounds of ``rathaus sync --watch`` while something waits (real time)."""
FULL_COUNT = 200
SHORT_COUNT = 50
GIVE_UP = 1800.0
"""A side that has not delivered everything after this many link seconds is reported as such."""


@dataclass
class Counter:
    """What a client handed to the link: requests, and upload bodies that got no 2xx answer."""

    requests: int = 0
    upload_bytes: int = 0
    failed_upload_bytes: int = 0


class CountingTransport(httpx.HTTPTransport):
    """An ordinary ``httpx`` transport that counts each request it sends (retries included)."""

    def __init__(self, counter: Counter, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.counter = counter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.counter.requests += 1
        body = len(request.read()) if request.method in ("POST", "PATCH") else 0
        upload = request.method == "PATCH" or request.url.path in ("/v1/batches", "/items")
        if upload:
            self.counter.upload_bytes += body
        try:
            response = super().handle_request(request)
        except Exception:
            if upload:
                self.counter.failed_upload_bytes += body
            raise
        if upload and not 200 <= response.status_code < 300:
            self.counter.failed_upload_bytes += body
        return response


@dataclass
class Run:
    """One side on one preset."""

    delivered: int
    """Distinct applications the town hall holds after the run."""
    stored: int
    """Applications it holds, duplicates counted (equal to ``delivered`` when none is twice)."""
    seconds: float
    link: LinkStats
    counter: Counter

    @property
    def wire_bytes(self) -> int:
        return self.link.bytes_up + self.link.bytes_down

    def resent_per_drop(self) -> float:
        return self.counter.failed_upload_bytes / self.link.drops if self.link.drops else 0.0


def _scaled_timeouts(scale: float) -> httpx.Timeout:
    return httpx.Timeout(
        connect=TIMEOUTS.connect * scale,
        read=TIMEOUTS.read * scale,
        write=TIMEOUTS.write * scale,
        pool=TIMEOUTS.pool * scale,
    )


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def queue_applications(folder: Path, count: int) -> tuple[Path, Path, list[bytes]]:
    """An enrolled kiosk with ``count`` sealed applications queued; returns both folders and
    the sealed items exactly as they wait in the kiosk's queue."""
    townhall_dir, kiosk_dir = folder / "townhall", folder / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk_dir, kiosk_id="bibliothek-1", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "bibliothek-1"))
    with open_runtime(kiosk_dir) as runtime:
        for form, answers in samples(count, seed=SEED):
            runtime.submit(runtime.form(form.id), answers)
        database = Path(runtime.store.path)
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        sealed = [row[0] for row in conn.execute("SELECT sealed FROM outbox ORDER BY position")]
    return townhall_dir, kiosk_dir, sealed


def run_ours(profile: LinkProfile, scale: float, townhall_dir: Path, kiosk_dir: Path) -> Run:
    """The outbox, round after round, until nothing waits (or ``GIVE_UP``)."""
    counter = Counter()
    policy = RetryPolicy(attempts=4, base_delay=2.0 * scale, max_delay=60.0 * scale)
    sizer = ChunkSizer(seconds=CHUNK_SECONDS * scale)
    with start_embedded_server(create_app(townhall_dir)) as server:
        with running_link(profile, upstream_port=_port(server.url), seed=SEED) as link:
            with open_runtime(kiosk_dir) as runtime:
                start = time.monotonic()
                deadline = start + GIVE_UP * scale
                while runtime.waiting_count() and time.monotonic() < deadline:
                    with OutboxClient(
                        runtime.store,
                        kiosk=runtime.kiosk_keys,
                        townhall=runtime.townhall,
                        server_url=link.url,
                        transport=CountingTransport(counter),
                        policy=policy,
                        sizer=sizer,
                        timeouts=_scaled_timeouts(scale),
                        lang="en",
                    ) as client:
                        client.sync_once()
                    if runtime.waiting_count():
                        time.sleep(ROUND_GAP * scale)
                seconds = time.monotonic() - start
            stats = replace(link.stats)
    storage = open_storage(townhall_dir)
    try:
        references = [item.reference for item in storage.items()]
    finally:
        storage.close()
    return Run(len(set(references)), len(references), seconds, stats, counter)


def run_baseline(profile: LinkProfile, scale: float, sealed: list[bytes]) -> Run:
    """One POST per item; a failure waits as the kiosk would and restarts the item whole."""
    counter = Counter()
    received: dict[str, int] = {}
    policy = RetryPolicy(attempts=4, base_delay=2.0 * scale, max_delay=60.0 * scale)
    rng = random.Random(SEED)
    with start_embedded_server(create_baseline_app(received)) as server:
        with running_link(profile, upstream_port=_port(server.url), seed=SEED) as link:
            start = time.monotonic()
            deadline = start + GIVE_UP * scale
            with httpx.Client(
                base_url=link.url, transport=CountingTransport(counter), timeout=_scaled_timeouts(scale)
            ) as client:
                for item in sealed:
                    failures = 0
                    while time.monotonic() < deadline:
                        try:
                            response = client.post(
                                "/items", content=item, headers={"Content-Type": "application/octet-stream"}
                            )
                            if response.status_code == 201:
                                break
                        except httpx.HTTPError:
                            pass
                        time.sleep(policy.delay(min(failures, 5), rng))
                        failures += 1
            seconds = time.monotonic() - start
            stats = replace(link.stats)
    return Run(len(received), len(received), seconds, stats, counter)


@dataclass
class Result:
    preset: str
    payload: int
    bandwidth: float
    ours: Run
    baseline: Run

    @property
    def efficiency(self) -> float:
        return self.payload / (self.bandwidth * self.ours.seconds)

    @property
    def baseline_efficiency(self) -> float:
        return self.payload / (self.bandwidth * self.baseline.seconds)


def bench_preset(name: str, count: int, scale: float) -> Result:
    """Both sides on one preset, each on a fresh link with the same seed."""
    profile = PRESETS[name].scaled(scale) if scale != 1.0 else PRESETS[name]
    with tempfile.TemporaryDirectory(prefix=f"rathaus-bench-{name}-") as folder:
        townhall_dir, kiosk_dir, sealed = queue_applications(Path(folder), count)
        ours = run_ours(profile, scale, townhall_dir, kiosk_dir)
        baseline = run_baseline(profile, scale, sealed)
    assert profile.up_bytes_per_second is not None
    return Result(name, sum(map(len, sealed)), profile.up_bytes_per_second, ours, baseline)


def _ratio(baseline: float, ours: float) -> float:
    return baseline / ours if ours else float("inf")


def print_result(result: Result, count: int, scale: float) -> None:
    ours, base = result.ours, result.baseline
    print(
        f"{result.preset:<8} payload {result.payload:>8} B  "
        f"ours: {ours.delivered}/{count} arrived ({ours.stored} stored) in {ours.seconds / scale:7.1f} link-s, "
        f"{ours.wire_bytes:>8} B on the wire, {ours.counter.requests:>4} requests, {ours.link.drops} drops, "
        f"efficiency {result.efficiency:.2f}, re-sent {ours.resent_per_drop():.0f} B/drop"
    )
    print(
        f"{'':<8} {'':>18}  "
        f"base: {base.delivered}/{count} arrived in {base.seconds / scale:7.1f} link-s, "
        f"{base.wire_bytes:>8} B on the wire, {base.counter.requests:>4} requests, {base.link.drops} drops, "
        f"efficiency {result.baseline_efficiency:.2f}, re-sent {base.resent_per_drop():.0f} B/drop"
    )
    print(
        f"{'':<8} {'':>18}  bytes_vs_baseline={_ratio(base.wire_bytes, ours.wire_bytes):.2f} "
        f"roundtrips_vs_baseline={_ratio(base.counter.requests, ours.counter.requests):.2f}",
        flush=True,
    )


def summary_line(results: list[Result]) -> str:
    """The final line: efficiency on ``edge`` (the first preset run if ``edge`` was not), the
    ratios over all presets together, and our re-sent bytes per drop over all drops."""
    first = next((r for r in results if r.preset == "edge"), results[0])
    base_bytes = sum(r.baseline.wire_bytes for r in results)
    our_bytes = sum(r.ours.wire_bytes for r in results)
    base_requests = sum(r.baseline.counter.requests for r in results)
    our_requests = sum(r.ours.counter.requests for r in results)
    drops = sum(r.ours.link.drops for r in results)
    resent = sum(r.ours.counter.failed_upload_bytes for r in results)
    return (
        f"efficiency={first.efficiency:.2f} bytes_vs_baseline={_ratio(base_bytes, our_bytes):.2f} "
        f"roundtrips_vs_baseline={_ratio(base_requests, our_requests):.2f} "
        f"resent_after_drop={resent / drops if drops else 0:.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench rural", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=None, help="applications per preset (50; 200 with --full)")
    parser.add_argument("--full", action="store_true", help="the full run: 200 applications per preset")
    parser.add_argument("--scale", type=float, default=0.1, help="time factor (0.1; 1 = real time)")
    parser.add_argument("--preset", action="append", choices=sorted(PRESETS), help="only these presets")
    args = parser.parse_args(argv)
    full = args.full or bool(os.environ.get("RATHAUS_BENCH_FULL"))
    count = args.count if args.count is not None else (FULL_COUNT if full else SHORT_COUNT)
    scale = args.scale
    presets = args.preset or ["edge", "rural3g", "window"]
    print(
        f"rural: {count} applications per preset, time ×{scale:g} (bandwidth ÷{scale:g}), "
        f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        flush=True,
    )
    results = []
    for name in presets:
        result = bench_preset(name, count, scale)
        print_result(result, count, scale)
        results.append(result)
    print(summary_line(results))
    return 0
