"""A link whose spells up carry less than the first chunk: the kiosk's background rounds (one try
each, as the kiosk and the staff screen run them) must still get the batch through, round after
round, instead of starting every round with a chunk the link can never carry."""

from __future__ import annotations

import httpx
import pytest

from kiosk.config import KioskConfig, save_config
from kiosk.runtime import open_runtime
from sync.embedded import start_embedded_server
from sync.outbox import RetryPolicy
from sync.server import create_app, open_storage
from sync.uploader import FIRST_CHUNK

pytestmark = pytest.mark.slow

CARRIED = FIRST_CHUNK // 2  # the most one spell of the link carries in a request body


class ShortSpells(httpx.HTTPTransport):
    """Loopback to the real server, but a request body longer than the link carries between two
    drops is cut off on its way (as a drop does)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and len(request.content) > CARRIED:
            raise httpx.WriteError("link dropped mid-chunk", request=request)
        return super().handle_request(request)


def test_background_rounds_on_a_link_shorter_than_the_first_chunk_still_deliver(enrol, fill):
    kiosk_dir, townhall_dir = enrol("bibliothek-1")
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url))
        with open_runtime(kiosk_dir) as runtime:
            form = runtime.form("nachricht")
            answers = fill(form, {"topic": "strassen", "message": "Gehweg gesperrt. " * 60,
                                  "name": "Erika Mustermann", "wants_reply": False})
            references = [runtime.submit(form, answers).reference for _ in range(60)]
            for _round in range(8):  # bounded: the kiosk's timed rounds
                if not runtime.waiting_count():
                    break
                runtime.sync_now(lang="en", policy=RetryPolicy(attempts=1), transport=ShortSpells(),
                                 sleep=lambda seconds: None)
            waiting = runtime.waiting_count()
    storage = open_storage(townhall_dir)
    try:
        held = sorted(item.reference for item in storage.items())
    finally:
        storage.close()
    assert waiting == 0
    assert held == sorted(references)
