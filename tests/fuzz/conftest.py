"""Fixtures of the property-based attack tests; helpers and the example budget are in support.py.

Keys are made once per module (the slow part); every test gets a fresh, empty town-hall database.
"""

from __future__ import annotations

import pytest

from sync.allowlist import Allowlist
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from tests.fuzz.support import Town


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Town:
    root = tmp_path_factory.mktemp("town")
    townhall_dir = root / "townhall"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    allowlist = Allowlist(townhall_dir)
    kiosks = {}
    for name in ("a", "b", "x", "r"):
        kiosk_dir = root / f"kiosk-{name}"
        init_kiosk(kiosk_dir, kiosk_id=f"kiosk-{name}", townhall_public=townhall_public_keys_path(townhall_dir))
        if name != "x":
            allowlist.approve(enrolment_request_path(kiosk_dir, f"kiosk-{name}"))
        kiosks[name] = load_kiosk_keys(kiosk_dir)
    allowlist.revoke("kiosk-r", reason="stolen")
    return Town(townhall_dir, load_townhall_keys(townhall_dir, need_encryption=False), **kiosks)

