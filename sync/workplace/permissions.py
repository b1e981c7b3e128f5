"""Who may do what in the workplace: one function every view asks, nothing decided in templates.

Clerks work on applications; the head of office also sees the access log; IT looks after kiosks
and accounts but does not read applications (it has no need to, so data-protection law says it
must not). A later area adds its actions to ``GRANTS`` (or a role) in one place.
"""

from __future__ import annotations

from typing import Any

from sync.workplace.accounts import Staff

CLERK_WORK = frozenset(
    {
        "inbox.list",  # lists, search by receipt code
        "application.open",  # decrypt and read one
        "application.answer",  # set a status with a message to the citizen
        "application.print",  # the PDF for the paper file
        "service.export",  # CSV/JSON for the back office
        "paper.record",  # an application handed in on paper
        "kiosks.view",
        "stats.view",
    }
)

# Assisted mode and booking (their pages: sync/workplace/views/helpers.py, appointments.py, audit.py).
# Clerks see volunteers and powers of attorney (they check applications filed with help) and may
# revoke either at once when a citizen or volunteer asks at the counter (the safe direction); only
# the head of office gives authority: enrols volunteers, issues new PINs and badges, records powers
# from the paper document. Clerks run the appointment desk and record vaccinations given.
ASSISTANCE_CLERK = frozenset({"helpers.view", "helpers.revoke"})
ASSISTANCE_HEAD = ASSISTANCE_CLERK | {"helpers.manage", "audit.view"}
BOOKING_CLERK = frozenset({"booking.view", "booking.counter", "booking.answer", "vaccination.record"})

GRANTS: dict[str, frozenset[str]] = {
    "clerk": CLERK_WORK | ASSISTANCE_CLERK | BOOKING_CLERK,
    "head": CLERK_WORK | {"access_log.view", "accounts.manage"} | ASSISTANCE_HEAD | BOOKING_CLERK | {"booking.quota"},
    "it": frozenset({"kiosks.view", "kiosks.manage", "stats.view", "accounts.manage", "audit.view"}),
}


def may(staff: Staff | None, action: str, resource: Any = None) -> bool:
    """May ``staff`` do ``action`` (to ``resource``, e.g. a service id)? Nobody logged in: never.

    ``resource`` is not looked at yet; it is where a rule such as "only the Kita team opens Kita
    refunds" will go, without touching a view."""
    if staff is None or not staff.active:
        return False
    return action in GRANTS.get(staff.role, frozenset())
