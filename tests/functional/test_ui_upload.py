"""The kiosk screen and the upload: a new application leaves at once while the town hall is
reachable, and staff see how far a long upload has got."""

from __future__ import annotations

import threading

import pytest

from kiosk.config import KioskConfig, save_config
from kiosk.forms import FormSession
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
from kiosk.ui.messages import SubmissionQueued
from kiosk.ui.screens.staff import StaffScreen
from sync.embedded import start_embedded_server
from sync.outbox import SyncReport
from sync.progress import UploadProgress
from sync.server import create_app, open_storage

SCREEN_SIZE = (100, 40)
STAFF_PIN = "246813"  # the PIN the open_kiosk fixture sets
MESSAGE = {
    "topic": "strassen",
    "message": "Die Straßenlaterne vor Hausnummer 12 ist seit einer Woche dunkel.",
    "name": "Erika Mustermann",
    "wants_reply": False,
}


def _queue_message(runtime):
    form = runtime.form("nachricht")
    session = FormSession(form)
    while not session.at_review:
        session.answer(MESSAGE[session.current.id])
    return runtime.submit(form, session.answers())


async def _open_staff_screen(visitor) -> None:
    await visitor.press("f12")
    await visitor.type(STAFF_PIN)
    await visitor.press("enter")
    await _wait_until(visitor.pilot, lambda: isinstance(visitor.app.screen, StaffScreen))


async def _wait_until(pilot, condition, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the kiosk never got there")


@pytest.mark.slow
async def test_an_application_leaves_at_once_while_the_town_hall_is_reachable(enrol):
    kiosk_dir, townhall_dir = enrol("kiosk-at-once")
    with start_embedded_server(create_app(townhall_dir)) as server:
        # The timed round comes only once an hour: only "send at once" can deliver in time.
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=3600))
        with open_runtime(kiosk_dir) as runtime:
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=SCREEN_SIZE) as pilot:
                await app.workers.wait_for_complete()  # the round at start: nothing to send
                assert runtime.link_up
                queued = _queue_message(runtime)
                app.post_message(SubmissionQueued(queued))  # as the review screen does after "Absenden"
                await _wait_until(pilot, lambda: runtime.waiting_count() == 0)
                await app.workers.wait_for_complete()
    storage = open_storage(townhall_dir)
    try:
        assert [item.reference for item in storage.items()] == [queued.reference]
    finally:
        storage.close()


async def test_without_a_link_a_new_application_waits_for_the_timed_round(open_kiosk, monkeypatch):
    runtime = open_kiosk(server_url="http://127.0.0.1:9", sync_interval_seconds=3600)
    rounds = []
    real_sync = runtime.sync_now

    def counted(**options):
        rounds.append(real_sync(**options))
        return rounds[-1]

    monkeypatch.setattr(runtime, "sync_now", counted)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        await app.workers.wait_for_complete()
        assert len(rounds) == 1 and not runtime.link_up  # the round at start found no link
        app.post_message(SubmissionQueued(_queue_message(runtime)))
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        assert len(rounds) == 1  # no hammering at a link that is not there
        assert runtime.waiting_count() == 1


async def test_staff_see_applications_bytes_and_time_left_while_the_exchange_runs(open_kiosk, visitor_for, monkeypatch):
    runtime = open_kiosk(server_url="http://127.0.0.1:9", sync_interval_seconds=3600)
    release = threading.Event()

    def long_upload(**options):
        if "progress" not in options:
            return SyncReport(error="no link")  # the round at start
        options["progress"](UploadProgress(3, 200, 70_000, 120_000, 75.0))
        release.wait(20)
        return SyncReport(sent=200)

    monkeypatch.setattr(runtime, "sync_now", long_upload)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await app.workers.wait_for_complete()
        await _open_staff_screen(visitor)
        await visitor.press_button("Jetzt mit dem Rathaus abgleichen")
        try:
            await _wait_until(pilot, lambda: "Übertragung: 3 von 200 Anträgen" in visitor.text)
            assert "68 KB von 117 KB, noch etwa 2 Minuten" in visitor.text
        finally:
            release.set()
        await visitor.settle()
        assert "200 Anträge wurden an das Rathaus geschickt." in visitor.text


async def test_leaving_the_staff_screen_never_disturbs_a_running_upload(open_kiosk, visitor_for, monkeypatch):
    runtime = open_kiosk(server_url="http://127.0.0.1:9", sync_interval_seconds=3600)
    left, finished = threading.Event(), threading.Event()
    problems: list[Exception] = []

    def long_upload(**options):
        if "progress" not in options:
            return SyncReport(error="no link")  # the round at start
        options["progress"](UploadProgress(3, 200, 70_000, 120_000, 75.0))
        left.wait(20)
        try:
            options["progress"](UploadProgress(150, 200, 90_000, 120_000, 20.0))  # the screen is gone
        except Exception as exc:  # noqa: BLE001 - what the upload would die of
            problems.append(exc)
        finished.set()
        return SyncReport(sent=200)

    monkeypatch.setattr(runtime, "sync_now", long_upload)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await app.workers.wait_for_complete()
        await _open_staff_screen(visitor)
        await visitor.press_button("Jetzt mit dem Rathaus abgleichen")
        await _wait_until(pilot, lambda: "Übertragung" in visitor.text)
        await visitor.press("escape")  # staff walk back to the kiosk while it runs
        await pilot.pause()
        left.set()
        await _wait_until(pilot, finished.is_set)
        await app.workers.wait_for_complete()
    assert problems == []


async def test_an_application_queued_during_a_round_gets_a_round_right_after_it(open_kiosk, monkeypatch):
    runtime = open_kiosk(server_url="http://127.0.0.1:9", sync_interval_seconds=3600)
    first_round_may_end = threading.Event()
    rounds: list[int] = []

    def sync_now(**options):
        rounds.append(len(rounds) + 1)
        if len(rounds) == 1:
            first_round_may_end.wait(20)  # e.g. already past its uploads, fetching answers
        return SyncReport()

    monkeypatch.setattr(runtime, "sync_now", sync_now)
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        await _wait_until(pilot, lambda: rounds == [1])
        app.post_message(SubmissionQueued(_queue_message(runtime)))
        await pilot.pause(0.1)
        assert rounds == [1]  # one exchange at a time
        first_round_may_end.set()
        await _wait_until(pilot, lambda: rounds == [1, 2])  # not an hour later
        await app.workers.wait_for_complete()
