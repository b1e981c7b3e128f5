"""What the kiosk's queue hands out: states, rows and the town hall's answers.

Nothing here holds personal data. A row knows the reference printed on the receipt, the service,
times and states; the answers themselves exist only inside the sealed bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class OutboxState(StrEnum):
    """Where a submission is on its way to the town hall (it only ever moves forward, except that
    an item the town hall refuses by name goes back to QUEUED, sealed, for staff)."""

    QUEUED = "queued"  # sealed and stored at the kiosk, not yet in a batch
    SENT = "sent"  # part of a batch that is on its way (by network or USB stick)
    ACKNOWLEDGED = "acknowledged"  # the town hall confirmed it has the batch
    ANSWERED = "answered"  # the town hall set a status the citizen can look up


@dataclass(frozen=True)
class QueuedSubmission:
    """A submission just stored; ``reference`` is what the receipt shows."""

    reference: str
    form_id: str
    form_version: str
    form_hash: str
    captured_at: str
    state: OutboxState


@dataclass(frozen=True)
class StatusView:
    """What a citizen sees when typing the receipt code back in."""

    reference: str
    form_id: str
    captured_at: str
    state: OutboxState
    status: str | None
    message: str | None
    updated_at: str | None


@dataclass(frozen=True)
class ReceiptRecord:
    """What staff need to hand a citizen their receipt again: no answers, no names."""

    reference: str
    form_id: str
    captured_at: str


@dataclass(frozen=True)
class PinFailures:
    """Wrong staff PINs since the last right one, and until when (epoch seconds) F12 must wait."""

    count: int = 0
    locked_until: float = 0.0


@dataclass(frozen=True)
class PendingBatch:
    """A batch waiting for the town hall's acknowledgement; resent unchanged until it comes."""

    batch_id: str
    sequence: int
    created_at: str
    references: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class SettledBatch:
    """What one acknowledgement changed: items newly confirmed, and the (reference, code) of
    items the town hall refused, which went back to the queue with their sealed bytes."""

    confirmed: int
    refused: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class StatusRecord:
    """One status update from the town hall; a higher ``serial`` is newer."""

    reference: str
    status: str
    message: str
    updated_at: str
    serial: int


@dataclass(frozen=True)
class ChannelState:
    """What the kiosk holds of one download channel: its version and the town hall's as-of time."""

    name: str
    version: int
    as_of: str | None


def utc_timestamp(now: datetime | None = None) -> str:
    """A moment as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC; a naive ``now`` is taken as UTC already."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
