"""Who may open the staff screen: the staff PIN, with a lock-out that no window or restart resets.

Three wrong PINs in a row are free (a typo, a second typo, a slow third try). From the third on,
every wrong PIN makes F12 wait, twice as long each time: 1, 2, 4, 8 minutes, then 15 minutes at
most, so a stranger at the keyboard gets a few dozen guesses a day and not a million, while a
prankster can keep staff out for a quarter of an hour at worst. The right PIN starts the count
afresh; so does a day without a wrong one.

The same count guards the volunteers' sign-in and pause codes at the kiosk (``counted_attempt``
with a counter of their own), so every secret typed at the kiosk meets one lock-out rule.

The count and the waiting time live in the kiosk's SQLite store (``settings`` table), not in
memory and not in ``kiosk.toml``: the store is already written durably (one transaction,
``synchronous=FULL``) in the kiosk's private 0700 folder, it survives a restart and a power cut,
and ``kiosk.toml`` stays a file people edit, rewritten only when they change a setting. The waiting
time is wall-clock time, because monotonic time starts again at boot; a clock set back can never
make one wait longer than its step.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

from kiosk.config import load_config, save_config
from kiosk.errors import RathausError
from kiosk.pin import MIN_PIN_DIGITS, needs_rehash, rehash_pin, verify_pin

FREE_ATTEMPTS = 3
FIRST_WAIT_SECONDS = 60.0
LONGEST_WAIT_SECONDS = 15 * 60.0
FORGET_AFTER_SECONDS = 24 * 3600.0

log = logging.getLogger("rathaus.kiosk.staff")
_clock = time.time  # wall clock; tests move it forward


@dataclass(frozen=True)
class PinCheck:
    """The answer to one PIN typed at F12."""

    opened: bool
    wait_seconds: int = 0  # > 0: locked out; F12 can be tried again after this many seconds
    attempts_before_wait: int = 0  # wrong PINs still possible before the next wait
    no_pin: bool = False  # no PIN is set up at this kiosk
    pin_too_short: bool = False  # right, but shorter than a new PIN may be: staff should change it


def wait_after(failures: int) -> float:
    """How long F12 waits after ``failures`` wrong PINs in a row."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(FIRST_WAIT_SECONDS * 2 ** min(failures - FREE_ATTEMPTS, 32), LONGEST_WAIT_SECONDS)


STAFF_PIN = "staff_pin"


@dataclass(frozen=True)
class CountedAttempt:
    """One secret typed under a lock-out count (the staff PIN, a volunteer's sign-in, a pause code)."""

    accepted: bool
    wait_seconds: int = 0  # > 0: locked out for this many seconds
    attempts_before_wait: int = 0


def seconds_to_wait(store: Any, now: float | None = None, counter: str = STAFF_PIN) -> int:
    """Whole seconds until a PIN may be typed again (0: now)."""
    now = _clock() if now is None else now
    failures = store.pin_failures(counter)
    if failures.count == 0 or now - failures.locked_until > FORGET_AFTER_SECONDS:
        return 0
    step = wait_after(failures.count)
    if failures.locked_until - now > step:  # the clock went back: the wait starts again from now
        failures = replace(failures, locked_until=now + step)
        store.restart_pin_wait(failures, counter)
    return max(0, math.ceil(failures.locked_until - now))


def counted_attempt(
    store: Any,
    check: Callable[[], bool],
    now: float | None = None,
    counter: str = STAFF_PIN,
    *,
    right_clears: bool = True,
) -> CountedAttempt:
    """Run ``check`` (is the typed secret right?) under the lock-out named ``counter``.

    The try is counted before ``check`` runs, so pulling the plug meanwhile gives no free try;
    during a wait ``check`` is not run at all. The right secret starts the count afresh, unless
    ``right_clears`` is ``False``: where several people's secrets share one count (volunteers),
    one person's right secret must not give fresh guesses at another's, so it only takes back
    its own try and the count is forgotten after a day without a wrong one.
    """
    now = _clock() if now is None else now
    wait = seconds_to_wait(store, now, counter)
    if wait:
        return CountedAttempt(accepted=False, wait_seconds=wait)
    previous = store.pin_failures(counter)
    count = 0 if now - previous.locked_until > FORGET_AFTER_SECONDS else previous.count
    if count != previous.count:
        store.clear_pin_failures(counter)
    failures = store.record_pin_failure(lambda n: now + wait_after(n), counter)
    if not check():
        return CountedAttempt(
            accepted=False,
            wait_seconds=seconds_to_wait(store, now, counter),
            attempts_before_wait=max(0, FREE_ATTEMPTS - failures.count),
        )
    if right_clears or count == 0:
        store.clear_pin_failures(counter)
    else:
        store.restart_pin_wait(previous, counter)  # as before this try
    return CountedAttempt(accepted=True)


def try_staff_pin(runtime: Any, pin: str, now: float | None = None) -> PinCheck:
    """Check ``pin`` against the kiosk's staff PIN, counting it first, whatever the outcome.

    During a lock-out the PIN is not even looked at. A right PIN under an older hash (scrypt) or
    other costs is hashed again with today's Argon2id and saved, so the older form is used once.
    """
    now = _clock() if now is None else now
    stored = runtime.config.staff_pin_hash
    if not stored:
        return PinCheck(opened=False, no_pin=True)
    attempt = counted_attempt(runtime.store, lambda: verify_pin(pin, stored), now)
    if not attempt.accepted:
        return PinCheck(
            opened=False,
            wait_seconds=attempt.wait_seconds,
            attempts_before_wait=attempt.attempts_before_wait,
        )
    if needs_rehash(stored):
        _rehash(runtime, pin)
    return PinCheck(opened=True, pin_too_short=len(pin) < MIN_PIN_DIGITS)


def _rehash(runtime: Any, pin: str) -> None:
    """Replace the stored hash in the file as it is now (settings changed with ``rathaus
    configure`` since the kiosk started stay); a kiosk that cannot save keeps the old hash."""
    stored = runtime.config.staff_pin_hash
    new_hash = rehash_pin(pin)
    try:
        on_disk = load_config(runtime.data_dir)
        if on_disk.staff_pin_hash != stored:
            return  # a new PIN was set meanwhile; it is already Argon2id
        save_config(runtime.data_dir, replace(on_disk, staff_pin_hash=new_hash))
    except RathausError as exc:
        log.warning("the staff PIN could not be saved under Argon2id: %s", exc.detail or exc.message)
        return
    runtime.config = replace(runtime.config, staff_pin_hash=new_hash)
    log.info("the staff PIN is now kept as an Argon2id hash")
