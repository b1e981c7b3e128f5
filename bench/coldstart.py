"""``python -m bench coldstart``: kiosk cold start to the first drawn screen, and its memory.

Each measurement is a fresh Python process (a cold start, imports included) that runs the app
headless with Textual's ``run_test`` and stops as soon as the first screen is drawn; it reports the
seconds from interpreter start and its peak RSS (``VmHWM``: ``ru_maxrss`` would report the peak of the
process it was forked from). The kiosk (``KioskApp`` on an enrolled kiosk with
the shipped forms) runs beside a bare Textual app with one line of text, the baseline: what Textual
itself costs on this machine. Medians of several runs; targets in issue 8: < 1 s, < 80 MB RSS.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = 5

_CHILD = r"""
import asyncio, json, resource, sys, time
started = time.perf_counter() - (time.time() - float(sys.argv[2]))
which, folder = sys.argv[1], sys.argv[3]
if which == "kiosk":
    from kiosk.runtime import open_runtime
    from kiosk.ui.app import KioskApp
    runtime = open_runtime(folder)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
else:
    from textual.app import App
    from textual.widgets import Static
    class Bare(App):
        def compose(self):
            yield Static("Willkommen")
    app = Bare()
async def main():
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        drawn = time.perf_counter()
        screen = type(app.screen).__name__
    return drawn, screen
drawn, screen = asyncio.run(main())
# The peak of this process's own memory: VmHWM starts afresh with the new program, whereas
# ru_maxrss keeps the peak of the parent it was forked from (make bench's parent is large).
try:
    with open("/proc/self/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": drawn - started, "rss_mb": rss, "screen": screen}))
"""


def _measure(which: str, folder: Path) -> dict[str, float]:
    import time

    out = subprocess.run(
        [sys.executable, "-c", _CHILD, which, repr(time.time()), str(folder)],
        check=True, capture_output=True, text=True, env={**os.environ, "TEXTUAL": ""},
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    """Measure both apps in fresh processes and print the medians side by side."""
    from sync.keys import init_kiosk, init_townhall, townhall_public_keys_path

    with tempfile.TemporaryDirectory(prefix="rathaus-coldstart-") as tmp:
        townhall, kiosk = Path(tmp) / "townhall", Path(tmp) / "kiosk"
        init_townhall(townhall, name="Einheitsgemeinde Tangerhütte")
        init_kiosk(kiosk, kiosk_id="bibliothek-1", townhall_public=townhall_public_keys_path(townhall))
        results: dict[str, list[dict[str, float]]] = {"bare": [], "kiosk": []}
        for _ in range(RUNS):  # taking turns, so load from elsewhere falls on both alike
            for which in results:
                results[which].append(_measure(which, kiosk))
    median = {w: {k: statistics.median(r[k] for r in runs) for k in ("seconds", "rss_mb")} for w, runs in results.items()}
    k, b = median["kiosk"], median["bare"]
    print(f"coldstart: first screen drawn: kiosk {results['kiosk'][0]['screen']}, bare {results['bare'][0]['screen']}")
    print(
        f"coldstart: kiosk {k['seconds']:.2f} s {k['rss_mb']:.1f} MB RSS   bare Textual app "
        f"{b['seconds']:.2f} s {b['rss_mb']:.1f} MB   ratio {k['seconds'] / b['seconds']:.2f}x time "
        f"{k['rss_mb'] / b['rss_mb']:.2f}x RSS (median of {RUNS} fresh processes)"
    )
