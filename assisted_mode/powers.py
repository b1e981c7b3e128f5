"""Powers of attorney (Vollmachten) and the one rule that says whether one may be relied on.

Staff record a power at the town hall from the paper document: who acts (the agent) for whom (the
principal), for which services, from when until when, and the paper's reference as they filed it.
It can be revoked. The kiosk checks the power before anyone fills in a form under it, and the
town hall checks it again when the application arrives, with the capture time the kiosk sealed:
both ask ``check_power``, so the two can never disagree about what "valid" means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.i18n import local_timezone

VALID = "valid"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
WRONG_SERVICE = "wrong_service"
REVOKED = "revoked"
UNKNOWN = "unknown"
POWER_STANDINGS: tuple[str, ...] = (VALID, NOT_YET_VALID, EXPIRED, WRONG_SERVICE, REVOKED, UNKNOWN)


@dataclass(frozen=True)
class PowerTerms:
    """What a power allows, without the names: what the kiosk is sent and the check needs.

    ``valid_from``/``valid_until`` are calendar days (``YYYY-MM-DD``, both included, the town
    hall's local days as written on the paper); ``revoked_at`` is a UTC timestamp or ``""``.
    """

    power_id: str
    services: tuple[str, ...]
    valid_from: str
    valid_until: str
    revoked_at: str = ""


def local_day(moment: dt.datetime) -> str:
    """The calendar day of ``moment`` at the town hall (``RATHAUS_TZ``), as the paper's dates mean it."""
    return moment.astimezone(local_timezone()).date().isoformat()


def check_power(terms: PowerTerms | None, service: str, at: dt.datetime) -> str:
    """Whether ``terms`` allow acting for ``service`` at ``at``: one of ``POWER_STANDINGS``.

    Revocation counts from its moment: an application captured before it was valid and stays so.
    Service before time: "not for this service" is what a person can act on first.
    """
    if terms is None:
        return UNKNOWN
    if terms.revoked_at and _utc(terms.revoked_at) <= at:
        return REVOKED
    if service not in terms.services:
        return WRONG_SERVICE
    day = local_day(at)
    if day < terms.valid_from:
        return NOT_YET_VALID
    if day > terms.valid_until:
        return EXPIRED
    return VALID


def _utc(timestamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
