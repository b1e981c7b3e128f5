"""The kiosk's end of the audit chain: append an entry, hand the unsent ones to the next batch.

Rows are written by ``append`` inside the caller's transaction (so "submitted" is recorded in the
same step as the application it names); the table's triggers refuse any change of an entry, and
its deletion unless the town hall has acknowledged the batch that carried it and it is not the
last one (migration ``0007_assisted_mode``). Entries the town hall holds are forgotten here after
``KEEP_DAYS`` (``forget_delivered``, when an acknowledgement arrives); the last one always stays,
because the next entry names its hash. The chain rule itself is ``assisted_mode.audit``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from assisted_mode.audit import MAX_ENTRIES_PER_BATCH, AuditEntry, next_entry


@dataclass(frozen=True)
class PendingAudit:
    """What the next batch carries: entries not sent yet, and the chain's latest number and hash
    (the batch builder signs them with the kiosk's key)."""

    entries: tuple[AuditEntry, ...]
    head_seq: int
    head_hash: str


def _row_entry(row) -> AuditEntry:  # type: ignore[no-untyped-def]
    seq, at, action, actor, reference, prev = row
    return AuditEntry(int(seq), str(at), str(action), str(actor), str(reference), str(prev))


_COLUMNS = "seq, at, action, actor, reference, prev"


def last_entry(db: sqlite_utils.Database) -> tuple[AuditEntry, str] | None:
    row = db.execute(f"SELECT {_COLUMNS}, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else (_row_entry(row[:6]), str(row[6]))


def append(
    db: sqlite_utils.Database, kiosk_id: str, *, at: str, action: str, actor: str, reference: str = ""
) -> AuditEntry:
    last = last_entry(db)
    entry, hash_ = next_entry(
        kiosk_id, last[0] if last else None, at=at, action=action, actor=actor, reference=reference
    )
    db.execute(
        f"INSERT INTO audit_log ({_COLUMNS}, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [entry.seq, entry.at, entry.action, entry.actor, entry.reference, entry.prev, hash_],
    )
    return entry


def unsent(db: sqlite_utils.Database, limit: int = MAX_ENTRIES_PER_BATCH) -> list[AuditEntry]:
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM audit_log WHERE batch_id IS NULL ORDER BY seq LIMIT ?", [limit]
    ).fetchall()
    return [_row_entry(row) for row in rows]


def entries(db: sqlite_utils.Database) -> list[AuditEntry]:
    return [_row_entry(row) for row in db.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq")]


def mark_sent(db: sqlite_utils.Database, batch_id: str, up_to: int) -> None:
    db.execute("UPDATE audit_log SET batch_id = ? WHERE batch_id IS NULL AND seq <= ?", [batch_id, up_to])


def pending(db: sqlite_utils.Database) -> PendingAudit | None:
    """``None`` while the kiosk has never recorded an on-behalf action (its batches stay format 1)."""
    last = last_entry(db)
    if last is None:
        return None
    waiting = unsent(db)
    if waiting and waiting[-1].seq != last[0].seq:  # more than one batch carries: head = last sent
        head = waiting[-1]
        return PendingAudit(tuple(waiting), head.seq, entry_hash_of(db, head.seq))
    return PendingAudit(tuple(waiting), last[0].seq, last[1])


def entry_hash_of(db: sqlite_utils.Database, seq: int) -> str:
    return str(db.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()[0])


KEEP_DAYS = 30
"""How long the kiosk keeps entries the town hall already holds (for staff on site to look at)."""


def kept_since(now: str) -> str:
    moment = dt.datetime.fromisoformat(now.replace("Z", "+00:00")) - dt.timedelta(days=KEEP_DAYS)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def forget_delivered(db: sqlite_utils.Database, *, before: str) -> int:
    """Delete entries older than ``before`` that an acknowledged batch carried, except the last."""
    return db.execute(
        "DELETE FROM audit_log WHERE at < ? AND seq < (SELECT MAX(seq) FROM audit_log)"
        " AND batch_id IN (SELECT batch_id FROM batches WHERE state = 'acknowledged')",
        [before],
    ).rowcount
