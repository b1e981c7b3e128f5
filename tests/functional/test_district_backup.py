"""Backup and restore of the town hall's records: the backup holds applications sealed only, and
a restore into a fresh database gives staff back every application to open and answer."""

from __future__ import annotations

import secrets

import pytest

from kiosk.cli import main
from kiosk.refcode import new_reference
from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, build_batch, seal_item
from sync.inbox import Inbox
from sync.intake import receive_batch
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from sync.server.database import DATABASE_ENV, TOWN_ENV
from sync.server.storage import open_storage

pytestmark = pytest.mark.slow

SECRET_ANSWER = "Erika Quimby-Ostermann, Lindenweg 7"


def _town_with_one_application(tmp_path) -> tuple:
    townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk_dir, kiosk_id="kiosk-a", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-a"))
    kiosk, townhall = load_kiosk_keys(kiosk_dir), load_townhall_keys(townhall_dir, need_encryption=False)
    reference = new_reference()
    item = seal_item(
        ItemMeta("nachricht", "1", "0" * 64, "kiosk-a", reference, "2026-03-02T09:15:00Z"),
        {"message": SECRET_ANSWER},
        townhall.public.encryption,
        kiosk.signing,
    )
    batch = build_batch([item], kiosk_id="kiosk-a", sequence=1, signing_key=kiosk.signing,
                        recipient_key_id=townhall.public.encryption_key_id)
    with open_storage(townhall_dir) as storage:
        receive_batch(storage, Allowlist(townhall_dir), batch, townhall=townhall)
    with Inbox(townhall_dir) as inbox:
        first = inbox.set_status(reference, "in_progress", "Wir sind dran.")
    return townhall_dir, reference, first


def _restored_town_works(townhall_dir, reference, first_status) -> None:
    with Inbox(townhall_dir) as inbox:
        opened = inbox.open(reference)
        assert opened.answers["message"] == SECRET_ANSWER
        assert opened.origin is not None and "kiosk-a" in opened.origin.note("en")  # signature checked
        assert [s.status for s in inbox.history(reference)] == ["in_progress"]
        later = inbox.set_status(reference, "accepted", "")
    assert later.serial > first_status.serial  # kiosks' cursors stay valid after a restore


def test_a_postgres_backup_restored_into_a_fresh_database_opens_in_the_inbox(postgres_server, tmp_path, monkeypatch, capsys):
    name = secrets.token_hex(4)
    source = postgres_server.create_database(f"live_{name}")
    monkeypatch.setenv(DATABASE_ENV, source)
    monkeypatch.setenv(TOWN_ENV, "tangerhuette")
    townhall_dir, reference, first = _town_with_one_application(tmp_path)
    backup_file = tmp_path / "rathaus.dump"

    assert main(["database", "backup", str(backup_file), "--data-dir", str(townhall_dir)]) == 0

    dump = backup_file.read_bytes()
    assert reference.encode() in dump  # the records are in it (a plain, searchable dump) ...
    assert SECRET_ANSWER.encode() not in dump  # ... but every answer only sealed
    assert backup_file.stat().st_mode & 0o077 == 0
    monkeypatch.setenv(DATABASE_ENV, postgres_server.create_database(f"restored_{name}"))
    assert main(["database", "restore", str(backup_file), "--data-dir", str(townhall_dir)]) == 0
    _restored_town_works(townhall_dir, reference, first)
    # A restore never mixes with records already there.
    assert main(["database", "restore", str(backup_file), "--data-dir", str(townhall_dir)]) == 1
    assert "nicht leer" in capsys.readouterr().err


def test_an_sqlite_backup_restored_into_an_empty_data_directory_opens_in_the_inbox(tmp_path, monkeypatch):
    monkeypatch.delenv(DATABASE_ENV, raising=False)
    townhall_dir, reference, first = _town_with_one_application(tmp_path)
    backup_file = tmp_path / "townhall-backup.db"

    assert main(["database", "backup", str(backup_file), "--data-dir", str(townhall_dir)]) == 0
    assert SECRET_ANSWER.encode() not in backup_file.read_bytes()
    (townhall_dir / "townhall.db").rename(tmp_path / "lost.db")
    for leftover in townhall_dir.glob("townhall.db-*"):
        leftover.unlink()
    assert main(["database", "restore", str(backup_file), "--data-dir", str(townhall_dir)]) == 0
    _restored_town_works(townhall_dir, reference, first)
