"""The staff PIN: long enough, kept as Argon2id in a private file, and guessed at F12 only a few
times a day, however often the window is opened or the kiosk restarted."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from types import SimpleNamespace

import pytest

from kiosk import staff_access
from kiosk.config import CONFIG_NAME, KioskConfig, load_config, save_config
from kiosk.errors import RathausError
from kiosk.pin import check_new_pin, needs_rehash, verify_pin
from kiosk.store import open_store

PIN = "246813"
NOW = 1_900_000_000.0


def scrypt_hash(pin: str) -> str:
    """The form kiosks wrote before Argon2id."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


@pytest.fixture(scope="module")
def argon2_hash():
    return KioskConfig().with_staff_pin(PIN).staff_pin_hash


@pytest.fixture
def kiosk(tmp_path, argon2_hash):
    """What the PIN check needs of a running kiosk: its settings, folder and store."""

    def make(staff_pin_hash: str = argon2_hash):
        config = KioskConfig(municipality="Tangerhütte", staff_pin_hash=staff_pin_hash)
        save_config(tmp_path, config)
        store = open_store(tmp_path / "kiosk.db")
        opened.append(store)
        return SimpleNamespace(config=config, data_dir=tmp_path, store=store)

    opened: list = []
    yield make
    for store in opened:
        store.close()


@pytest.mark.parametrize("short", ["2468", "12345", "24 68 13", "٢٤٦٨١٣", ""])
def test_a_new_pin_needs_six_digits(short):
    with pytest.raises(RathausError, match="6 bis 32 Ziffern|6 to 32 digits"):
        KioskConfig().with_staff_pin(short)


def test_a_new_pin_is_kept_as_argon2id_and_checked(argon2_hash):
    assert argon2_hash.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
    assert PIN not in argon2_hash
    assert verify_pin(PIN, argon2_hash)
    assert not verify_pin("246814", argon2_hash)
    assert not needs_rehash(argon2_hash)
    check_new_pin("12345678901234567890")  # longer PINs are welcome


def test_settings_file_is_private_and_written_atomically(tmp_path, argon2_hash):
    old_umask = os.umask(0o022)  # the usual default, which made the file 0644
    try:
        path = save_config(tmp_path, KioskConfig(staff_pin_hash=argon2_hash))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [CONFIG_NAME]  # no temporary file left behind
    assert load_config(tmp_path).staff_pin_hash == argon2_hash


def test_an_existing_readable_settings_file_is_made_private(tmp_path):
    path = tmp_path / CONFIG_NAME
    path.write_text('municipality = "Tangerhütte"\n', encoding="utf-8")
    path.chmod(0o644)
    assert load_config(tmp_path).municipality == "Tangerhütte"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_older_kiosks_scrypt_pin_still_opens_once_and_becomes_argon2id(kiosk):
    runtime = kiosk(scrypt_hash("2468"))  # set up before PINs had to be longer
    check = staff_access.try_staff_pin(runtime, "2468", now=NOW)
    assert check.opened and check.pin_too_short
    stored = load_config(runtime.data_dir).staff_pin_hash
    assert stored.startswith("$argon2id$") and runtime.config.staff_pin_hash == stored
    assert verify_pin("2468", stored)
    assert load_config(runtime.data_dir).municipality == "Tangerhütte"  # nothing else changed
    assert staff_access.try_staff_pin(runtime, "2468", now=NOW + 1).opened


def test_a_wrong_pin_on_an_older_kiosk_changes_nothing(kiosk):
    old = scrypt_hash("2468")
    runtime = kiosk(old)
    assert not staff_access.try_staff_pin(runtime, "1357", now=NOW).opened
    assert load_config(runtime.data_dir).staff_pin_hash == old


def test_the_wait_grows_with_every_wrong_pin_and_the_right_one_ends_it(kiosk):
    runtime = kiosk()
    now = NOW
    for left in (2, 1):
        check = staff_access.try_staff_pin(runtime, "000000", now=now)
        assert (check.opened, check.wait_seconds, check.attempts_before_wait) == (False, 0, left)
    waits = []
    for _ in range(7):
        check = staff_access.try_staff_pin(runtime, "000000", now=now)
        waits.append(check.wait_seconds)
        assert staff_access.try_staff_pin(runtime, PIN, now=now + check.wait_seconds - 1).wait_seconds == 1
        now += check.wait_seconds
    assert waits == [60, 120, 240, 480, 900, 900, 900]
    assert staff_access.try_staff_pin(runtime, PIN, now=now).opened
    assert staff_access.seconds_to_wait(runtime.store, now) == 0
    assert staff_access.try_staff_pin(runtime, "000000", now=now).attempts_before_wait == 2


def test_the_count_survives_reopening_the_store(kiosk):
    runtime = kiosk()
    for _ in range(3):
        staff_access.try_staff_pin(runtime, "000000", now=NOW)
    runtime.store.close()
    with open_store(runtime.data_dir / "kiosk.db") as reopened:
        assert staff_access.seconds_to_wait(reopened, NOW + 10) == 50


def test_a_clock_set_back_never_makes_the_wait_longer_than_its_step(kiosk):
    runtime = kiosk()
    for _ in range(3):
        staff_access.try_staff_pin(runtime, "000000", now=NOW)
    month_earlier = NOW - 30 * 24 * 3600
    assert staff_access.seconds_to_wait(runtime.store, month_earlier) == 60
    assert staff_access.seconds_to_wait(runtime.store, month_earlier + 59) == 1
    assert staff_access.seconds_to_wait(runtime.store, month_earlier + 60) == 0  # and it does end


def test_a_damaged_count_locks_for_the_longest_step_and_then_lets_staff_in(kiosk):
    from kiosk.store.settings import PIN_FAILURES, set_setting

    runtime = kiosk()
    set_setting(runtime.store.db, PIN_FAILURES, "many")  # not a number: written by someone else
    assert staff_access.seconds_to_wait(runtime.store, NOW) == 900
    assert staff_access.seconds_to_wait(runtime.store, NOW + 900) == 0
    assert staff_access.try_staff_pin(runtime, PIN, now=NOW + 900).opened


def test_a_day_without_wrong_pins_starts_the_count_afresh(kiosk):
    runtime = kiosk()
    for _ in range(4):
        staff_access.try_staff_pin(runtime, "000000", now=NOW)
    later = NOW + 2 * 24 * 3600
    assert staff_access.seconds_to_wait(runtime.store, later) == 0
    assert staff_access.try_staff_pin(runtime, "000000", now=later).attempts_before_wait == 2


def test_a_kiosk_without_pin_counts_nothing(kiosk):
    runtime = kiosk("")
    check = staff_access.try_staff_pin(runtime, "000000", now=NOW)
    assert check.no_pin and not check.opened
    assert runtime.store.pin_failures().count == 0
