"""An unchanged calendar is not sent again: a kiosk on a poor mobile link asks every minute, and its
calendar (quota, answers of 60 days, sealed vaccination records of 180 days) can be large. The
same version with no entries means "unchanged" (docs/booking.md §10); the kiosk keeps what it has."""

from __future__ import annotations

import json
import shutil

from sync.envelope.calendar import CALENDAR


def test_the_same_calendar_version_is_answered_without_its_entries(town):  # noqa: F811
    from kiosk.runtime import open_runtime
    from sync.allowlist import Allowlist
    from sync.downloads import apply_download, download_request
    from sync.keys import load_townhall_keys
    from sync.server.downloads import answer_download_request
    from sync.server.storage import open_storage

    townhall_dir, kiosk_dir = town

    def exchange(runtime) -> bytes:
        request = download_request(runtime.store, runtime.kiosk_keys)
        with open_storage(townhall_dir) as storage:
            answer = answer_download_request(
                storage, Allowlist(townhall_dir), request,
                townhall=load_townhall_keys(townhall_dir, need_encryption=False), townhall_dir=townhall_dir,
            )
        apply_download(answer, store=runtime.store, kiosk=runtime.kiosk_keys, kiosk_dir=kiosk_dir)
        return answer

    with open_runtime(kiosk_dir) as runtime:
        first = exchange(runtime)
        held = runtime.store.channel_entries(CALENDAR)
        assert any(entry["kind"] == "quota" for entry in held)
        second = exchange(runtime)
        assert len(second) < len(first) - 500  # the quota and days are not in it again
        assert runtime.store.channel_entries(CALENDAR) == held  # and the kiosk still has them all
        assert runtime.store.channel_state(CALENDAR).version == 1


from tests.functional.test_ui_booking import town  # noqa: E402,F401  (fixture)
