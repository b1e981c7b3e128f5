"""Slowing down wrong tries at receipt code + date of birth, per code and per kiosk, kept in the store.

A date of birth has only some 40 000 possible values, so the kiosk must not let a stranger try them
all. Per code: three wrong tries are free, then every wrong one makes that code wait twice as long
(30 s, 1, 2, 4 … minutes, at most one hour). Per kiosk (also unknown codes, so codes cannot be
found by trying): ten free, then 1, 2, 4 … minutes, at most a quarter of an hour. A right answer
clears its code's count; a day without a wrong try forgets a count. The counts live in the store
(table ``wrong_tries``), so a restart or power cut does not reset them; the wall clock is used as
for the staff PIN, and a clock set back never makes anyone wait longer than one step.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

KIOSK_SCOPE = "kiosk"
FORGET_AFTER_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Policy:
    free: int
    first_wait: float
    longest_wait: float

    def wait_after(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.first_wait * 2 ** min(failures - self.free, 32), self.longest_wait)


PER_CODE = Policy(free=3, first_wait=30.0, longest_wait=3600.0)
PER_KIOSK = Policy(free=10, first_wait=60.0, longest_wait=900.0)
_clock = time.time


def code_scope(reference: str) -> str:
    return f"code:{reference}"


def _policy(scope: str) -> Policy:
    return PER_KIOSK if scope == KIOSK_SCOPE else PER_CODE


def seconds_to_wait(store, scopes: list[str], now: float | None = None) -> int:  # store: kiosk.store.Store
    """Whole seconds until a try may be made for all of ``scopes`` (0: now)."""
    now = _clock() if now is None else now
    longest = 0.0
    with store.transaction() as db:
        for scope in scopes:
            row = db.execute("SELECT failures, locked_until FROM wrong_tries WHERE scope = ?", [scope]).fetchone()
            if row is None or now - row[1] > FORGET_AFTER_SECONDS:
                continue
            step = _policy(scope).wait_after(int(row[0]))
            locked_until = float(row[1])
            if locked_until - now > step:  # the clock went back
                locked_until = now + step
                db.execute("UPDATE wrong_tries SET locked_until = ? WHERE scope = ?", [locked_until, scope])
            longest = max(longest, locked_until - now)
    return max(0, math.ceil(longest))


def record_wrong_try(store, scopes: list[str], now: float | None = None) -> None:
    now = _clock() if now is None else now
    with store.transaction() as db:
        for scope in scopes:
            row = db.execute("SELECT failures, locked_until FROM wrong_tries WHERE scope = ?", [scope]).fetchone()
            failures = 1 if row is None or now - row[1] > FORGET_AFTER_SECONDS else int(row[0]) + 1
            db.execute(
                "INSERT INTO wrong_tries (scope, failures, locked_until) VALUES (?, ?, ?)"
                " ON CONFLICT (scope) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
                [scope, failures, now + _policy(scope).wait_after(failures)],
            )


def clear(store, scope: str) -> None:
    with store.transaction() as db:
        db.execute("DELETE FROM wrong_tries WHERE scope = ?", [scope])
