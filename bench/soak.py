"""``make soak``: pull the plug on the kiosk and the town-hall server at random moments, then count.

One trial is one kiosk "session" in its own process: it opens the kiosk as ``rathaus kiosk`` does,
takes one to three applications (each receipt code is written out the moment the kiosk could print
it) and syncs with a real town-hall server (``rathaus server``, uvicorn on 127.0.0.1, a separate
process). The soak kills the kiosk process with SIGKILL after a random delay, so the cut falls
anywhere in sealing and storing, taking a batch, or uploading it; in about one trial in six it also
kills the server with SIGKILL while the kiosk's upload is arriving (during intake). The next trial
restarts whatever died; each restarted kiosk runs its start-up integrity check on the file the
cut left behind, and a damaged file fails the soak. At the end the server is started once more,
the kiosk syncs until nothing waits, and the staff inbox decrypts everything the town hall holds.

    lost         a receipt was handed out but its application is not in the inbox
    duplicated   one application (its unique text) is in the inbox more than once

The last line is ``trials=N lost=L duplicated=D``; the exit status is 1 unless both are 0.
Applications stored but cut before their receipt could be shown are counted as ``unreceipted`` (the
citizen saw no code; staff can reprint it): they must arrive too, but they are not losses.

Kiosk trials are forked from this process after everything is imported, so a trial costs what the
kiosk does, not Python's start-up; each child opens its own database connection after the fork.
"""

from __future__ import annotations

import argparse
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import httpx

from kiosk.config import KioskConfig, save_config
from kiosk.runtime import open_runtime
from sync.allowlist import Allowlist
from sync.inbox import Inbox
from sync.keys import enrolment_request_path, init_kiosk, init_townhall, townhall_public_keys_path
from sync.outbox import RetryPolicy

KIOSK_ID = "soak-kiosk"
FORM_ID = "nachricht"
TOKEN_PREFIX = "soak-application-"
REPO_ROOT = Path(__file__).resolve().parents[1]
# A trial's kiosk gives up on a dead server quickly: the next trial is its retry.
CHILD_POLICY = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.2)
CHILD_TIMEOUTS = httpx.Timeout(5.0)
SERVER_KILL_SHARE = 1 / 6
UNCUT_SHARE = 0.15
CHILD_DEADLINE = 60.0
PHASES = ("submit", "batch", "upload")  # what a kiosk session says as it goes


# -- counting --------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Receipts handed out against applications the town hall's inbox can open."""

    trials: int = 0
    receipts: dict[str, str] = field(default_factory=dict)  # token -> reference
    arrived: Counter = field(default_factory=Counter)  # token -> how often in the inbox
    arrived_references: dict[str, str] = field(default_factory=dict)  # token -> reference
    kiosk_kills: Counter = field(default_factory=Counter)  # phase -> kills
    server_kills: int = 0
    server_starts: int = 0
    child_failures: list[str] = field(default_factory=list)
    still_waiting: int = 0

    @property
    def lost(self) -> int:
        missing = [t for t in self.receipts if self.arrived[t] == 0]
        moved = [
            t for t, ref in self.receipts.items()
            if self.arrived[t] and self.arrived_references.get(t) != ref
        ]
        return len(missing) + len(moved)

    @property
    def duplicated(self) -> int:
        return sum(count - 1 for count in self.arrived.values() if count > 1)

    @property
    def unreceipted(self) -> int:
        return sum(1 for t in self.arrived if t not in self.receipts)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.child_failures and not self.still_waiting

    def record_inbox(self, opened: Iterable[tuple[str, str]]) -> None:
        """``opened``: (reference, token) for every application the inbox decrypted."""
        for reference, token in opened:
            self.arrived[token] += 1
            self.arrived_references[token] = _compact(reference)

    def summary(self) -> str:
        phases = " ".join(f"{phase}={n}" for phase, n in sorted(self.kiosk_kills.items()))
        return (
            f"receipts={len(self.receipts)} arrived={sum(self.arrived.values())} "
            f"unreceipted={self.unreceipted} still_waiting={self.still_waiting} "
            f"server_kills={self.server_kills} server_starts={self.server_starts} "
            f"kiosk_kills[{phases}] child_failures={len(self.child_failures)}"
        )

    def final_line(self) -> str:
        return f"trials={self.trials} lost={self.lost} duplicated={self.duplicated}"


def _compact(reference: str) -> str:
    """The receipt code without the dashes the inbox shows it with."""
    return reference.replace("-", "").upper()


# -- the town hall ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``rathaus server`` as a real process on 127.0.0.1, killed and started again at will."""

    def __init__(self, townhall_dir: Path, port: int, log: Path) -> None:
        self.townhall_dir = townhall_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), RATHAUS_LOG_LEVEL="WARNING")
        with open(self._log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kiosk.cli", "server", "--host", "127.0.0.1",
                 "--port", str(self.port), "--data-dir", str(self.townhall_dir)],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env, cwd=REPO_ROOT,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the town-hall server did not start; see {self._log}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """A power cut at the town hall: SIGKILL, no shutdown of any kind."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None


# -- one kiosk session (runs in a forked child) ----------------------------------------------------


def _answers(token: str) -> dict:
    return {"topic": "sonstiges", "message": token, "wants_reply": False}


def _kiosk_session(kiosk_dir: Path, tokens: list[str], say: Callable[[str], None]) -> None:
    """Open the kiosk, take the applications, sync once: what a kiosk does between two cuts."""
    runtime = open_runtime(kiosk_dir)
    try:
        say("READY")
        form = runtime.form(FORM_ID)
        for token in tokens:
            say("submit")
            receipt = runtime.submit(form, _answers(token))
            say(f"RECEIPT {receipt.reference} {token}")
        real_take = runtime.store.take_batch

        def take_batch(*args, **kwargs):
            say("batch")
            return real_take(*args, **kwargs)

        runtime.store.take_batch = take_batch  # type: ignore[method-assign]
        report = runtime.sync_now(
            transport=_Marking(say), policy=CHILD_POLICY, timeouts=CHILD_TIMEOUTS
        )
        say("synced")
        say(f"WAITING {runtime.waiting_count()} {'ok' if report.ok else 'error'}")
    finally:
        runtime.close()


class _Marking(httpx.HTTPTransport):
    """Says "upload" before each request leaves, so a cut can be attributed to the upload."""

    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__()
        self._say = say

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._say("upload")
        return super().handle_request(request)


def _fork_session(kiosk_dir: Path, tokens: list[str]) -> tuple[int, int]:
    """Start a kiosk session in a child; returns (pid, read end of its line pipe)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        code = 0

        def say(line: str) -> None:
            os.write(write_fd, (line + "\n").encode())  # below PIPE_BUF: one write, whole or not at all

        try:
            _kiosk_session(kiosk_dir, tokens, say)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as a failure
            try:
                say(f"FAILED {type(exc).__name__}: {exc}".replace("\n", " ")[:400])
            finally:
                code = 1
        os._exit(code)
    os.close(write_fd)
    return pid, read_fd


@dataclass
class _Session:
    pid: int
    fd: int
    lines: list[str] = field(default_factory=list)
    buffer: bytes = b""
    ready_at: float | None = None
    marked_at: dict[str, float] = field(default_factory=dict)  # phase -> when first said
    finished: bool = False

    @property
    def phase(self) -> str:
        marks = [line for line in self.lines if line in (*PHASES, "synced")]
        return marks[-1] if marks else "opening"

    def read(self, timeout: float) -> None:
        """Read what the child said within ``timeout``; ``finished`` once its pipe is closed."""
        if self.finished:
            time.sleep(max(0.0, timeout))
            return
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.finished = True
            if self.buffer:
                self.lines.append(self.buffer.decode(errors="replace"))  # a cut mid-line
                self.buffer = b""
            return
        self.buffer += chunk
        *whole, self.buffer = self.buffer.split(b"\n")
        for raw in whole:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if line == "READY" and self.ready_at is None:
                self.ready_at = time.monotonic()
            self.marked_at.setdefault(line, time.monotonic())

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def reap(self) -> int:
        while not self.finished:
            self.read(1.0)
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        return status


def run_session(
    kiosk_dir: Path,
    tokens: list[str],
    *,
    kill_after: float | None,
    kill_phase: str | None = None,
    on_upload: Callable[[], None] | None = None,
) -> tuple[_Session, bool]:
    """One kiosk session, killed ``kill_after`` seconds after it opened (``None``: never), or that
    long after it first says ``kill_phase`` when one is given.

    ``on_upload`` runs the first time the child says its upload is leaving. Returns the session
    and whether it was killed.
    """
    pid, fd = _fork_session(kiosk_dir, tokens)
    session = _Session(pid, fd)
    started = time.monotonic()
    killed = False
    upload_seen = False
    while not session.finished:
        if time.monotonic() - started > CHILD_DEADLINE:
            session.kill()
            session.reap()
            raise RuntimeError(f"a kiosk session hung; it said {session.lines[-5:]}")
        wait = 0.5
        counted_from = session.ready_at
        if kill_phase is not None:
            counted_from = session.marked_at.get(kill_phase)
        if kill_after is not None and counted_from is not None and not killed:
            wait = counted_from + kill_after - time.monotonic()
            if wait <= 0:
                session.kill()
                killed = True
                wait = 0.5
        session.read(min(wait, 0.5))
        if on_upload is not None and not upload_seen and "upload" in session.lines:
            upload_seen = True
            on_upload()
    status = session.reap()
    if killed and os.WIFSIGNALED(status):
        return session, True
    return session, False


# -- the soak --------------------------------------------------------------------------------------


def set_up(work: Path, port: int) -> tuple[Path, Path]:
    """A town hall with keys and one enrolled kiosk that syncs with the server on ``port``."""
    townhall_dir, kiosk_dir = work / "townhall", work / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk_dir, kiosk_id=KIOSK_ID, townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, KIOSK_ID))
    save_config(
        kiosk_dir,
        KioskConfig(location="Soak", server_url=f"http://127.0.0.1:{port}", sync_interval_seconds=3600),
    )
    return townhall_dir, kiosk_dir


def _collect(session: _Session, tally: Tally, killed: bool) -> None:
    for line in session.lines:
        if line.startswith("RECEIPT "):
            parts = line.split(" ")
            if len(parts) == 3 and parts[2].startswith(TOKEN_PREFIX):  # a line cut short is no receipt
                tally.receipts[parts[2]] = _compact(parts[1])
        elif line.startswith("FAILED ") and not killed:
            tally.child_failures.append(line)
    if not killed and not any(line.startswith("WAITING ") for line in session.lines):
        tally.child_failures.append(f"session ended early: {session.lines[-3:]}")


def soak(trials: int, *, seed: int, work: Path, progress: Callable[[str], None] = lambda _: None) -> Tally:
    rng = random.Random(seed)
    port = _free_port()
    townhall_dir, kiosk_dir = set_up(work, port)
    server = Server(townhall_dir, port, work / "server.log")
    tally = Tally()
    span = 0.5  # how long an uncut session runs after opening; measured as the soak goes
    serial = 0
    try:
        for trial in range(trials):
            if not server.running:
                server.start()
                tally.server_starts += 1
            tokens = []
            for _ in range(rng.randint(1, 3)):
                serial += 1
                tokens.append(f"{TOKEN_PREFIX}{serial}")
            kill_after, kill_phase = None, None
            if rng.random() >= UNCUT_SHARE:
                if rng.random() < 0.5:  # anywhere in the session
                    kill_after = rng.uniform(0.0, span * 1.1)
                else:  # soon after a given step began, so short steps are hit as often as long ones
                    kill_phase = rng.choice(PHASES)
                    kill_after = rng.uniform(0.0, 0.015)
            on_upload = None
            if rng.random() < SERVER_KILL_SHARE:
                delay = rng.uniform(0.0, 0.05)

                def on_upload(delay: float = delay) -> None:
                    time.sleep(delay)
                    server.kill()
                    tally.server_kills += 1

            session, killed = run_session(
                kiosk_dir, tokens, kill_after=kill_after, kill_phase=kill_phase, on_upload=on_upload
            )
            if killed:
                tally.kiosk_kills[session.phase] += 1
            elif on_upload is None and session.ready_at is not None:
                span = 0.8 * span + 0.2 * (time.monotonic() - session.ready_at)
            _collect(session, tally, killed)
            tally.trials += 1
            if (trial + 1) % 50 == 0:
                progress(
                    f"{trial + 1} trials: receipts={len(tally.receipts)} server_kills={tally.server_kills}"
                    f" kiosk_kills={sum(tally.kiosk_kills.values())}"
                )
        _finish(server, kiosk_dir, tally)
    finally:
        server.stop()
    with Inbox(townhall_dir) as inbox:
        tally.record_inbox(
            (opened.meta.reference, str(opened.answers.get("message", "")))
            for opened in inbox.submissions(FORM_ID)
        )
    return tally


def _finish(server: Server, kiosk_dir: Path, tally: Tally) -> None:
    """The link comes back for good: sync until nothing waits (a few rounds at most)."""
    if not server.running:
        server.start()
        tally.server_starts += 1
    for _round in range(5):
        session, _ = run_session(kiosk_dir, [], kill_after=None)
        _collect(session, tally, killed=False)
        waiting = [line for line in session.lines if line.startswith("WAITING ")]
        tally.still_waiting = int(waiting[-1].split()[1]) if waiting else -1
        if tally.still_waiting == 0:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--dir", type=Path, help="keep the data here (default: a temporary folder)")
    args = parser.parse_args(argv)
    print(f"soak: {args.trials} trials, seed {args.seed}", flush=True)
    begun = time.monotonic()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        tally = soak(args.trials, seed=args.seed, work=args.dir, progress=lambda s: print(s, flush=True))
    else:
        with tempfile.TemporaryDirectory(prefix="rathaus-soak-") as work:
            tally = soak(args.trials, seed=args.seed, work=Path(work), progress=lambda s: print(s, flush=True))
    print(f"{tally.summary()} seconds={time.monotonic() - begun:.0f}")
    for failure in tally.child_failures[:10]:
        print(f"kiosk session failed: {failure}")
    print(tally.final_line(), flush=True)
    return 0 if tally.ok else 1


if __name__ == "__main__":
    sys.exit(main())
