"""Backing up and restoring the town hall's records: ``rathaus database backup/restore``.

The records hold applications only in their sealed form, so a backup holds them sealed too: whoever
gets hold of a backup file reads receipt codes, services and times, but no answer without the town
hall's private encryption key, which is never part of it (back that key up apart, offline; see
deploy/server/README.md).

- **PostgreSQL** (a district's database, every town in it): ``pg_dump`` in its custom format, the
  tool every IT service already runs and checks; restored with ``pg_restore`` in one transaction
  into a fresh, empty database. Uncompressed: sealed bytes do not compress, and a backup that can
  be searched shows at once that no answer is in it in plain text.
- **SQLite** (a single town): SQLite's online backup of ``townhall.db`` into one file, consistent
  even while the server writes; restored by copying it back while the server is stopped.

The half-finished uploads are left out on purpose: kiosks send again whatever was not acknowledged.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator
from sync.server.database import database_config, redacted

UPLOAD_TABLES = ("uploads", "upload_chunks", "finished_uploads")
_TIMEOUT_SECONDS = 6 * 3600


def _tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: the newest from Debian's postgresql packages, else on PATH."""
    _ = translator(language_from_environment())
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if candidates:
        return str(candidates[-1])
    found = shutil.which(name)
    if found is None:
        raise RathausError(_("{tool} is missing: install the Debian package postgresql-client.").format(tool=name))
    return found


def _run(command: list[str], what: str) -> None:
    _ = translator(language_from_environment())
    result = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise RathausError(
            _("The {what} did not succeed: {reason}").format(what=what, reason=result.stderr.strip()[-400:])
        )


def backup(townhall_dir: Path, out: Path) -> Path:
    """Write a backup of the town hall's records to ``out`` (refused if it exists)."""
    _ = translator(language_from_environment())
    config = database_config(townhall_dir)
    if not _create_private(out):
        raise RathausError(_("{path} exists already; a backup never overwrites a file.").format(path=out))
    try:
        if config.is_postgres:
            command = [_tool("pg_dump"), "--format=custom", "--compress=0", "--no-owner", "--no-privileges",
                       f"--file={out}", "--dbname", config.url]
            command += [f"--exclude-table-data={table}" for table in UPLOAD_TABLES]
            _run(command, _("backup of {database}").format(database=redacted(config.url or "")))  # type: ignore[arg-type]
        else:
            source = sqlite3.connect(Path(townhall_dir) / "townhall.db")
            target = sqlite3.connect(out)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
    except BaseException:
        out.unlink(missing_ok=True)  # the empty or half-written file we made, never someone else's
        raise
    return out


def _create_private(path: Path) -> bool:
    """Create ``path`` empty and readable by its owner only, before a byte of the records goes into
    it (a file made 0644 and narrowed afterwards is readable to all while it is written);
    ``False`` when something is there already, a link included."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return False
    os.fchmod(fd, 0o600)
    os.close(fd)
    return True


def restore(townhall_dir: Path, backup_file: Path) -> None:
    """Restore a backup into the town hall's database, which must be fresh and empty (a restore
    never mixes with or overwrites records that are there)."""
    _ = translator(language_from_environment())
    if not backup_file.is_file():
        raise RathausError(_("The backup {path} does not exist.").format(path=backup_file))
    config = database_config(townhall_dir)
    if config.is_postgres:
        import psycopg

        with psycopg.connect(config.url) as conn:  # type: ignore[arg-type]
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()[0]
        if tables:
            raise RathausError(
                _("The database {database} is not empty. Restore into a freshly created database.").format(
                    database=redacted(config.url or "")
                )
            )
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
             "--dbname", config.url, str(backup_file)],  # type: ignore[list-item]
            _("restore into {database}").format(database=redacted(config.url or "")),
        )
        return
    target = Path(townhall_dir) / "townhall.db"
    if target.exists():
        raise RathausError(
            _("{path} exists. Stop the server and move it aside before restoring.").format(path=target)
        )
    check = sqlite3.connect(backup_file)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise RathausError(_("The backup {path} is damaged.").format(path=backup_file))
    except sqlite3.DatabaseError:
        raise RathausError(_("The backup {path} is damaged.").format(path=backup_file)) from None
    finally:
        check.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not _create_private(target):
        raise RathausError(
            _("{path} exists. Stop the server and move it aside before restoring.").format(path=target)
        )
    try:
        with open(backup_file, "rb") as source, open(target, "r+b") as copy:
            shutil.copyfileobj(source, copy)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
