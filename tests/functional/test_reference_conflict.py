"""A second, different application under a receipt code the town hall already holds from that
kiosk (a kiosk restored from an old backup draws codes again): the town hall does not store it
over the first and does not acknowledge it, the kiosk keeps it sealed and tells its staff, and
nothing is lost, over HTTP against the real server and by USB stick through the same intake."""

from __future__ import annotations

import itertools

import httpx
import pytest

from kiosk.refcode import new_reference
from kiosk.store import OutboxState, open_store
from sync.embedded import start_embedded_server
from sync.envelope import ItemMeta, item_digest, seal_item
from sync.keys import load_kiosk_keys, load_pinned_townhall
from sync.outbox import OutboxClient, RetryPolicy
from sync.server import create_app, open_storage
from sync.usb import kiosk_collect_replies, kiosk_export, townhall_import

HELD = new_reference()


@pytest.fixture
def kiosk(enrol, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, townhall_dir = enrol("kiosk-1")
    return {
        "dir": kiosk_dir,
        "townhall_dir": townhall_dir,
        "keys": load_kiosk_keys(kiosk_dir),
        "pinned": load_pinned_townhall(kiosk_dir),
    }


def _queue(store, kiosk, message: str) -> str:
    def seal(reference, captured_at):
        meta = ItemMeta("nachricht", "1.0", "ab" * 32, "kiosk-1", reference, captured_at)
        return seal_item(meta, {"message": message}, kiosk["pinned"].encryption)

    return store.queue_submission(form_id="nachricht", form_version="1.0", form_hash="ab" * 32, seal=seal).reference


def _codes_starting_with(monkeypatch, first: str) -> None:
    """The kiosk's next receipt code is ``first`` again (then fresh ones), as after a restore."""
    codes = itertools.chain([first], iter(new_reference, None))
    monkeypatch.setattr("kiosk.store.outbox.new_reference", lambda: next(codes))


def _sealed(store, reference: str) -> bytes | None:
    row = store.db.execute("SELECT sealed FROM outbox WHERE reference = ?", [reference]).fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


def _sync(store, kiosk, url: str):
    with OutboxClient(
        store, kiosk=kiosk["keys"], townhall=kiosk["pinned"], server_url=url,
        policy=RetryPolicy(attempts=1), sleep=lambda s: None, lang="en",
        timeouts=httpx.Timeout(10.0),
    ) as client:
        return client.sync_once()


@pytest.mark.slow
def test_over_http_a_second_item_under_a_held_code_is_not_acknowledged_and_stays_at_the_kiosk(kiosk, monkeypatch):
    app = create_app(kiosk["townhall_dir"])
    with start_embedded_server(app) as server:
        _codes_starting_with(monkeypatch, HELD)
        with open_store(kiosk["dir"] / "kiosk.db") as first_life:
            _queue(first_life, kiosk, "Die Laterne ist kaputt.")
            assert _sync(first_life, kiosk, server.url).sent == 1
        with open_storage(kiosk["townhall_dir"]) as storage:
            original = storage.item(HELD, "kiosk-1").digest

        # The kiosk's disk is restored from an old backup: it draws the same code for another person.
        _codes_starting_with(monkeypatch, HELD)
        with open_store(kiosk["dir"] / "restored.db") as store:
            assert _queue(store, kiosk, "Bitte um Rückruf.") == HELD
            other = _queue(store, kiosk, "Danke für den Winterdienst.")
            conflicting = _sealed(store, HELD)

            report = _sync(store, kiosk, server.url)

            assert report.ok and (report.sent, report.needing_attention) == (1, 1)
            assert store.lookup(other).state is OutboxState.ACKNOWLEDGED
            assert store.lookup(HELD).state is OutboxState.QUEUED  # not acknowledged, not deleted
            assert _sealed(store, HELD) == conflicting
            assert store.needing_attention() == [(HELD, "reference_conflict")]

            again = _sync(store, kiosk, server.url)  # the refused item is not sent round in a loop
            assert again.ok and (again.sent, again.acknowledged, again.needing_attention) == (0, 0, 1)
            assert _sealed(store, HELD) == conflicting

    with open_storage(kiosk["townhall_dir"]) as storage:
        counts = storage.counts()
        assert (counts.batches, counts.items, counts.refused) == (2, 2, 1)
        assert storage.item(HELD, "kiosk-1").digest == original != item_digest(conflicting)
        assert storage.item(other, "kiosk-1") is not None


def test_by_stick_the_same_rule_keeps_the_conflicting_item_and_tells_staff(kiosk, tmp_path, monkeypatch, caplog, capsys):
    from sync.allowlist import Allowlist
    from sync.keys import load_townhall_keys

    townhall = load_townhall_keys(kiosk["townhall_dir"], need_encryption=False)
    stick = tmp_path / "stick"
    stick.mkdir()

    def carry(store):
        kiosk_export(stick, store, kiosk=kiosk["keys"], townhall=kiosk["pinned"], lang="en")
        with open_storage(kiosk["townhall_dir"]) as storage:
            townhall_import(stick, storage, Allowlist(kiosk["townhall_dir"]), townhall=townhall, lang="en")
        return kiosk_collect_replies(stick, store, kiosk=kiosk["keys"], townhall=kiosk["pinned"], lang="en")

    _codes_starting_with(monkeypatch, HELD)
    with open_store(kiosk["dir"] / "kiosk.db") as first_life:
        _queue(first_life, kiosk, "Die Laterne ist kaputt.")
        assert carry(first_life).acks_applied == 1
    _codes_starting_with(monkeypatch, HELD)
    with open_store(kiosk["dir"] / "restored.db") as store:
        _queue(store, kiosk, "Bitte um Rückruf.")
        other = _queue(store, kiosk, "Danke für den Winterdienst.")
        conflicting = _sealed(store, HELD)

        with caplog.at_level("WARNING", logger="rathaus"):
            back = carry(store)

        assert back.acks_applied == 1
        assert any("not accepted by the town hall" in problem for problem in back.problems)
        assert store.lookup(other).state is OutboxState.ACKNOWLEDGED
        assert store.lookup(HELD).state is OutboxState.QUEUED and _sealed(store, HELD) == conflicting
        assert store.needing_attention() == [(HELD, "reference_conflict")]
        assert store.take_batch(lambda items, sequence, batch_id: b"x") is None
    # Staff at the town hall see the conflict in the log (no receipt code, nothing inside the item).
    assert "reference_conflict" in caplog.text and item_digest(conflicting) in caplog.text
    assert HELD not in caplog.text and "Rückruf" not in caplog.text
    with open_storage(kiosk["townhall_dir"]) as storage:
        assert storage.counts().refused == 1 and storage.counts().items == 2
    # and the staff's inbox list says so
    from kiosk.cli import main

    capsys.readouterr()
    assert main(["inbox", "list", "--all", "--data-dir", str(kiosk["townhall_dir"])]) == 0
    out = capsys.readouterr().out
    assert "1 application was refused" in out and "reference_conflict" in out
