"""``python -m bench warning``: how long a signed download snapshot (a warning) takes to reach a
kiosk on the ``window`` link while 200 applications wait to go up.

A warning published at the town hall must reach the kiosk in the next round that finds the link
up, not after that round's uploads: a round fetches its downloads first (``OutboxClient.steps``).
Measured on ``bench.linksim``'s ``window`` preset (``rural3g``, link up 20 s then down 60 s, scaled
like the rural benchmark) against the real town-hall server on 127.0.0.1:

- **ours, 200 waiting**: a kiosk with 200 realistic applications queued; a warning is published at
  the town hall, then the kiosk's next round starts; time from the round's start until the kiosk's
  store holds the warning (the bench's own sink notes the moment; a product channel is polled
  every few milliseconds);
- **baseline, nothing waiting**: the same kiosk with an empty queue, the same link and seed: what
  the link itself costs a download (one request and its answer);
- **for comparison, uploads first**: the same round with its steps in the other order, which is
  what "waiting behind the uploads" would cost.

The download travels on a snapshot channel whose name is one parameter (``--channel``). Unless a
channel of that name is registered already, the benchmark registers its own (format, town-hall
source, kiosk sink) for the run, as ``docs/downloads.md`` describes for a new channel; a channel
registered by the product (``warnings``) is used as it is, with ``publish`` given by the caller.
Real time by default (a round is a few seconds); ``--scale`` shrinks the link's times as in the
rural benchmark, times are then link seconds (wall seconds ÷ scale).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from bench.linksim import PRESETS, running_link
from bench.rural import SEED, _port, _scaled_timeouts, queue_applications
from kiosk.runtime import open_runtime
from sync import downloads as kiosk_downloads
from sync.embedded import start_embedded_server
from sync.envelope import fields as f
from sync.envelope.downloads import ChannelFormat, ChannelPart, channel_format, register_channel_format, unregister_channel_format
from sync.outbox import OutboxClient, RetryPolicy
from sync.server import create_app
from sync.server import downloads as townhall_downloads
from sync.uploader import CHUNK_SECONDS, ChunkSizer

DEFAULT_CHANNEL = "bench-warnings"
WAITING = 200
RUNS = 3
_APPLIED_AT: list[float] = []  # when the bench's own sink stored a snapshot
Publish = Callable[[str], None]
"""``publish(text)``: the town hall publishes a new snapshot holding one warning with ``text``."""


def _warning_entry(value: object, position: int) -> dict:
    fields = f.Fields(value, "The warning", frozenset({"text"}), where=f"warning {position}")
    return {"text": fields.free_text("text", 500)}


@contextmanager
def bench_channel(name: str) -> Iterator[Publish]:
    """A snapshot channel ``name`` on both sides for the run; yields its ``publish``."""
    held: dict = {"version": 0, "entries": ()}
    register_channel_format(ChannelFormat(name, "snapshot", _warning_entry, lambda entry: entry, max_entries=20))

    def part(context: townhall_downloads.SourceContext, version: int) -> ChannelPart:
        return ChannelPart(name, "snapshot", version, held["version"], context.as_of, held["entries"])

    townhall_downloads.register_source(townhall_downloads.ChannelSource(name, part))
    store_it = kiosk_downloads.snapshot_sink(name).apply

    def apply(context: kiosk_downloads.KioskContext, part: ChannelPart) -> int:
        changed = store_it(context, part)
        _APPLIED_AT.append(time.monotonic())  # stored: the moment the kiosk holds it
        return changed

    kiosk_downloads.register_sink(kiosk_downloads.ChannelSink(name, apply))

    def publish(text: str) -> None:
        held["entries"] = ({"text": text},)
        held["version"] += 1

    try:
        yield publish
    finally:
        kiosk_downloads.unregister_sink(name)
        townhall_downloads.unregister_source(name)
        unregister_channel_format(name)


class UploadsFirst(OutboxClient):
    """The same round with its steps in the other order: only to show what that would cost."""

    def steps(self):  # type: ignore[no-untyped-def]
        return list(reversed(super().steps()))


@dataclass
class Sample:
    seconds: float  # link seconds from the round's start until the warning was held
    waiting_before: int
    waiting_after: int


def _one(kiosk_dir: Path, townhall_dir: Path, channel: str, publish: Publish, scale: float,
         client_class: type[OutboxClient], text: str) -> Sample:
    """Publish, run one round over a fresh ``window`` link, and time the warning's arrival."""
    profile = PRESETS["window"].scaled(scale) if scale != 1.0 else PRESETS["window"]
    policy = RetryPolicy(attempts=4, base_delay=2.0 * scale, max_delay=60.0 * scale)
    with start_embedded_server(create_app(townhall_dir)) as server:
        with running_link(profile, upstream_port=_port(server.url), seed=SEED) as link:
            with open_runtime(kiosk_dir) as runtime:
                before = runtime.waiting_count()
                held_before = runtime.store.channel_state(channel).version
                publish(text)
                arrived: list[float] = []
                done = threading.Event()

                def watch() -> None:
                    while not done.is_set():
                        if runtime.store.channel_state(channel).version > held_before:
                            arrived.append(time.monotonic())
                            return
                        time.sleep(0.002)

                _APPLIED_AT.clear()
                watcher = threading.Thread(target=watch, daemon=True)
                started = time.monotonic()
                watcher.start()
                with client_class(
                    runtime.store, kiosk=runtime.kiosk_keys, townhall=runtime.townhall, server_url=link.url,
                    policy=policy, sizer=ChunkSizer(seconds=CHUNK_SECONDS * scale),
                    timeouts=_scaled_timeouts(scale), lang="en",
                ) as client:
                    report = client.sync_once()
                done.set()
                watcher.join(5)
                if _APPLIED_AT:  # the bench's own sink said exactly when (no polling delay)
                    arrived[:] = [_APPLIED_AT[-1]]
                    _APPLIED_AT.clear()
                if not arrived and runtime.store.channel_state(channel).version > held_before:
                    arrived.append(time.monotonic())
                if not arrived:
                    raise SystemExit(f"warning: the snapshot did not arrive ({report.error})")
                entries = runtime.store.channel_entries(channel)
                if entries != [{"text": text}]:
                    raise SystemExit(f"warning: the kiosk holds {entries!r}, not the published warning")
                return Sample((arrived[0] - started) / scale, before, runtime.waiting_count())


@dataclass
class Figures:
    waiting: list[Sample]
    empty: list[Sample]
    uploads_first: list[Sample]


def measure(*, channel: str = DEFAULT_CHANNEL, scale: float = 1.0, waiting: int = WAITING, runs: int = RUNS,
            publish: Publish | None = None) -> Figures:
    """Each scenario ``runs`` times on a fresh copy of the same kiosk, link and seed."""

    @contextmanager
    def channel_for_run() -> Iterator[Publish]:
        if publish is not None:
            yield publish
        elif channel_format(channel) is not None:
            raise SystemExit(f"channel {channel!r} is registered already: pass its publish function")
        else:
            with bench_channel(channel) as own:
                yield own

    with tempfile.TemporaryDirectory(prefix="rathaus-warning-") as tmp:
        folder = Path(tmp)
        townhall_dir, kiosk_dir, _sealed = queue_applications(folder / "full", waiting)
        empty_townhall, empty_kiosk, _ = queue_applications(folder / "empty", 0)
        figures = Figures([], [], [])
        with channel_for_run() as send:
            for run in range(runs):
                for target, (t_dir, k_dir, client_class) in (
                    (figures.waiting, (townhall_dir, kiosk_dir, OutboxClient)),
                    (figures.empty, (empty_townhall, empty_kiosk, OutboxClient)),
                    (figures.uploads_first, (townhall_dir, kiosk_dir, UploadsFirst)),
                ):
                    copy = folder / f"run-{run}-{len(target)}-{client_class.__name__}-{k_dir.parent.name}"
                    shutil.copytree(k_dir.parent, copy)
                    sample = _one(copy / k_dir.name, copy / t_dir.name, channel, send, scale, client_class,
                                  f"Unwetterwarnung {run}: Sturmböen bis 90 km/h, bitte Fenster schließen.")
                    target.append(sample)
    return figures


def _median(samples: list[Sample]) -> float:
    values = sorted(s.seconds for s in samples)
    return values[len(values) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench warning", description=__doc__.splitlines()[0])
    parser.add_argument("--channel", default=DEFAULT_CHANNEL, help="snapshot channel the warning travels on")
    parser.add_argument("--scale", type=float, default=1.0, help="time factor of the link (1 = real time)")
    parser.add_argument("--waiting", type=int, default=WAITING, help="applications queued at the kiosk")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    figures = measure(channel=args.channel, scale=args.scale, waiting=args.waiting, runs=args.runs)
    ours, empty, first = _median(figures.waiting), _median(figures.empty), _median(figures.uploads_first)
    left = figures.waiting[0].waiting_after
    print(
        f"warning: snapshot on channel {args.channel!r} reached the kiosk {ours:.2f} s after the round began "
        f"with {figures.waiting[0].waiting_before} waiting vs {empty:.2f} s with nothing waiting "
        f"(ratio {ours / empty:.2f}x); uploads first would take {first:.2f} s ({first / empty:.2f}x); "
        f"window link, link seconds, median of {args.runs}, scale {args.scale:g}; {left} still waiting after that round"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
