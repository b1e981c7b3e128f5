"""The kiosk's copy of the town hall's warnings snapshot (table ``warnings``, channel ``warnings``).

A snapshot replaces the whole table in the transaction that records its version and as-of time,
so the kiosk never shows half an old and half a new snapshot. Entries are stored as the JSON the
town hall signed (already checked); reading them back is the caller's job.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlite_utils

WARNINGS_CHANNEL = "warnings"


def replace_warnings(db: sqlite_utils.Database, entries: Iterable[Mapping[str, Any]], *, rank: Any) -> int:
    """Hold exactly ``entries`` from now on; ``rank(entry)`` is its severity for ordering."""
    db.execute("DELETE FROM warnings")
    rows = [
        (position, str(entry["identifier"]), int(rank(entry)), entry.get("expires"), json.dumps(entry, ensure_ascii=False, sort_keys=True))
        for position, entry in enumerate(entries)
    ]
    db.conn.executemany(
        "INSERT INTO warnings (position, identifier, severity_rank, expires, entry) VALUES (?, ?, ?, ?, ?)", rows
    )
    return len(rows)


def warning_entries(db: sqlite_utils.Database) -> list[object]:
    """The entries held, most severe first, in the town hall's order within a severity."""
    return [
        json.loads(row[0])
        for row in db.execute("SELECT entry FROM warnings ORDER BY severity_rank DESC, position")
    ]
