"""The kiosk's and the town hall's databases hold sealed applications and the town hall's answers:
readable by the service's user only, even when first created from a shell with umask 022."""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager

import pytest

from kiosk.store import open_store
from sync.server.storage import SqliteStorage
from sync.server.upload_store import UploadStore


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def modes_while_open(path) -> dict[str, int]:
    return {p.name: mode(p) for p in path.parent.iterdir() if p.name.startswith(path.name)}


def test_a_new_kiosk_database_and_its_log_files_are_the_owners_only(tmp_path):
    path = tmp_path / "kiosk" / "kiosk.db"
    with umask(0o022):
        with open_store(path) as store:
            store.record_sync()
            seen = modes_while_open(path)
    assert "kiosk.db-wal" in seen
    assert seen and set(seen.values()) == {0o600}, seen


@pytest.mark.parametrize("opener, name", [(SqliteStorage, "townhall.db"), (UploadStore, "uploads.db")])
def test_the_town_halls_databases_are_the_owners_only(tmp_path, opener, name):
    path = tmp_path / "townhall" / name
    with umask(0o022):
        storage = opener(path)
        seen = modes_while_open(path)
        storage.close()
    assert set(seen.values()) == {0o600}, seen


def test_a_kiosk_database_an_older_version_left_readable_to_all_is_narrowed(tmp_path):
    path = tmp_path / "kiosk.db"
    open_store(path).close()
    os.chmod(path, 0o644)
    with open_store(path) as store:
        assert store.waiting_count() == 0
    assert mode(path) == 0o600


def test_the_staff_accounts_and_their_log_files_are_the_owners_only(tmp_path):
    """Password hashes and session tokens pass through staff.db's write-ahead log: it must not be
    made 0644 before the database file is narrowed (a staff folder left 0755 would show it)."""
    from argon2 import PasswordHasher

    from sync.workplace.accounts import AccountStore

    path = tmp_path / "townhall" / "staff" / "staff.db"
    path.parent.mkdir(parents=True, mode=0o755)
    with umask(0o022):
        accounts = AccountStore(path, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        seen = modes_while_open(path)
        accounts.close()
    assert "staff.db-wal" in seen
    assert set(seen.values()) == {0o600}, seen


def test_an_assistance_register_an_older_version_left_readable_to_all_is_narrowed(tmp_path):
    """Volunteers' names and powers of attorney: a register left 0644 is made 0600 when opened."""
    from sync.assistance.registry import Registry

    path = tmp_path / "assistance.db"
    with umask(0o022):
        Registry(path).close()
        os.chmod(path, 0o644)
        registry = Registry(path)
        seen = modes_while_open(path)
        registry.close()
    assert set(seen.values()) == {0o600}, seen


def test_a_backup_and_a_restored_database_are_never_readable_to_all_while_written(tmp_path, monkeypatch):
    """The records go into a file that is already 0600: a file made with the umask's 0644 and
    narrowed afterwards can be read by anyone while the backup is written."""
    import sqlite3

    from sync.server import backup as backups

    townhall = tmp_path / "townhall"
    SqliteStorage(townhall / "townhall.db").close()
    out = tmp_path / "backup.sqlite"
    modes_when_opened = []
    real_connect = sqlite3.connect

    def watching_connect(target, *args, **kwargs):
        conn = real_connect(target, *args, **kwargs)
        if str(target) == str(out):
            modes_when_opened.append(mode(out))
        return conn

    monkeypatch.setattr(backups.sqlite3, "connect", watching_connect)
    with umask(0o022):
        backups.backup(townhall, out)
        restored = tmp_path / "restored"
        restored.mkdir()
        backups.restore(restored, out)
    assert modes_when_opened and modes_when_opened[0] == 0o600  # the backup's target, when first opened
    assert mode(out) == 0o600 and mode(restored / "townhall.db") == 0o600


def test_a_backup_never_replaces_a_link(tmp_path):
    from kiosk.errors import RathausError
    from sync.server import backup as backups

    townhall = tmp_path / "townhall"
    SqliteStorage(townhall / "townhall.db").close()
    target = tmp_path / "elsewhere"
    target.write_bytes(b"keep")
    (tmp_path / "backup.sqlite").symlink_to(target)
    with pytest.raises(RathausError):
        backups.backup(townhall, tmp_path / "backup.sqlite")
    assert target.read_bytes() == b"keep"
