"""A throwaway PostgreSQL server for the tests and the ingest benchmark.

Debian's ``postgresql`` package brings the server binaries (``/usr/lib/postgresql/<version>/bin``)
without us having to touch the system's own cluster: ``initdb`` makes a fresh data directory in a
temporary folder, ``pg_ctl`` starts a server on a Unix socket in that folder and on 127.0.0.1 at a
free port, and ``stop`` removes all of it. PostgreSQL refuses to run as root, so as root (as in CI)
the server runs as the ``postgres`` user from the package, with the folder owned by that user.

``ThrowawayPostgres.start`` raises ``PostgresUnavailable`` with a reason naming the Debian package
when the binaries are missing or the server does not come up. Only the first (``installed`` false)
may become a skip: where the package is installed, the tests must run, so a server that does not
come up is a failure to see, never a silent skip (``tests/conftest.py``).

A fresh machine must not make it fail by chance: the free port picked may be taken by someone else
before the server binds it (then it starts again on another), and as root the folder must be one
the ``postgres`` user can reach (``/tmp`` first, else ``/var/tmp``, else that user's home).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_SECONDS = 30.0
PACKAGE_NOTE = "needs Debian package postgresql"
PACKAGE_REASON = f"{PACKAGE_NOTE} (PostgreSQL server binaries in /usr/lib/postgresql)"


START_ATTEMPTS = 3
# Where root makes the folder for the server run as ``postgres`` (then that user's home).
ROOT_FOLDER_PARENTS = ("/tmp", "/var/tmp")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be run here; the message says why. ``installed`` is false only
    where the Debian package (its binaries, its ``postgres`` user) is missing."""

    def __init__(self, message: str, *, installed: bool = True) -> None:
        super().__init__(message)
        self.installed = installed


def server_binaries() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/<version>/bin`` with initdb and pg_ctl."""
    found = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _make_folder(run_as: str | None) -> Path:
    """A fresh folder for the data directory and socket. As root, one the ``postgres`` user can
    reach and write: ``/tmp`` may be closed to it (a hardened or container ``/tmp``), and TMPDIR
    often is (a user's own temporary folder)."""
    if run_as is None:
        folder = Path(tempfile.mkdtemp(prefix="rathaus-pg-"))
        (folder / "socket").mkdir()
        return folder
    tried = []
    for parent in (*ROOT_FOLDER_PARENTS, pwd.getpwnam(run_as).pw_dir):
        if not os.path.isdir(parent):
            continue
        folder = Path(tempfile.mkdtemp(prefix="rathaus-pg-", dir=parent))
        (folder / "socket").mkdir()
        for path in (folder, folder / "socket"):
            shutil.chown(path, user=run_as, group=None)
        probe = subprocess.run(["runuser", "-u", run_as, "--", "test", "-w", str(folder / "socket")],
                               capture_output=True, timeout=30)
        if probe.returncode == 0:
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        tried.append(parent)
    raise PostgresUnavailable(f"{PACKAGE_NOTE}: the {run_as} user can write in none of {', '.join(tried)}")


@dataclass
class ThrowawayPostgres:
    """A running throwaway server; ``url`` connects as its superuser ``postgres`` (trust auth)."""

    folder: Path
    port: int
    bin_dir: Path
    run_as: str | None

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def socket_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    @classmethod
    def start(cls, *, fsync: bool = False) -> "ThrowawayPostgres":
        """Make a data directory and start a server in it; ``fsync=False`` for tests (faster,
        and a throwaway server need not survive a power cut)."""
        bin_dir = server_binaries()
        if bin_dir is None:
            raise PostgresUnavailable(PACKAGE_REASON, installed=False)
        run_as = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    f"{PACKAGE_NOTE}: no postgres user to run it as (root may not)", installed=False
                ) from None
            run_as = "postgres"
        folder = _make_folder(run_as)
        server = cls(folder=folder, port=_free_port(), bin_dir=bin_dir, run_as=run_as)
        try:
            server._init()
            for attempt in range(START_ATTEMPTS):
                try:
                    server._start(fsync=fsync)
                    break
                except PostgresUnavailable:
                    # Most often the port was taken between picking and binding it: another one.
                    if attempt == START_ATTEMPTS - 1:
                        raise
                    server.port = _free_port()
        except PostgresUnavailable:
            server.stop()
            raise
        return server

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return [*prefix, *args]

    def _init(self) -> None:
        data = self.folder / "data"
        result = subprocess.run(
            self._command(
                str(self.bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--locale=C", "--no-sync",
            ),
            capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"{PACKAGE_NOTE}: initdb failed: {result.stderr.strip()[-500:]}")

    def _start(self, *, fsync: bool) -> None:
        data = self.folder / "data"
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
            f"-c max_connections=200 -c shared_buffers=32MB"
        )
        if not fsync:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = subprocess.run(
            self._command(
                str(self.bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "server.log"),
                "-o", options, "-w", "-t", str(int(START_TIMEOUT_SECONDS)), "start",
            ),
            capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS + 10,
        )
        if result.returncode != 0:
            log = (self.folder / "server.log")
            tail = log.read_text(errors="replace")[-500:] if log.exists() else result.stderr
            raise PostgresUnavailable(f"{PACKAGE_NOTE}: PostgreSQL did not start: {tail.strip()}")

    def create_database(self, name: str) -> str:
        """A fresh empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        self._stop_only()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _stop_only(self) -> None:
        """Stop the server at once, keeping its data (``_start`` brings it back, as after an outage)."""
        data = self.folder / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(
                self._command(str(self.bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"),
                capture_output=True, timeout=60,
            )

