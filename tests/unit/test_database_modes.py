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
