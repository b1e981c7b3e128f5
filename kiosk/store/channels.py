"""The kiosk's record of each download channel: the version it holds and the town hall's as-of
time, and the entries of channels that keep no table of their own.

Version and as-of time only ever move forward, so an old answer replayed or applied twice never
makes the kiosk claim older data as newer. These functions run inside the caller's transaction,
so a channel's version changes together with the rows it describes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlite_utils

from kiosk.store.records import ChannelState


def channel_state(db: sqlite_utils.Database, name: str) -> ChannelState:
    """What is held of channel ``name``; version 0 and no as-of time when nothing yet."""
    row = db.execute("SELECT version, as_of FROM channels WHERE name = ?", [name]).fetchone()
    if row is None:
        return ChannelState(name, 0, None)
    return ChannelState(name, int(row[0]), row[1])


def all_channels(db: sqlite_utils.Database) -> dict[str, ChannelState]:
    return {
        str(row[0]): ChannelState(str(row[0]), int(row[1]), row[2])
        for row in db.execute("SELECT name, version, as_of FROM channels ORDER BY name")
    }


def advance_channel(
    db: sqlite_utils.Database, name: str, *, version: int | None = None, as_of: str | None = None
) -> None:
    """Raise the version and the as-of time of ``name`` where the new ones are later."""
    if version is not None and version < 0:
        raise ValueError("a channel version is never negative")
    db.execute(
        "INSERT INTO channels (name, version, as_of) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET"
        " version = MAX(version, excluded.version),"
        " as_of = CASE WHEN as_of IS NULL OR excluded.as_of > as_of"
        " THEN COALESCE(excluded.as_of, as_of) ELSE as_of END",
        [name, version or 0, as_of],
    )


def replace_entries(db: sqlite_utils.Database, name: str, entries: Iterable[object]) -> None:
    """A snapshot: the channel holds exactly ``entries`` (JSON values) from now on."""
    advance_channel(db, name)
    db.execute("DELETE FROM channel_entries WHERE channel = ?", [name])
    db.conn.executemany(
        "INSERT INTO channel_entries (channel, position, entry) VALUES (?, ?, ?)",
        [
            (name, position, json.dumps(entry, sort_keys=True, ensure_ascii=False))
            for position, entry in enumerate(entries)
        ],
    )


def entries(db: sqlite_utils.Database, name: str) -> list[object]:
    return [
        json.loads(row[0])
        for row in db.execute(
            "SELECT entry FROM channel_entries WHERE channel = ? ORDER BY position", [name]
        )
    ]
