"""Plain words about help for the kiosk's screens and receipt: who helped, and why a service
cannot be done with this help."""

from __future__ import annotations

from typing import Any

from assisted_mode import powers
from assisted_mode.roles import ASSISTANT, REPRESENTATIVE
import kiosk.assistance as assistance
from kiosk.i18n import N_, translator

_POWER_REFUSALS = {
    powers.WRONG_SERVICE: N_("The power of attorney does not cover this service. Please choose another one or ask the town hall."),
    powers.EXPIRED: N_("The power of attorney is no longer valid: its last day has passed."),
    powers.NOT_YET_VALID: N_("The power of attorney is not valid yet."),
    powers.REVOKED: N_("The power of attorney has been withdrawn. Please ask the town hall."),
    powers.UNKNOWN: N_("The power of attorney is not known at this kiosk. Please ask the town hall."),
}


def service_refusal(visit: Any, form: Any, lang: str, store: Any = None) -> str:
    """Why ``form`` cannot be filled in with ``visit``'s help, or ``""`` when it can. A volunteer
    the kiosk learnt meanwhile to be revoked (a download during the visit) helps no further."""
    _ = translator(lang)
    if store is not None and visit.helper.id:
        from assisted_mode.volunteers import ACTIVE, volunteer_standing

        terms = assistance.known_volunteers(store).get(visit.helper.id)
        if volunteer_standing(terms, assistance._now()) != ACTIVE:
            return _("This volunteer badge is no longer valid. Please ask the town hall.")
    if visit.role == REPRESENTATIVE and REPRESENTATIVE not in form.assistance:
        return _("This service cannot be applied for on someone else's behalf. The person must apply themselves.")
    if visit.role == ASSISTANT and ASSISTANT not in form.assistance:
        return _("For this service, please fill in the form on your own or ask the town hall.")
    standing = visit.power_standing(form.id, assistance._now())
    return "" if standing == powers.VALID else _(_POWER_REFUSALS[standing])


def receipt_helper_line(visit: Any, lang: str) -> str:
    """The line on the receipt: who helped, or who filed on whose behalf (short names only)."""
    _ = translator(lang)
    if visit.power is not None:
        return _("Filed by {agent} on behalf of {principal} (power of attorney {power}).").format(
            agent=visit.helper.name, principal=visit.principal, power=visit.power.terms.power_id
        )
    if visit.helper.id:
        return _("Filled in with help from {name} (volunteer {id}).").format(name=visit.helper.name, id=visit.helper.id)
    return _("Filled in with help from {name}.").format(name=visit.helper.name)


def resume_problem(resumed: Any, lang: str) -> str:
    """Why a pause code did not open a draft, in plain words."""
    from kiosk import pause as pausing
    from kiosk.i18n import ntranslator

    _ = translator(lang)
    if resumed.problem == pausing.EXPIRED:
        return _("This pause slip has expired and its answers have been deleted. Please start the application again.")
    if resumed.problem == pausing.POWER_UNKNOWN:
        return _(_POWER_REFUSALS[powers.UNKNOWN])
    if resumed.problem == pausing.CHANGED:
        return _("The form has changed since the pause. Please start the application again.")
    text = _("No paused application was found with this code. Please check the code on your pause slip.")
    if resumed.wait_seconds:
        minutes = max(1, -(-resumed.wait_seconds // 60))
        ngettext = ntranslator(lang)
        wait = ngettext(
            "Too many wrong tries. Please wait {count} minute.",
            "Too many wrong tries. Please wait {count} minutes.",
            minutes,
        ).format(count=minutes)
        return wait if resumed.problem == pausing.LOCKED else f"{text} {wait}"
    return text
