"""Volunteers the town hall enrolled, and whether one may help at a given moment.

A volunteer is enrolled with a name, an id and a last day; the town hall can revoke them at any
time. The kiosk refuses a volunteer who is revoked or past their last day from the moment it
knows; the town hall refuses on-behalf actions that relied on a volunteer already revoked at the
time the kiosk recorded them. Both use ``volunteer_standing``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from assisted_mode.powers import local_day

ACTIVE = "active"
EXPIRED = "expired"
REVOKED = "revoked"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class VolunteerTerms:
    """A volunteer as the kiosk knows them: id, the short name shown, last day, revocation.

    ``badge_hash``/``pin_hash`` are Argon2id hashes (``assisted_mode.credentials``); a revoked
    volunteer is sent without them, so nothing of theirs can be tried any more.
    """

    volunteer_id: str
    display_name: str
    valid_until: str  # YYYY-MM-DD, included
    revoked_at: str = ""  # UTC timestamp or ""
    badge_hash: str = ""
    pin_hash: str = ""


def volunteer_standing(terms: VolunteerTerms | None, at: dt.datetime) -> str:
    """``active``, ``expired``, ``revoked`` or ``unknown`` at the moment ``at``."""
    if terms is None:
        return UNKNOWN
    if terms.revoked_at and dt.datetime.fromisoformat(terms.revoked_at.replace("Z", "+00:00")) <= at:
        return REVOKED
    if local_day(at) > terms.valid_until:
        return EXPIRED
    return ACTIVE
