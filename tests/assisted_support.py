"""Set-up shared by the assisted-mode tests: a town hall with volunteers and powers, a kiosk that
has fetched them, and a cheap Argon2id so that enrolling a volunteer takes milliseconds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher, Type

from assisted_mode import credentials
from kiosk.config import KioskConfig, save_config
from kiosk.runtime import KioskRuntime, open_runtime
from sync.allowlist import Allowlist
from sync.assistance import open_registry
from sync.downloads import apply_download, download_request
from sync.keys import load_townhall_keys
from sync.server.downloads import answer_download_request
from sync.server.storage import open_storage

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


def cheap_argon2(monkeypatch) -> None:
    """The same algorithm with the smallest costs: tests check behaviour, not hardness."""
    from assisted_mode import pause

    monkeypatch.setattr(credentials, "_hasher", CHEAP_HASHER)
    monkeypatch.setattr(pause, "_cost", {"time_cost": 1, "memory_cost": 8, "parallelism": 1})


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class TownAndKiosk:
    townhall_dir: Path
    kiosk_dir: Path
    runtime: KioskRuntime

    def fetch(self) -> None:
        """The kiosk's downloads, as at its next exchange (network or stick, the same bytes)."""
        keys = load_townhall_keys(self.townhall_dir, need_encryption=False)
        request = download_request(self.runtime.store, self.runtime.kiosk_keys)
        with open_storage(self.townhall_dir) as storage:
            answer = answer_download_request(
                storage, Allowlist(self.townhall_dir), request, townhall=keys, townhall_dir=self.townhall_dir
            )
        apply_download(answer, store=self.runtime.store, kiosk=self.runtime.kiosk_keys, kiosk_dir=self.kiosk_dir)

    def registry(self):
        return open_registry(self.townhall_dir)


def town_and_kiosk(enrol, **settings) -> TownAndKiosk:
    kiosk_dir, townhall_dir = enrol("kiosk-lueder")
    save_config(kiosk_dir, KioskConfig(municipality="Einheitsgemeinde Tangerhütte", **settings))
    return TownAndKiosk(townhall_dir, kiosk_dir, open_runtime(kiosk_dir))
