"""Helpers of the property-based attack tests (fixtures are in conftest.py).

Each suite runs a few seconds in CI. A long run multiplies every suite's example count:

    RATHAUS_FUZZ_SCALE=50 python -m pytest -q tests/fuzz
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import httpx
from hypothesis import HealthCheck, settings

from sync.envelope import ItemMeta, build_batch, seal_item
from sync.keys import KioskKeys, TownhallKeys

SCALE = float(os.environ.get("RATHAUS_FUZZ_SCALE", "1"))


def fuzz_settings(examples: int) -> settings:
    """``examples`` in CI, times ``RATHAUS_FUZZ_SCALE`` for a long run; no per-example deadline
    (a loaded CI machine is slow, and slowness is measured in bench/, not here)."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@dataclass
class Town:
    """A town hall with an enrolled kiosk ``a``, a second enrolled kiosk ``b``, a kiosk ``x`` that
    was never approved and a kiosk ``r`` that was revoked (its key stolen)."""

    townhall_dir: Path
    townhall: TownhallKeys
    a: KioskKeys
    b: KioskKeys
    x: KioskKeys
    r: KioskKeys

    def sealed(self, kiosk_id: str, reference: str, message: str = "Die Bank am Teich ist kaputt.") -> bytes:
        meta = ItemMeta(
            form_id="nachricht",
            form_version="1.0",
            form_hash="a" * 64,
            kiosk_id=kiosk_id,
            reference=reference,
            captured_at="2026-03-02T09:15:00Z",
        )
        return seal_item(meta, {"topic": "lob", "message": message, "wants_reply": False},
                         self.townhall.public.encryption)

    def batch(self, kiosk: KioskKeys, items: list[bytes], *, sequence: int = 1,
              signing_key=None, kiosk_id: str | None = None) -> bytes:
        return build_batch(
            items,
            kiosk_id=kiosk_id or kiosk.kiosk_id,
            sequence=sequence,
            signing_key=signing_key or kiosk.signing,
            recipient_key_id=self.townhall.public.encryption_key_id,
        )


class Endpoint:
    """The server app through httpx.ASGITransport, driven from a plain (non-async) test."""

    def __init__(self, app) -> None:
        self._loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://townhall")

    def request(self, method: str, path: str, **options) -> httpx.Response:
        return self._loop.run_until_complete(self.client.request(method, path, **options))

    def send(self, request: httpx.Request) -> httpx.Response:
        return self._loop.run_until_complete(self.client.send(request))

    def close(self) -> None:
        self._loop.run_until_complete(self.client.aclose())
        self._loop.close()
