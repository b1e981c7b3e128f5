"""A receipt look-up asks the town hall first: an answer given a moment ago shows at once, not
after the one-minute timer; without a link the kiosk shows what it holds and how recent it is."""

from __future__ import annotations

import socket
import threading

import pytest

from kiosk.config import KioskConfig, save_config
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
from kiosk.ui.wording import status_sentence
from sync.allowlist import Allowlist
from sync.embedded import start_embedded_server
from sync.inbox import Inbox
from sync.keys import enrolment_request_path, init_kiosk, init_townhall, townhall_public_keys_path
from sync.server import create_app
from tests.functional.test_ui_status import SCREEN_SIZE, look_up, open_status, send_message, wait_for_text


def said(runtime, code: str) -> str:
    """The sentence the status screen shows for what the kiosk holds about ``code``."""
    view = runtime.lookup(code, "de")
    return status_sentence(view, runtime.form(view.form_id).kind, "de", by_stick=False)


def set_up(tmp_path):
    townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk_dir, kiosk_id="kiosk-sync", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-sync"))
    return townhall_dir, kiosk_dir


@pytest.mark.slow
async def test_an_answer_set_at_the_town_hall_shows_at_the_next_look_up(tmp_path, visitor_for):
    townhall_dir, kiosk_dir = set_up(tmp_path)
    with start_embedded_server(create_app(townhall_dir)) as server:
        # The timer would come only in an hour: whatever shows up below came with the look-up.
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=3600))
        with open_runtime(kiosk_dir) as runtime:
            code = send_message(runtime)
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=SCREEN_SIZE) as pilot:
                visitor = visitor_for(pilot)
                await wait_for_text(visitor, "Alle Anträge sind beim Rathaus angekommen")  # at start
                await app.workers.wait_for_complete()

                Inbox(townhall_dir).set_status(code, "accepted", "Der Bescheid liegt im Bürgerbüro bereit.")
                await open_status(visitor)
                await look_up(visitor, code)
                await wait_for_text(visitor, "Der Bescheid liegt im Bürgerbüro bereit.", seconds=5)
                assert said(runtime, code) in visitor.text  # "approved", in the service's own words
                assert "Stand:" in visitor.text
                assert runtime.store.lookup(code).status == "accepted"


class SilentTownHall:
    """Takes connections on 127.0.0.1 and never answers: a link that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.accepted:
            connection.close()


@pytest.mark.slow
async def test_a_hanging_link_keeps_nobody_waiting_and_shows_what_the_kiosk_holds(tmp_path, visitor_for):
    townhall_dir, kiosk_dir = set_up(tmp_path)
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=3600))
        with open_runtime(kiosk_dir) as runtime:
            code = send_message(runtime)
            assert runtime.sync_now(lang="de").error is None
            Inbox(townhall_dir).set_status(code, "in_progress", "")
            assert runtime.fetch_answers(lang="de")
            as_of = runtime.answers_as_of()
    hanging = SilentTownHall()
    try:
        save_config(kiosk_dir, KioskConfig(server_url=hanging.url, sync_interval_seconds=3600))
        with open_runtime(kiosk_dir) as runtime:
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=SCREEN_SIZE) as pilot:
                visitor = visitor_for(pilot)
                await open_status(visitor)
                await look_up(visitor, code)
                await wait_for_text(visitor, said(runtime, code), seconds=10)
                assert "Stand:" in visitor.text
                assert "Einen Moment" not in visitor.text
                assert runtime.answers_as_of() == as_of
    finally:
        hanging.close()
