"""Database files for the service's user only, whatever the umask of whoever starts it first.

Shared by the kiosk's store and the town hall's databases (which must not import the kiosk store).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DATABASE_MODE = 0o600  # sealed applications and the town hall's answers: for the service's user only
_COMPANIONS = ("-wal", "-shm", "-journal")


def create_private(path: Path) -> None:
    """Make sure the database file exists readable and writable by its owner only, whatever the
    umask of the shell that first starts the program (SQLite itself creates it 0644 less the umask,
    and its write-ahead log and shared-memory files take the database file's mode).

    A file left 0644 by an older version is narrowed to 0600 (with its companions); a link or
    anything other than a regular file at ``path`` is left for SQLite to refuse or use as it is.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, DATABASE_MODE)
    except FileExistsError:
        for name in (str(path), *(str(path) + suffix for suffix in _COMPANIONS)):
            try:
                info = os.lstat(name)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and info.st_mode & 0o077:
                os.chmod(name, DATABASE_MODE)
        return
    try:
        os.fchmod(fd, DATABASE_MODE)
    finally:
        os.close(fd)
