"""The whole journey: typed at the kiosk, sealed, carried (network or stick), read and answered by
the town hall, and the answer found again at the kiosk with the receipt code."""

from __future__ import annotations

import pytest

from kiosk.config import KioskConfig, save_config
from kiosk.forms import FormSession
from kiosk.runtime import open_runtime
from kiosk.store import OutboxState
from sync.allowlist import Allowlist
from sync.embedded import start_embedded_server
from sync.inbox import Inbox
from sync.server import create_app, open_storage
from sync.usb import kiosk_collect_replies, kiosk_export, townhall_import

pytestmark = pytest.mark.usefixtures("server_database")  # on SQLite and on PostgreSQL

TYPED = {
    "topic": "strassen",
    "message": "Der Gehweg in der Lindenstraße 7 ist seit dem Sturm gesperrt.",
    "name": "Zacharias Quimby-Ostermann",
    "wants_reply": True,
    "reply_by": "telefon",
    "reply_phone": "03935 123456",
}


def fill(form, typed):
    session = FormSession(form, lang="de")
    while not session.at_review:
        session.answer(typed[session.current.id])
    return session.answers()


@pytest.fixture
def places(enrol):
    return enrol("bibliothek-1")


def submit_message(kiosk_dir):
    runtime = open_runtime(kiosk_dir)
    form = runtime.form("nachricht")
    answers = fill(form, TYPED)
    queued = runtime.submit(form, answers)
    return runtime, queued, answers


def all_bytes_under(folder):
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
def test_round_trip_over_the_network_with_a_real_server(places):
    kiosk_dir, townhall_dir = places
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url))
        runtime, queued, answers = submit_message(kiosk_dir)
        with runtime:
            assert runtime.waiting_count() == 1
            # Nothing the citizen typed is readable on the kiosk's disk.
            raw = all_bytes_under(kiosk_dir)
            for value in ("Quimby-Ostermann", "Lindenstraße", "03935 123456"):
                assert value.encode() not in raw

            report = runtime.sync_now(lang="de")
            assert report.error is None and report.sent == 1
            assert runtime.waiting_count() == 0
            assert runtime.lookup(queued.reference, "de").state is OutboxState.ACKNOWLEDGED

            inbox = Inbox(townhall_dir)
            opened = inbox.open(queued.reference)
            assert opened.answers == answers
            inbox.set_status(queued.reference, "appointment_confirmed", "Termin: Dienstag, 1.12., 10:30 Uhr")

            report = runtime.sync_now(lang="de")
            assert report.error is None and report.statuses == 1
            typed_back = queued.reference.lower()[:3] + " " + queued.reference[3:]
            view = runtime.lookup(typed_back, "de")
            assert view.status == "appointment_confirmed"
            assert view.message == "Termin: Dienstag, 1.12., 10:30 Uhr"

            # A second sync sends nothing again and the town hall still holds one copy.
            assert runtime.sync_now(lang="de").sent == 0
    storage = open_storage(townhall_dir)
    try:
        assert storage.counts().items == 1
    finally:
        storage.close()


def test_round_trip_on_a_usb_stick(places, tmp_path):
    kiosk_dir, townhall_dir = places
    stick = tmp_path / "stick"
    stick.mkdir()
    runtime, queued, answers = submit_message(kiosk_dir)
    from sync.keys import load_kiosk_keys, load_pinned_townhall, load_townhall_keys

    kiosk_keys, pinned = load_kiosk_keys(kiosk_dir), load_pinned_townhall(kiosk_dir)
    townhall_keys = load_townhall_keys(townhall_dir, need_encryption=False)
    with runtime:
        out = kiosk_export(stick, runtime.store, kiosk=kiosk_keys, townhall=pinned)
        assert (out.batches_written, out.items_written) == (1, 1)
        assert b"Quimby-Ostermann" not in all_bytes_under(stick)

        storage = open_storage(townhall_dir)
        try:
            received = townhall_import(stick, storage, Allowlist(townhall_dir), townhall=townhall_keys)
            assert received.batches_received == 1 and not received.problems
            # The same stick imported twice stores nothing new.
            again = townhall_import(stick, storage, Allowlist(townhall_dir), townhall=townhall_keys)
            assert again.batches_received == 0
            assert storage.counts().items == 1
        finally:
            storage.close()

        inbox = Inbox(townhall_dir)
        assert inbox.open(queued.reference).answers == answers
        inbox.set_status(queued.reference, "needs_information", "Bitte rufen Sie uns an: 03935 9999.")

        storage = open_storage(townhall_dir)
        try:
            # The stick's status request was answered on the first import; a fresh request comes
            # with the next export.
            kiosk_collect_replies(stick, runtime.store, kiosk=kiosk_keys, townhall=pinned)
            kiosk_export(stick, runtime.store, kiosk=kiosk_keys, townhall=pinned)
            townhall_import(stick, storage, Allowlist(townhall_dir), townhall=townhall_keys)
        finally:
            storage.close()
        back = kiosk_collect_replies(stick, runtime.store, kiosk=kiosk_keys, townhall=pinned)
        assert back.statuses_applied == 1 and not back.problems
        view = runtime.lookup(queued.reference, "de")
        assert view.status == "needs_information"
        assert runtime.waiting_count() == 0


def test_a_half_written_or_tampered_file_on_the_stick_is_rejected_plainly(places, tmp_path):
    kiosk_dir, townhall_dir = places
    stick = tmp_path / "stick"
    stick.mkdir()
    runtime, _queued, _answers = submit_message(kiosk_dir)
    from sync.keys import load_kiosk_keys, load_pinned_townhall, load_townhall_keys

    with runtime:
        kiosk_export(stick, runtime.store, kiosk=load_kiosk_keys(kiosk_dir), townhall=load_pinned_townhall(kiosk_dir))
    batch_file = next(stick.rglob("*.batch"))
    data = bytearray(batch_file.read_bytes())
    data[len(data) // 2] ^= 0x01
    batch_file.write_bytes(bytes(data))
    (batch_file.parent / "00000009-cut.batch.part").write_bytes(bytes(data[:100]))

    storage = open_storage(townhall_dir)
    try:
        report = townhall_import(
            stick, storage, Allowlist(townhall_dir), townhall=load_townhall_keys(townhall_dir, need_encryption=False)
        )
        assert report.batches_received == 0
        assert storage.counts().items == 0 and storage.counts().batches == 0
    finally:
        storage.close()
    assert len(report.problems) == 2
    assert any("half-written" in p or "halb" in p for p in report.problems)
    assert any("rejected" in p or "abgelehnt" in p for p in report.problems)
