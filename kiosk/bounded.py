"""Waiting for something that may never end (a printer driver, a name look-up) for a set time only.

Python cannot interrupt a thread stuck in a system call, so the work runs in a daemon thread of its
own and the caller stops waiting after ``seconds``; the stuck thread is left behind and ends with
the process (systemd restarts the kiosk now and then anyway).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def run_bounded(job: Callable[[], T], seconds: float, *, name: str = "bounded-job") -> T:
    """Run ``job`` in a thread of its own and wait at most ``seconds`` for it.

    A printer driver stuck in a write (a USB printer out of paper blocks ``write`` for ever) is
    left behind as a daemon thread; the caller goes on with ``TimeoutError``.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = job()
        except BaseException as exc:  # handed to the waiting caller
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"{name} still running after {seconds}s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
