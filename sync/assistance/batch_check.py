"""What the town hall does with a batch's audit segment: keep it, and refuse applications that
rest on a helper who was already revoked when the kiosk recorded them.

A volunteer or power of attorney revoked at 10:00 may still be on a kiosk that has not synced
since; an application that kiosk records at 11:00 "with" them is refused by name in the
acknowledgement (code ``revoked_helper``), like a receipt-code conflict: it is not stored, it stays
at the kiosk, sealed, and the kiosk's staff see it. The rest of the batch is stored as usual, so
one revoked helper never holds up other citizens' applications. Actions recorded before the
revocation stand.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Iterable, Sequence

from assisted_mode.audit import SUBMIT, AuditEntry
from assisted_mode.powers import REVOKED as POWER_REVOKED
from assisted_mode.powers import check_power
from assisted_mode.record import POWER_ID, VOLUNTEER_ID
from assisted_mode.volunteers import REVOKED, UNKNOWN, VolunteerTerms, volunteer_standing
from sync.assistance.registry import Registry
from sync.envelope import read_item_meta
from sync.envelope.audit_segment import AuditSegment
from sync.envelope.fields import parse_timestamp

REVOKED_HELPER = "revoked_helper"
log = logging.getLogger("rathaus.intake")


def _volunteer_refused(registry: Registry, volunteer_id: str, at: dt.datetime) -> bool:
    record = registry.find_volunteer(volunteer_id)
    terms = None if record is None else VolunteerTerms(
        record.volunteer_id, record.display_name, record.valid_until, record.revoked_at
    )
    return volunteer_standing(terms, at) in (REVOKED, UNKNOWN)


def _power_refused(registry: Registry, power_id: str, at: dt.datetime) -> bool:
    record = registry.find_power(power_id)
    if record is None:
        return True
    terms = record.terms
    # Only revocation is the server's to judge; service and days are shown to staff at opening.
    return check_power(terms, terms.services[0], at) == POWER_REVOKED


def refused_references(registry: Registry, segment: AuditSegment | None) -> set[str]:
    """Receipt codes whose submission relied on a helper revoked (or never enrolled) by then."""
    return _refused_among(registry, segment.entries if segment is not None else ())


def _refused_among(registry: Registry, entries: Iterable[AuditEntry]) -> set[str]:
    refused: set[str] = set()
    for entry in entries:
        if entry.action != SUBMIT or not entry.reference:
            continue
        at = parse_timestamp(entry.at)
        if VOLUNTEER_ID.fullmatch(entry.actor) and _volunteer_refused(registry, entry.actor, at):
            refused.add(entry.reference)
        elif POWER_ID.fullmatch(entry.actor) and _power_refused(registry, entry.actor, at):
            refused.add(entry.reference)
    return refused


def refused_digests(
    registry: Registry,
    segment: AuditSegment | None,
    items: Sequence[bytes | memoryview],
    digests: Sequence[str],
    kiosk_id: str = "",
) -> dict[str, str]:
    """``{item digest: "revoked_helper"}`` for the batch's items to refuse.

    With ``kiosk_id``, an item whose ``submit`` entry is not in this segment is checked against
    the entries already held: a kiosk sends all waiting entries with its next batch, but its
    items may be spread over several batches (a slow link, a stick, a key rotation)."""
    item_references = [read_item_meta(item).reference for item in items]
    references = refused_references(registry, segment)
    if kiosk_id:
        carried = {e.reference for e in segment.entries if e.action == SUBMIT} if segment is not None else set()
        earlier = registry.submit_entries(kiosk_id, set(item_references) - carried)
        references |= _refused_among(registry, earlier)
    if not references:
        return {}
    return {
        digest: REVOKED_HELPER
        for reference, digest in zip(item_references, digests)
        if reference in references
    }
