"""Several server processes on one listening socket: ``rathaus server --workers N``.

A district's server takes batches from many towns' kiosks at once; one Python process uses one
core. So the parent binds the port, then forks ``N`` workers that each build their own app (their
own database connections and threads: nothing of that is ever shared across a fork) and accept on
the same socket; the kernel hands each connection to one of them.

Nothing the workers must agree on lives in a worker: batches, uploads, enrolled kiosks and
revocations are in the PostgreSQL database, and every decision that needs exclusivity is a
transaction there. (On SQLite several workers would work too, but wait for each other's writes;
one worker is the right size for one town.)

The parent only supervises: SIGTERM or SIGINT goes on to every worker and the parent waits for
them to finish their requests; a worker that dies unexpectedly is replaced, at most once a second.
Workers that keep dying right after they start (three in a row within ten seconds: a database
gone, a broken setting) are not replaced for ever: the parent stops the others and ends with 1, so
systemd reports the failure and restarts the whole service after its pause.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from typing import Callable

import uvicorn

log = logging.getLogger("rathaus.server")

MAX_WORKERS = 32
_RESTART_PAUSE_SECONDS = 1.0
_EARLY_SECONDS = 10.0
_EARLY_ENDS_TO_GIVE_UP = 3


def _run_worker(make_config: Callable[[], uvicorn.Config], sock: socket.socket) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 0
    try:
        uvicorn.Server(make_config()).run(sockets=[sock])
    except BaseException as exc:  # a worker never lets an exception unwind into the parent's code
        log.error("server worker %d ended: %s", os.getpid(), type(exc).__name__)
        code = 1
    finally:
        os._exit(code)


def serve_with_workers(make_config: Callable[[], uvicorn.Config], sock: socket.socket, workers: int) -> int:
    """Fork ``workers`` processes serving ``sock`` with ``make_config()`` (called in each worker,
    so the app is built there); return when they have all stopped after SIGTERM/SIGINT."""
    stopping = False
    children: dict[int, float] = {}
    early_ends = 0

    def start_one() -> None:
        pid = os.fork()
        if pid == 0:
            _run_worker(make_config, sock)
        children[pid] = time.monotonic()

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    failed = False
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for _ in range(workers):
            start_one()
        log.info("serving with %d worker processes", workers)
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            started = children.pop(pid, time.monotonic())
            if stopping:
                continue
            early_ends = early_ends + 1 if time.monotonic() - started < _EARLY_SECONDS else 0
            if early_ends >= _EARLY_ENDS_TO_GIVE_UP:
                log.error("server workers keep ending right after they start; stopping the server")
                stop(signal.SIGTERM, None)
                failed = True
                continue
            log.warning("server worker %d ended unexpectedly (status %d); starting another", pid, status)
            time.sleep(_RESTART_PAUSE_SECONDS)
            if not stopping:
                start_one()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed else 0
