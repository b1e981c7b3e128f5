"""The kiosk's queue of sealed submissions: stored in one step, sent in batches, forgotten when safe.

Rows move ``queued → sent → acknowledged → answered``. Every change is one transaction, so a power
cut leaves either the whole change or none of it. A batch is built once and then resent unchanged
(same id, same bytes) until the town hall acknowledges it, so a lost acknowledgement never puts
the same submission into a second batch. After acknowledgement the sealed bytes are deleted and
the file is checkpointed: the kiosk keeps only the reference, the service, the state and the town
hall's answer, which is all the receipt look-up needs.

An item the town hall refused by name (``apply_ack``) goes back to QUEUED with its sealed bytes and
the refusal code: it is never lost, never sent again in a loop (``take_batch`` skips it), and
counted for staff (``needing_attention``).

The store holds no keys and does no encryption: ``seal`` and ``build`` callbacks do that in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import takewhile
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType

import sqlite_utils

from kiosk.errors import StoreError
from kiosk.i18n import language_from_environment, translator
from kiosk.refcode import new_reference
from kiosk.store.database import Transactions, connect, store_error
from kiosk.store.migrations import migrate
from kiosk.store.records import (
    ChannelState,
    OutboxState,
    PendingBatch,
    PinFailures,
    QueuedSubmission,
    ReceiptRecord,
    SettledBatch,
    StatusRecord,
    StatusView,
    utc_timestamp,
)
from kiosk.store import audit_log, channels
from kiosk.store import warnings as warning_rows
from kiosk.store.audit_log import PendingAudit
from kiosk.store.settings import (
    LAST_SYNC_AT,
    LATEST_SIGNED_AT,
    PAUSE_SALT,
    PIN_FAILURES,
    PIN_LOCKED_UNTIL,
    delete_setting,
    get_setting,
    set_setting,
)

DB_NAME = "kiosk.db"
STATUS_CHANNEL = "status"
_REFERENCE_ATTEMPTS = 50

Seal = Callable[[str, str], bytes]
"""``seal(reference, captured_at) -> sealed bytes``; runs inside the storing transaction."""

BuildBatch = Callable[..., bytes]
"""``build(sealed_items, sequence, batch_id) -> batch bytes``; runs inside the taking transaction.
Once the kiosk has an audit chain it is called with ``audit=PendingAudit`` too, which the batch
carries (docs/envelope.md 5.3)."""


@dataclass(frozen=True)
class AuditNote:
    """Record a ``submit`` in the audit chain in the same transaction as the application."""

    kiosk_id: str
    actor: str


def digest_of(sealed: bytes) -> str:
    """SHA-256 of the sealed bytes, kept after they are deleted to match the town hall's records."""
    return hashlib.sha256(sealed).hexdigest()


def open_store(path: Path) -> "Store":
    """Open the kiosk database at ``path`` (creating it and its folder), schema up to date."""
    path = Path(path)
    db = connect(path)
    try:
        migrate(db)
    except sqlite3.Error as exc:
        db.close()
        raise store_error(exc, path) from exc
    except BaseException:
        db.close()
        raise
    return Store(db, path)


_ITEM_FRAMING_BYTES = 4 + 67
"""What a batch adds per item: its length prefix and its digest in the header (hex, quoted)."""


def _first_within(rows: list, max_bytes: int) -> list:
    """The leading rows whose sealed items, framed, stay within ``max_bytes`` (at least one)."""
    total = 0
    for count, row in enumerate(rows):
        total += len(row[1]) + _ITEM_FRAMING_BYTES
        if total > max_bytes and count:
            return rows[:count]
    return rows


STAFF_PIN = "staff_pin"


def _counter_keys(counter: str) -> tuple[str, str]:
    """The two settings of a wrong-tries count; the staff PIN's keep their original names."""
    if counter == STAFF_PIN:
        return PIN_FAILURES, PIN_LOCKED_UNTIL
    return f"{counter}_failures", f"{counter}_locked_until"


class Store:
    """The outbox, its batches and the kiosk's small settings; safe to share between threads."""

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self.db = db
        self.path = Path(path)
        self._tx = Transactions(db, self.path)

    def transaction(self):  # type: ignore[no-untyped-def]
        """One write transaction, for modules that keep their own tables in this file
        (``kiosk.appointments``): ``with store.transaction() as db: ...``."""
        return self._tx.write()

    def reading(self):  # type: ignore[no-untyped-def]
        """A consistent read under the store's lock."""
        return self._tx.read()

    # -- storing -------------------------------------------------------------------------------

    def queue_submission(
        self,
        *,
        form_id: str,
        form_version: str,
        form_hash: str,
        seal: Seal,
        now: datetime | None = None,
        audit: AuditNote | None = None,
    ) -> QueuedSubmission:
        """Pick a fresh reference, seal with it and store the sealed bytes: one transaction.

        With ``audit`` the on-behalf submission enters the audit chain in that transaction too."""
        captured_at = utc_timestamp(now)
        with self._tx.write() as db:
            reference = self._unused_reference(db)
            sealed = seal(reference, captured_at)
            if not isinstance(sealed, bytes) or not sealed:
                raise TypeError("seal() must return the sealed item as non-empty bytes")
            position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM outbox").fetchone()[0]
            db.execute(
                "INSERT INTO outbox (reference, position, form_id, form_version, form_hash,"
                " captured_at, state, sealed, item_digest)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    reference,
                    position,
                    form_id,
                    form_version,
                    form_hash,
                    captured_at,
                    OutboxState.QUEUED.value,
                    sealed,
                    digest_of(sealed),
                ],
            )
            if audit is not None:
                audit_log.append(
                    db, audit.kiosk_id, at=captured_at, action="submit", actor=audit.actor,
                    reference=reference,
                )
        return QueuedSubmission(
            reference=reference,
            form_id=form_id,
            form_version=form_version,
            form_hash=form_hash,
            captured_at=captured_at,
            state=OutboxState.QUEUED,
        )

    def _unused_reference(self, db: sqlite_utils.Database) -> str:
        for _attempt in range(_REFERENCE_ATTEMPTS):
            candidate = new_reference()
            taken = db.execute("SELECT 1 FROM outbox WHERE reference = ?", [candidate]).fetchone()
            if taken is None:
                return candidate
        _ = translator(language_from_environment())
        raise StoreError(
            _("No free receipt code could be found. Please ask the town hall for help."),
            detail=f"{_REFERENCE_ATTEMPTS} reference collisions in a row",
        )

    # -- sending -------------------------------------------------------------------------------

    def take_batch(
        self,
        build: BuildBatch,
        *,
        max_items: int = 200,
        max_bytes: int | None = None,
        group_of: Callable[[bytes], str] | None = None,
    ) -> PendingBatch | None:
        """The batch to send now: the unacknowledged one again, or a new one of queued items.

        A new batch holds the oldest queued items, at most ``max_items`` of them and, when
        ``max_bytes`` is given, no more sealed bytes than that (but always at least one item);
        its bytes come from ``build`` and are stored together with the items' move to SENT in one
        transaction. ``None`` when nothing waits. With ``group_of`` a batch holds only the oldest
        items of one group (the town-hall key they are sealed for: items sealed before a key
        rotation go in a batch of their own).
        """
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        with self._tx.write() as db:
            pending = self._pending_batch(db)
            if pending is not None:
                return pending
            rows = db.execute(
                "SELECT reference, sealed FROM outbox WHERE state = ? AND refused_code IS NULL"
                " ORDER BY position LIMIT ?",
                [OutboxState.QUEUED.value, max_items],
            ).fetchall()
            if not rows:
                return None
            if group_of is not None:
                first = group_of(bytes(rows[0][1]))
                rows = list(takewhile(lambda row: group_of(bytes(row[1])) == first, rows))
            if max_bytes is not None:
                rows = _first_within(rows, max_bytes)
            sequence = db.execute("SELECT COALESCE(MAX(sequence), 0) + 1 FROM batches").fetchone()[0]
            batch_id = secrets.token_hex(16)
            created_at = utc_timestamp()
            items = [bytes(row[1]) for row in rows]
            audit = audit_log.pending(db)
            data = build(items, sequence, batch_id) if audit is None else build(
                items, sequence, batch_id, audit=audit
            )
            if not isinstance(data, bytes) or not data:
                raise TypeError("build() must return the batch as non-empty bytes")
            db.execute(
                "INSERT INTO batches (batch_id, sequence, created_at, data, state)"
                " VALUES (?, ?, ?, ?, 'pending')",
                [batch_id, sequence, created_at, data],
            )
            if audit is not None:  # these entries now travel with this batch
                audit_log.mark_sent(db, batch_id, audit.head_seq)
            references = tuple(str(row[0]) for row in rows)
            db.conn.executemany(
                "UPDATE outbox SET state = ?, batch_id = ?, sent_at = ?"
                " WHERE reference = ? AND state = ?",
                [
                    (OutboxState.SENT.value, batch_id, created_at, ref, OutboxState.QUEUED.value)
                    for ref in references
                ],
            )
        return PendingBatch(batch_id, sequence, created_at, references, data)

    def pending_batch(self, batch_id: str | None = None) -> PendingBatch | None:
        """The batch waiting for acknowledgement (or the one named, if it still waits), without
        creating one."""
        with self._tx.read() as db:
            return self._pending_batch(db, batch_id)

    def _pending_batch(self, db: sqlite_utils.Database, batch_id: str | None = None) -> PendingBatch | None:
        row = db.execute(
            "SELECT batch_id, sequence, created_at, data FROM batches"
            " WHERE state = 'pending' AND (? IS NULL OR batch_id = ?) ORDER BY sequence LIMIT 1",
            [batch_id, batch_id],
        ).fetchone()
        if row is None:
            return None
        batch_id, sequence, created_at, data = row
        references = tuple(
            str(r[0])
            for r in db.execute(
                "SELECT reference FROM outbox WHERE batch_id = ? ORDER BY position", [batch_id]
            )
        )
        return PendingBatch(str(batch_id), int(sequence), str(created_at), references, bytes(data))

    def record_attempt(self, batch_id: str, at: str | None = None) -> None:
        """Note one more try to deliver the batch (for the staff's overview and back-off)."""
        with self._tx.write() as db:
            db.execute(
                "UPDATE batches SET sent_attempts = sent_attempts + 1, last_attempt_at = ?"
                " WHERE batch_id = ?",
                [at or utc_timestamp(), batch_id],
            )

    def mark_acknowledged(self, batch_id: str, acknowledged_at: str | None = None) -> int:
        """The town hall holds every item of the batch: forget its bytes and its items' sealed
        bytes. Returns how many items were newly confirmed (see ``apply_ack``)."""
        return self.apply_ack(batch_id, {}, acknowledged_at).confirmed

    def apply_ack(
        self, batch_id: str, refused: Mapping[str, str], acknowledged_at: str | None = None
    ) -> SettledBatch:
        """Settle a batch by a verified acknowledgement, in one transaction.

        ``refused`` maps item digests the town hall did not store to its code: those items go
        back to QUEUED with their sealed bytes and the code (needing attention, not sent again by
        themselves). Every other item is held at the town hall: its sealed bytes are forgotten.
        Answered items keep ANSWERED; settling a batch again changes nothing.
        """
        at = acknowledged_at or utc_timestamp()
        sent_back: list[tuple[str, str]] = []
        with self._tx.write() as db:
            known = db.execute("SELECT state FROM batches WHERE batch_id = ?", [batch_id]).fetchone()
            if known is None:
                return SettledBatch(0)
            if known[0] == "pending" and refused:
                sent_back = [
                    (str(row[0]), refused[str(row[1])])
                    for row in db.execute(
                        "SELECT reference, item_digest FROM outbox WHERE batch_id = ? ORDER BY position",
                        [batch_id],
                    )
                    if str(row[1]) in refused
                ]
                db.conn.executemany(
                    "UPDATE outbox SET state = ?, batch_id = NULL, sent_at = NULL,"
                    " refused_code = ?, refused_at = ? WHERE batch_id = ? AND item_digest = ?",
                    [
                        (OutboxState.QUEUED.value, code, at, batch_id, digest)
                        for digest, code in refused.items()
                    ],
                )
            db.execute(
                "UPDATE batches SET state = 'acknowledged', data = NULL, acknowledged_at = ?"
                " WHERE batch_id = ? AND state = 'pending'",
                [at, batch_id],
            )
            moved = db.execute(
                "UPDATE outbox SET state = ?, sealed = NULL, acknowledged_at = ?"
                " WHERE batch_id = ? AND state = ?",
                [OutboxState.ACKNOWLEDGED.value, at, batch_id, OutboxState.SENT.value],
            ).rowcount
            # Answered before the acknowledgement came back: they keep their answer.
            moved += db.execute(
                "UPDATE outbox SET sealed = NULL, acknowledged_at = ?"
                " WHERE batch_id = ? AND state = ? AND acknowledged_at IS NULL",
                [at, batch_id, OutboxState.ANSWERED.value],
            ).rowcount
            audit_log.forget_delivered(db, before=audit_log.kept_since(at))
        if known[0] == "pending":
            self._tx.checkpoint()  # the overwritten pages leave the write-ahead log too
        return SettledBatch(moved, tuple(sent_back))

    # -- answers from the town hall ------------------------------------------------------------

    def apply_status(
        self,
        updates: Iterable[StatusRecord],
        *,
        version: int | None = None,
        as_of: str | None = None,
    ) -> int:
        """Take the town hall's status updates; returns how many submissions changed.

        Only references of this kiosk count, and an update never replaces a newer one (higher
        ``serial``), so applying the same bundle twice, or out of order, is harmless. A submission
        still waiting at the kiosk keeps QUEUED (it must still be sent) but shows the status.
        ``version`` and ``as_of`` (from a download) move channel ``status`` forward in the same
        transaction; without them the highest serial is the version.
        """
        updates = list(updates)
        changed = 0
        with self._tx.write() as db:
            for update in updates:
                changed += db.execute(
                    "UPDATE outbox SET status = ?, status_message = ?, status_updated_at = ?,"
                    " status_serial = ?,"
                    " state = CASE WHEN state = ? THEN state ELSE ? END"
                    " WHERE reference = ? AND (status_serial IS NULL OR status_serial < ?)",
                    [
                        update.status,
                        update.message,
                        update.updated_at,
                        update.serial,
                        OutboxState.QUEUED.value,
                        OutboxState.ANSWERED.value,
                        update.reference,
                        update.serial,
                    ],
                ).rowcount
            highest = max((update.serial for update in updates), default=0)
            channels.advance_channel(db, STATUS_CHANNEL, version=max(highest, version or 0), as_of=as_of)
        return changed

    def status_cursor(self) -> int:
        """The highest status serial seen so far: ask the town hall only for newer ones."""
        return self.channel_state(STATUS_CHANNEL).version

    # -- download channels ---------------------------------------------------------------------

    def channel_state(self, name: str) -> ChannelState:
        """Version and as-of time held of one download channel (0 and ``None`` if nothing yet)."""
        with self._tx.read() as db:
            return channels.channel_state(db, name)

    def channel_states(self) -> dict[str, ChannelState]:
        """Every channel the kiosk has held something of."""
        with self._tx.read() as db:
            return channels.all_channels(db)

    def record_channel(self, name: str, *, version: int, as_of: str | None) -> None:
        """A channel applied outside the database (the pinned key file): remember how far."""
        with self._tx.write() as db:
            channels.advance_channel(db, name, version=version, as_of=as_of)

    def replace_channel_entries(
        self, name: str, entries: Iterable[object], *, version: int, as_of: str | None
    ) -> None:
        """A snapshot channel without a table of its own: hold exactly ``entries`` (JSON values)."""
        with self._tx.write() as db:
            channels.replace_entries(db, name, entries)
            channels.advance_channel(db, name, version=version, as_of=as_of)

    def channel_entries(self, name: str) -> list[object]:
        with self._tx.read() as db:
            return channels.entries(db, name)

    def replace_warnings(
        self, entries: Iterable[Mapping[str, object]], *, rank: Callable[[Mapping[str, object]], int], version: int, as_of: str | None
    ) -> int:
        """The town hall's warnings snapshot, with its version and as-of time, in one step."""
        with self._tx.write() as db:
            count = warning_rows.replace_warnings(db, entries, rank=rank)
            channels.advance_channel(db, warning_rows.WARNINGS_CHANNEL, version=version, as_of=as_of)
        return count

    def warnings_snapshot(self) -> tuple[list[object], ChannelState]:
        """The warnings held and the channel's version and as-of time, read together."""
        with self._tx.read() as db:
            return warning_rows.warning_entries(db), channels.channel_state(db, warning_rows.WARNINGS_CHANNEL)

    # -- looking things up ---------------------------------------------------------------------

    def lookup(self, reference: str) -> StatusView | None:
        """What a citizen may see about their submission (compact reference, no dashes)."""
        with self._tx.read() as db:
            row = db.execute(
                "SELECT reference, form_id, captured_at, state, status, status_message,"
                " status_updated_at FROM outbox WHERE reference = ?",
                [reference],
            ).fetchone()
        if row is None:
            return None
        return StatusView(
            reference=row[0],
            form_id=row[1],
            captured_at=row[2],
            state=OutboxState(row[3]),
            status=row[4],
            message=row[5],
            updated_at=row[6],
        )

    def recent_receipts(self, limit: int = 20) -> list[ReceiptRecord]:
        """The last receipts this kiosk handed out, newest first, whatever their state now.

        For staff to reprint a receipt a power cut kept off the screen; the rows stay after the
        town hall's acknowledgement (only the sealed bytes go), so these are always at hand.
        """
        with self._tx.read() as db:
            rows = db.execute(
                "SELECT reference, form_id, captured_at FROM outbox ORDER BY position DESC LIMIT ?",
                [max(0, int(limit))],
            ).fetchall()
        return [ReceiptRecord(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def counts(self) -> dict[OutboxState, int]:
        """How many submissions are in each state (every state present, zero included).

        Read from the running tally (migration ``0006_queue_indexes``), not by counting rows: the
        status line asks every few seconds, whatever the length of the queue."""
        result = {state: 0 for state in OutboxState}
        with self._tx.read() as db:
            for state, count in db.execute("SELECT state, SUM(items) FROM outbox_tally GROUP BY state"):
                result[OutboxState(state)] = int(count)
        return result

    def needing_attention(self) -> list[tuple[str, str]]:
        """(reference, code) of items the town hall refused: kept sealed here, not sent again by
        themselves, for staff to sort out with the town hall."""
        with self._tx.read() as db:
            return [
                (str(row[0]), str(row[1]))
                for row in db.execute(
                    "SELECT reference, refused_code FROM outbox WHERE refused_code IS NOT NULL"
                    " ORDER BY position"
                )
            ]

    def waiting_bytes(self) -> int:
        """Sealed bytes not yet at the town hall: about what the next uploads will carry."""
        with self._tx.read() as db:
            return int(
                db.execute(
                    "SELECT COALESCE(SUM(sealed_bytes), 0) FROM outbox_tally"
                    " WHERE state IN (?, ?) AND refused = 0",
                    [OutboxState.QUEUED.value, OutboxState.SENT.value],
                ).fetchone()[0]
            )

    def waiting_count(self) -> int:
        """Submissions that have not reached the town hall yet (queued or on their way)."""
        with self._tx.read() as db:
            return int(
                db.execute(
                    "SELECT COALESCE(SUM(items), 0) FROM outbox_tally WHERE state IN (?, ?)",
                    [OutboxState.QUEUED.value, OutboxState.SENT.value],
                ).fetchone()[0]
            )

    # -- sync bookkeeping ----------------------------------------------------------------------

    def record_sync(self, at: str | None = None) -> None:
        """Remember the last time the town hall was reached."""
        with self._tx.write() as db:
            set_setting(db, LAST_SYNC_AT, at or utc_timestamp())

    def last_sync_at(self) -> str | None:
        with self._tx.read() as db:
            return get_setting(db, LAST_SYNC_AT)

    def note_signed_at(self, at: str) -> None:
        """Remember ``at`` (UTC ``YYYY-MM-DDTHH:MM:SSZ``) as a time this kiosk signed a download
        request with, unless a later one is already kept: the town hall takes quota times back on
        the strength of it, so the kiosk's booking clock must never fall behind it
        (docs/booking.md §4). Written before the request leaves the kiosk."""
        with self._tx.write() as db:
            held = get_setting(db, LATEST_SIGNED_AT)
            if held is None or at > held:  # one fixed-width format: text order is time order
                set_setting(db, LATEST_SIGNED_AT, at)

    def latest_signed_at(self) -> str | None:
        """The latest time this kiosk signed a download request with, or ``None``."""
        with self._tx.read() as db:
            return get_setting(db, LATEST_SIGNED_AT)

    # -- the audit chain of on-behalf actions ---------------------------------------------------

    def append_audit(
        self, kiosk_id: str, *, action: str, actor: str, reference: str = "", at: str | None = None
    ) -> None:
        """Add one entry to the audit chain (ids only; ``assisted_mode.audit``)."""
        with self._tx.write() as db:
            audit_log.append(db, kiosk_id, at=at or utc_timestamp(), action=action, actor=actor, reference=reference)

    def audit_entries(self) -> list:
        with self._tx.read() as db:
            return audit_log.entries(db)

    def pending_audit(self) -> PendingAudit | None:
        with self._tx.read() as db:
            return audit_log.pending(db)

    # -- paused drafts (sealed under a pause slip's code: kiosk.pause) -----------------------------

    def pause_salt(self) -> bytes:
        """This kiosk's random salt for pause codes, made on first use."""
        with self._tx.write() as db:
            value = get_setting(db, PAUSE_SALT)
            if value is None:
                value = secrets.token_hex(16)
                set_setting(db, PAUSE_SALT, value)
        return bytes.fromhex(value)

    def keep_paused(self, lookup: str, sealed: bytes, *, paused_at: str, expires_at: str) -> None:
        with self._tx.write() as db:
            db.execute(
                "INSERT INTO paused_drafts (lookup, sealed, paused_at, expires_at) VALUES (?, ?, ?, ?)",
                [lookup, sealed, paused_at, expires_at],
            )

    def paused(self, lookup: str) -> tuple[bytes, str] | None:
        with self._tx.read() as db:
            row = db.execute("SELECT sealed, expires_at FROM paused_drafts WHERE lookup = ?", [lookup]).fetchone()
        return None if row is None else (bytes(row[0]), str(row[1]))

    def forget_paused(self, lookup: str) -> None:
        with self._tx.write() as db:
            db.execute("DELETE FROM paused_drafts WHERE lookup = ?", [lookup])

    def forget_expired_pauses(self, now: str) -> int:
        with self._tx.write() as db:
            return db.execute("DELETE FROM paused_drafts WHERE expires_at <= ?", [now]).rowcount

    def paused_count(self) -> int:
        with self._tx.read() as db:
            return int(db.execute("SELECT count(*) FROM paused_drafts").fetchone()[0])

    # -- staff PIN lock-out --------------------------------------------------------------------

    def pin_failures(self, counter: str = STAFF_PIN) -> PinFailures:
        """Wrong staff PINs so far; kept here so neither a new PIN window nor a restart resets them.

        ``counter`` names another count kept the same way (a volunteer's sign-in, a pause code)."""
        with self._tx.read() as db:
            return self._pin_failures(db, counter)

    def record_pin_failure(self, locked_until: Callable[[int], float], counter: str = STAFF_PIN) -> PinFailures:
        """Count one more wrong PIN; ``locked_until(count)`` says until when F12 must wait then.

        One transaction, written before the PIN is even checked: pulling the plug while the check
        runs never gives a free try.
        """
        failures_key, until_key = _counter_keys(counter)
        with self._tx.write() as db:
            count = self._pin_failures(db, counter).count + 1
            until = float(locked_until(count))
            set_setting(db, failures_key, str(count))
            set_setting(db, until_key, repr(until))
        return PinFailures(count, until)

    def restart_pin_wait(self, failures: PinFailures, counter: str = STAFF_PIN) -> None:
        """Store ``failures`` as they are: a wait that a clock set back (or a damaged value) had
        put out of reach starts again from now."""
        failures_key, until_key = _counter_keys(counter)
        with self._tx.write() as db:
            set_setting(db, failures_key, str(failures.count))
            set_setting(db, until_key, repr(float(failures.locked_until)))

    def clear_pin_failures(self, counter: str = STAFF_PIN) -> None:
        """The right PIN was typed: start counting afresh."""
        failures_key, until_key = _counter_keys(counter)
        with self._tx.write() as db:
            delete_setting(db, failures_key)
            delete_setting(db, until_key)

    @staticmethod
    def _pin_failures(db: sqlite_utils.Database, counter: str = STAFF_PIN) -> PinFailures:
        failures_key, until_key = _counter_keys(counter)
        count, until = get_setting(db, failures_key), get_setting(db, until_key)
        try:
            return PinFailures(int(count or 0), float(until or 0.0))
        except ValueError:  # not written by us; the safe reading is "locked for the longest time"
            return PinFailures(count=1_000, locked_until=float("inf"))

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file (SQLite folds the write-ahead log back in); closing twice is fine."""
        self._tx.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
