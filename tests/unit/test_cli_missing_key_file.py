"""A town hall or kiosk that lost one key file: every command names that file and says to restore
``keys/`` from the backup; none of them sends staff round in a circle to ``init``."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import refcode
from kiosk.cli import main
from kiosk.forms import builtin_forms_dir, load_form
from sync.envelope import ItemMeta, item_digest, seal_item
from sync.keys import init_kiosk, init_townhall, load_townhall_public, townhall_public_keys_path
from sync.server.storage import BatchRecord, ItemRecord, open_storage

RESTORE = "aus der Sicherung wieder her"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_restore_line(code: int, err: str, missing: Path) -> None:
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(missing) in err and RESTORE in err
    assert "init-" not in err  # never new keys beside the old ones


@pytest.fixture(autouse=True)
def no_server_is_started(monkeypatch):
    def refuse(host: str, port: int):
        raise AssertionError("the server must not start with half a key set")

    monkeypatch.setattr("sync.cli_server._listen", refuse)


@pytest.fixture
def townhall(tmp_path) -> Path:
    directory = tmp_path / "townhall"  # the default town-hall folder of every test (conftest)
    init_townhall(directory, name="Einheitsgemeinde Tangerhütte")
    return directory


@pytest.fixture
def code(townhall) -> str:
    """One application that has arrived, so inbox commands have something to work on."""
    form = load_form(builtin_forms_dir() / "nachricht.toml")
    reference = refcode.new_reference()
    public = load_townhall_public(townhall_public_keys_path(townhall))
    meta = ItemMeta(form.id, form.version, form.content_hash, "kiosk-lueder", reference, "2026-03-02T09:15:00Z")
    sealed = seal_item(meta, {"message": "Hallo"}, public.encryption)
    item = ItemRecord(
        reference, item_digest(sealed), "b" * 32, "kiosk-lueder", form.id, form.version,
        form.content_hash, meta.captured_at, "2026-03-02T10:00:00Z", sealed,
    )
    with open_storage(townhall) as storage:
        storage.store_batch(BatchRecord("b" * 32, "kiosk-lueder", 1, "2026-03-02T09:30:00Z", item.received_at, (item.digest,)), [item])
    return reference


TOWNHALL_COMMANDS = [
    ["server", "--port", "18080"],
    ["keys", "init-townhall", "--name", "Tangerhütte"],
    ["keys", "show"],
    ["inbox", "list"],
    ["inbox", "status", "{code}", "accepted"],
]


@pytest.mark.parametrize("lost", ["townhall-signing.key", "townhall.json"])
@pytest.mark.parametrize("argv", TOWNHALL_COMMANDS, ids=lambda argv: " ".join(argv[:2]))
def test_a_town_hall_missing_one_key_file_is_told_to_restore_it(capsys, townhall, code, lost, argv):
    missing = townhall / "keys" / lost
    missing.unlink()
    result, _out, err = run(capsys, *[part.format(code=code) for part in argv], "--data-dir", str(townhall))
    assert_restore_line(result, err, missing)


def test_a_town_hall_missing_its_encryption_key_is_told_to_restore_it(capsys, townhall, code):
    missing = townhall / "keys" / "townhall-encryption.key"
    missing.unlink()
    for argv in (["keys", "init-townhall", "--name", "Tangerhütte"], ["inbox", "show", code]):
        result, _out, err = run(capsys, *argv)
        assert_restore_line(result, err, missing)
    # The fingerprints still show (a server-only computer has no encryption key), with a note.
    result, out, _err = run(capsys, "keys", "show", "--data-dir", str(townhall))
    assert result == 0
    assert "Hinweis" in out and str(missing) in out


def test_two_missing_files_are_both_named(capsys, townhall):
    keys = townhall / "keys"
    (keys / "townhall-signing.key").unlink()
    (keys / "townhall.json").unlink()
    result, _out, err = run(capsys, "keys", "init-townhall", "--name", "Tangerhütte")
    assert_restore_line(result, err, keys / "townhall-signing.key")
    assert str(keys / "townhall.json") in err


@pytest.fixture
def kiosk(tmp_path, townhall) -> Path:
    directory = tmp_path / "kiosk"  # the default kiosk folder of every test (conftest)
    init_kiosk(directory, kiosk_id="kiosk-lueder", townhall_public=townhall_public_keys_path(townhall))
    return directory


@pytest.mark.parametrize("lost", ["kiosk-signing.key", "kiosk.json", "townhall.json"])
@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "show"],
        ["keys", "init-kiosk", "--kiosk-id", "kiosk-lueder", "--townhall-keys", "{townhall_json}"],
        ["sync"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_kiosk_missing_one_key_file_is_told_to_restore_it(capsys, townhall, kiosk, lost, argv):
    missing = kiosk / "keys" / lost
    missing.unlink()
    townhall_json = str(townhall_public_keys_path(townhall))
    result, _out, err = run(capsys, *[part.format(townhall_json=townhall_json) for part in argv], "--data-dir", str(kiosk))
    assert_restore_line(result, err, missing)


def test_a_complete_key_set_is_still_never_overwritten(capsys, townhall):
    result, _out, err = run(capsys, "keys", "init-townhall", "--name", "Tangerhütte")
    assert result == 1 and "hat bereits Schlüssel" in err


def test_the_server_in_a_mistyped_folder_asks_whether_the_data_directory_is_right(capsys, tmp_path):
    typo = tmp_path / "townhal"
    result, _out, err = run(capsys, "server", "--data-dir", str(typo))
    assert result == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"rathaus server: In {typo} ist kein Rathaus eingerichtet. Stimmt der Datenordner")
    assert err.index("Datenordner") < err.index("init-townhall")  # the likely typo first, new keys last
    assert not typo.exists()
