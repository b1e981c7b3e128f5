"""Small facts the kiosk keeps between restarts: when it last reached the town hall and how many
wrong staff PINs were typed since the last right one (with the moment F12 may be tried again); how
far it has read each download channel is in ``kiosk.store.channels``. Values are text; callers
convert.

These functions run inside the caller's transaction, so a setting changes together with the rows
it describes.
"""

from __future__ import annotations

import sqlite_utils

LAST_SYNC_AT = "last_sync_at"
PIN_FAILURES = "staff_pin_failures"
PAUSE_SALT = "pause_salt"  # hex; the Argon2id salt of this kiosk's pause codes (kiosk.pause)
PIN_LOCKED_UNTIL = "staff_pin_locked_until"  # seconds since the epoch (wall clock: survives a restart)
LATEST_SIGNED_AT = "latest_signed_at"  # the latest created_at this kiosk signed a download request with


def get_setting(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def delete_setting(db: sqlite_utils.Database, key: str) -> None:
    db.execute("DELETE FROM settings WHERE key = ?", [key])
