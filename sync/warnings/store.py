"""The town hall's record of official warnings: every alert imported, what ended which, and how
fresh the record is (``<data-dir>/warnings/warnings.db``, SQLite, WAL).

Alerts are kept by CAP's identity (sender, identifier), so importing the same file twice changes
nothing. An ``Update`` or ``Cancel`` marks the alerts it references as ended, also when those arrive
later (feeds are not always in order). ``as_of`` is the start of the last import run that read every
configured source; a run with a failing feed keeps the earlier time, so kiosks show the older
"Stand" and, once it is older than their limit, say the warnings are not current. The import and
the server use the file at the same time: every change is one ``BEGIN IMMEDIATE`` transaction.

An alert a feed read completely no longer lists is withdrawn (table ``gone``), and back when the
feed lists it again.

``version`` (the channel's version, docs/downloads.md §11) is ``as_of`` in seconds, or later when
the record changed after it (``rathaus warnings import FILE``, or a run whose feed failed, still
adds warnings): a snapshot with other contents always has another version, so an older answer
replayed to a kiosk (a second USB stick) can never make it forget a warning it was sent.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sync.warnings.alerts import (
    Alert,
    alert_from_json,
    alert_to_json,
    ends_referenced,
    is_active,
    parse_utc,
    utc_text,
)

DB_NAME = "warnings.db"
KEEP_EXPIRED_DAYS = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    sender TEXT NOT NULL,
    identifier TEXT NOT NULL,
    sent TEXT NOT NULL,
    expires TEXT,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (sender, identifier)
);
CREATE TABLE IF NOT EXISTS ended (
    sender TEXT NOT NULL,
    identifier TEXT NOT NULL,
    ended_by TEXT NOT NULL,
    PRIMARY KEY (sender, identifier)
);
CREATE TABLE IF NOT EXISTS gone (
    sender TEXT NOT NULL,
    identifier TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (sender, identifier)
);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    last_ok_at TEXT,
    last_error TEXT,
    last_error_at TEXT
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class SourceState:
    name: str
    last_ok_at: str | None
    last_error: str | None
    last_error_at: str | None


class WarningsStore:
    """Alerts, endings and freshness; one connection, short transactions."""

    def __init__(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / DB_NAME
        self._conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=10, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "WarningsStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, statements: list[tuple[str, list[object]]]) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, args in statements:
                self._conn.execute(sql, args)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------------

    def add(self, alert: Alert, *, source: str, now: dt.datetime) -> bool:
        """Keep one alert (and what it ends); ``False`` if it was held already."""
        known = self._conn.execute(
            "SELECT entry FROM alerts WHERE sender = ? AND identifier = ?", list(alert.key)
        ).fetchone()
        entry = json.dumps(alert_to_json(alert), ensure_ascii=False, sort_keys=True)
        changed = known is None or known[0] != entry
        statements: list[tuple[str, list[object]]] = [
            (
                "INSERT OR REPLACE INTO alerts (sender, identifier, sent, expires, source, imported_at, entry)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    alert.sender, alert.identifier, alert.sent, alert.expires, source[:300], utc_text(now), entry,
                ],
            )
        ]
        if ends_referenced(alert):
            ended = self.ended_keys()
            changed = changed or any((sender, identifier) not in ended for sender, identifier, _ in alert.references)
            for sender, identifier, _sent in alert.references:
                statements.append(
                    (
                        "INSERT OR IGNORE INTO ended (sender, identifier, ended_by) VALUES (?, ?, ?)",
                        [sender, identifier, alert.identifier],
                    )
                )
        if changed:  # kiosks must be able to tell this record from the one before
            mark = max(self._version_at_least() + 1, int(now.timestamp()))
            statements.append(("INSERT OR REPLACE INTO state (key, value) VALUES ('changed', ?)", [str(mark)]))
        self._write(statements)
        return known is None

    def record_source(self, name: str, *, ok_at: dt.datetime | None = None, error: str | None = None) -> None:
        now = utc_text(ok_at or dt.datetime.now(dt.timezone.utc))
        if error is None:
            sql = (
                "INSERT INTO sources (name, last_ok_at) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET last_ok_at = excluded.last_ok_at"
            )
            self._write([(sql, [name[:300], now])])
        else:
            sql = (
                "INSERT INTO sources (name, last_error, last_error_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET last_error = excluded.last_error,"
                " last_error_at = excluded.last_error_at"
            )
            self._write([(sql, [name[:300], error[:500], now])])

    def withdraw_unlisted(self, source: str, listed: set[tuple[str, str]], *, now: dt.datetime) -> int:
        """A feed read completely lists what its issuer currently publishes: alerts kept from it
        that it no longer lists are withdrawn (MoWaS warnings have no end time, and a Cancel can
        be missed while a link is down); one it lists again is back. Returns how many changed."""
        rows = self._conn.execute("SELECT sender, identifier FROM alerts WHERE source = ?", [source[:300]]).fetchall()
        from_source = {(str(a), str(b)) for a, b in rows}
        gone = {(str(a), str(b)) for a, b in self._conn.execute("SELECT sender, identifier FROM gone")}
        withdrawn = (from_source - listed) - gone
        back = gone & listed
        if not withdrawn and not back:
            return 0
        statements: list[tuple[str, list[object]]] = [
            ("INSERT OR IGNORE INTO gone (sender, identifier, source) VALUES (?, ?, ?)", [a, b, source[:300]])
            for a, b in sorted(withdrawn)
        ] + [("DELETE FROM gone WHERE sender = ? AND identifier = ?", [a, b]) for a, b in sorted(back)]
        mark = max(self._version_at_least() + 1, int(now.timestamp()))
        statements.append(("INSERT OR REPLACE INTO state (key, value) VALUES ('changed', ?)", [str(mark)]))
        self._write(statements)
        return len(withdrawn) + len(back)

    def complete_run(self, started: dt.datetime) -> None:
        """Every configured source was read: the record is as of ``started``."""
        self._write(
            [("INSERT OR REPLACE INTO state (key, value) VALUES ('as_of', ?)", [utc_text(started)])]
        )

    def prune(self, now: dt.datetime) -> int:
        """Forget alerts expired more than ``KEEP_EXPIRED_DAYS`` ago, and the endings their Updates
        and Cancels made (the alerts they ended are gone by then as well)."""
        limit = utc_text(now - dt.timedelta(days=KEEP_EXPIRED_DAYS))
        cursor = self._conn.execute("SELECT COUNT(*) FROM alerts WHERE expires IS NOT NULL AND expires < ?", [limit])
        count = int(cursor.fetchone()[0])
        if count:
            self._write(
                [
                    ("DELETE FROM alerts WHERE expires IS NOT NULL AND expires < ?", [limit]),
                    # an ending is kept as long as the Update or Cancel that made it
                    ("DELETE FROM ended WHERE ended_by NOT IN (SELECT identifier FROM alerts)", []),
                    ("DELETE FROM gone WHERE identifier NOT IN (SELECT identifier FROM alerts)", []),
                ]
            )
        return count

    # -- reading ---------------------------------------------------------------------------------

    def as_of(self) -> str | None:
        row = self._conn.execute("SELECT value FROM state WHERE key = 'as_of'").fetchone()
        return None if row is None else str(row[0])

    def _version_at_least(self) -> int:
        as_of = self.as_of()
        row = self._conn.execute("SELECT value FROM state WHERE key = 'changed'").fetchone()
        return max(0 if as_of is None else int(parse_utc(as_of).timestamp()), 0 if row is None else int(row[0]))

    def version(self) -> int:
        """The channel version of the record: 0 before a complete import, else ``as_of`` in
        seconds or, when the record changed after that, later (see the module text)."""
        return 0 if self.as_of() is None else self._version_at_least()

    def snapshot(self, at: dt.datetime) -> tuple[list[Alert], str | None, int]:
        """``current(at)``, ``as_of`` and ``version`` read together (one read transaction, so an
        import running meanwhile is seen wholly or not at all)."""
        self._conn.execute("BEGIN")
        try:
            return self.current(at), self.as_of(), self.version()
        finally:
            self._conn.execute("COMMIT")

    def sources(self) -> list[SourceState]:
        return [SourceState(*row) for row in self._conn.execute(
            "SELECT name, last_ok_at, last_error, last_error_at FROM sources ORDER BY name"
        )]

    def alerts(self) -> list[Alert]:
        return [
            alert_from_json(json.loads(row[0]), position)
            for position, row in enumerate(self._conn.execute("SELECT entry FROM alerts ORDER BY sent, identifier"))
        ]

    def ended_keys(self) -> set[tuple[str, str]]:
        """Alerts ended by an Update or Cancel, or withdrawn from the feed they came from."""
        ended = {(str(s), str(i)) for s, i in self._conn.execute("SELECT sender, identifier FROM ended")}
        return ended | {(str(s), str(i)) for s, i in self._conn.execute("SELECT sender, identifier FROM gone")}

    def current(self, at: dt.datetime) -> list[Alert]:
        """Alerts not ended by an Update or Cancel and not expired at ``at`` (any status: the
        rules of ``sync.warnings.alerts`` decide what citizens see)."""
        ended = self.ended_keys()
        return [a for a in self.alerts() if a.key not in ended and is_active(a, at)]


def as_of_datetime(text: str | None) -> dt.datetime | None:
    return None if text is None else parse_utc(text)
