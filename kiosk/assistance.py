"""Helpers at the kiosk: volunteers sign in, powers of attorney are opened, consent and its
withdrawal, each step in the audit chain.

A volunteer signs in by scanning their badge (the scanner types the code and Enter) or with their
volunteer id and PIN. A person acting under a power of attorney scans or types the code on the
town hall's letter. Every try counts against one lock-out shared by all of them
(``kiosk.staff_access.counted_attempt`` with the counter ``helper_sign_in``), so guessing ids,
PINs or codes meets the staff PIN's growing waits, kept across restarts. A right sign-in does not
start the count afresh (a volunteer's own badge must not buy fresh guesses at a colleague's PIN);
it is forgotten after a day without a wrong try. The kiosk checks against
what the town hall's signed ``volunteers`` and ``powers`` downloads carry (only Argon2id hashes)
and refuses a revoked or expired volunteer or power from the moment it knows.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from assisted_mode import audit, credentials
from assisted_mode.powers import EXPIRED as POWER_EXPIRED
from assisted_mode.powers import NOT_YET_VALID, REVOKED as POWER_REVOKED
from assisted_mode.powers import check_power
from assisted_mode.visit import AssistedVisit
from assisted_mode.volunteers import ACTIVE, EXPIRED, REVOKED, VolunteerTerms, volunteer_standing
from kiosk.staff_access import counted_attempt, seconds_to_wait
from sync.envelope.assistance_channels import KioskPower, check_power_entry, check_volunteer

HELPER_COUNTER = "helper_sign_in"
log = logging.getLogger("rathaus.kiosk.assistance")

WRONG = "wrong"  # no such badge, code, id or PIN (never which of them)
LOCKED = "locked"
NOT_YET = "not_yet_valid"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


_now = _utc_now  # tests move it


@dataclass(frozen=True)
class SignIn:
    """The answer to one sign-in try: a visit, or a problem and how long to wait."""

    visit: AssistedVisit | None
    problem: str = ""  # WRONG, LOCKED, "revoked", "expired", NOT_YET
    wait_seconds: int = 0
    attempts_before_wait: int = 0


def known_volunteers(store: Any) -> dict[str, VolunteerTerms]:
    """The town hall's last ``volunteers`` download (checked again: the store is a file)."""
    found = {}
    for position, entry in enumerate(store.channel_entries("volunteers")):
        terms = check_volunteer(entry, position)
        found[terms.volunteer_id] = terms
    return found


def known_powers(store: Any) -> dict[str, KioskPower]:
    found = {}
    for position, entry in enumerate(store.channel_entries("powers")):
        power = check_power_entry(entry, position)
        found[power.terms.power_id] = power
    return found


def seconds_until_sign_in(runtime: Any) -> int:
    return seconds_to_wait(runtime.store, counter=HELPER_COUNTER)


def sign_in_with_code(runtime: Any, typed: str) -> SignIn:
    """A scanned badge (``RKB.…``) or power-of-attorney code (``RKP.…``)."""
    code = credentials.read_code(typed)
    if code is not None and code.is_badge:
        return _sign_in_volunteer(runtime, code.holder_id, code.secret, badge=True)
    return _open_power(runtime, code.holder_id if code else "", code.secret if code else "")


def sign_in_with_pin(runtime: Any, volunteer_id: str, pin: str) -> SignIn:
    """Volunteer id and PIN, for volunteers without their badge."""
    return _sign_in_volunteer(runtime, volunteer_id.strip().upper(), pin.strip(), badge=False)


def _sign_in_volunteer(runtime: Any, volunteer_id: str, secret: str, *, badge: bool) -> SignIn:
    now = _now()
    terms = known_volunteers(runtime.store).get(volunteer_id)
    standing = volunteer_standing(terms, now)
    outcome: dict[str, str] = {}

    def check() -> bool:
        outcome["ran"] = "yes"
        if terms is None:
            return False
        stored = terms.badge_hash if badge else terms.pin_hash
        if standing != ACTIVE:
            # A revoked volunteer is sent without hashes; say why only to whoever holds the secret.
            genuine = standing == REVOKED or credentials.secret_matches(secret, stored)
            if genuine:
                outcome["problem"] = standing
            return False
        return credentials.secret_matches(secret, stored)

    attempt = counted_attempt(runtime.store, check, now.timestamp(), HELPER_COUNTER, right_clears=False)
    if attempt.accepted and terms is not None:
        _record(runtime, audit.SIGN_IN, volunteer_id, now)
        return SignIn(AssistedVisit.by_volunteer(terms.volunteer_id, terms.display_name))
    problem = outcome.get("problem", WRONG if outcome else LOCKED)
    if problem in (REVOKED, EXPIRED):
        _record(runtime, audit.SIGN_IN_REFUSED, volunteer_id, now)
    return SignIn(None, problem, attempt.wait_seconds, attempt.attempts_before_wait)


def _open_power(runtime: Any, power_id: str, secret: str) -> SignIn:
    now = _now()
    power = known_powers(runtime.store).get(power_id)
    outcome: dict[str, str] = {}

    def check() -> bool:
        outcome["ran"] = "yes"
        if power is None:
            return False
        if power.terms.revoked_at and check_power(power.terms, power.terms.services[0], now) == POWER_REVOKED:
            outcome["problem"] = REVOKED
            return False
        if not credentials.secret_matches(secret, power.code_hash):
            return False
        standing = check_power(power.terms, power.terms.services[0], now)
        if standing in (POWER_EXPIRED, NOT_YET_VALID):
            outcome["problem"] = EXPIRED if standing == POWER_EXPIRED else NOT_YET
            return False
        return True

    attempt = counted_attempt(runtime.store, check, now.timestamp(), HELPER_COUNTER, right_clears=False)
    if attempt.accepted and power is not None:
        _record(runtime, audit.SIGN_IN, power_id, now)
        return SignIn(AssistedVisit.under_power(power))
    problem = outcome.get("problem", WRONG if outcome else LOCKED)
    if problem not in (WRONG, LOCKED):
        _record(runtime, audit.SIGN_IN_REFUSED, power_id, now)
    return SignIn(None, problem, attempt.wait_seconds, attempt.attempts_before_wait)


def still_enrolled(runtime: Any, visit: AssistedVisit) -> bool:
    """Whether a signed-in volunteer may still help, as the kiosk's latest download says (an
    outreach day lasts hours; a revocation may arrive meanwhile). Anyone else: ``True``."""
    if not visit.helper.id:
        return True
    return volunteer_standing(known_volunteers(runtime.store).get(visit.helper.id), _now()) == ACTIVE


def helped_by_person(runtime: Any, name: str) -> AssistedVisit:
    """A relative, neighbour or friend, known by their name; nothing to check, nothing to count."""
    visit = AssistedVisit.by_person(name)
    _record(runtime, audit.SIGN_IN, visit.actor, _now())
    return visit


def give_consent(runtime: Any, visit: AssistedVisit) -> AssistedVisit:
    now = _now()
    _record(runtime, audit.CONSENT, visit.actor, now)
    return visit.with_consent(now)


def withdraw_consent(runtime: Any, visit: AssistedVisit) -> None:
    """The citizen stops the help: the screens drop the answers; the chain says so."""
    now = _now()
    _record(runtime, audit.WITHDRAW, visit.actor, now)
    _record(runtime, audit.WIPE, visit.actor, now)


def end_help(runtime: Any, visit: AssistedVisit) -> None:
    _record(runtime, audit.SIGN_OUT, visit.actor, _now())


def _record(runtime: Any, action: str, actor: str, at: dt.datetime) -> None:
    runtime.store.append_audit(
        runtime.kiosk_id, action=action, actor=actor, at=at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
