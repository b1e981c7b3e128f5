"""What staff see about the help given with one opened application, and whether it held.

"Assisted by Anna M. (volunteer V0007)" or "Filed by Karl S. on behalf of Maria S. under power
of attorney P0003", the consent's text version and time, and the town hall's own check at the
capture time the kiosk sealed: was the volunteer enrolled and not revoked, was the power valid
for this service that day. ``describe_assistance`` is what ``rathaus inbox show`` prints and
what the staff workplace's application page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assisted_mode import powers as power_rules
from assisted_mode import volunteers as volunteer_rules
from assisted_mode.audit import AuditEntry
from assisted_mode.roles import VOLUNTEER
from assisted_mode.volunteers import VolunteerTerms
from kiosk.i18n import N_, translator
from sync.assistance.registry import Registry
from sync.envelope.fields import parse_timestamp
from sync.inbox.reader import OpenedSubmission, local_time

POWER_TEXTS = {
    power_rules.VALID: N_("The power of attorney was valid for this service when the application was made."),
    power_rules.NOT_YET_VALID: N_("Attention: the power of attorney was not yet valid when the application was made."),
    power_rules.EXPIRED: N_("Attention: the power of attorney had expired when the application was made."),
    power_rules.WRONG_SERVICE: N_("Attention: the power of attorney does not cover this service."),
    power_rules.REVOKED: N_("Attention: the power of attorney was revoked before the application was made."),
    power_rules.UNKNOWN: N_("Attention: this town hall has no record of the power of attorney."),
}
VOLUNTEER_TEXTS = {
    volunteer_rules.ACTIVE: N_("The volunteer was enrolled and not revoked when the application was made."),
    volunteer_rules.EXPIRED: N_("Attention: the volunteer's enrolment had ended when the application was made."),
    volunteer_rules.REVOKED: N_("Attention: the volunteer was revoked before the application was made."),
    volunteer_rules.UNKNOWN: N_("Attention: this town hall has no record of the volunteer."),
}


@dataclass(frozen=True)
class AssistanceView:
    """``summary`` in one line, ``details`` and ``checks`` below it; ``valid`` is ``False``
    when a check failed (show it highlighted)."""

    summary: str
    details: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    valid: bool = True
    audit: list[AuditEntry] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [self.summary, *self.details, *self.checks]


def describe_assistance(opened: OpenedSubmission, registry: Registry, lang: str) -> AssistanceView | None:
    """``None`` when nobody helped; otherwise who, in which role, and whether it held."""
    record = opened.assistance
    _ = translator(lang)
    if record is None:
        if opened.assistance_unreadable:
            return AssistanceView(_("Attention: the information on who helped cannot be read."), valid=False)
        return None
    meta = opened.meta
    captured = parse_timestamp(meta.captured_at)
    details = [
        _("The citizen agreed to the help (consent text {version}) on {moment}.").format(
            version=record.consent_version, moment=local_time(record.consent_given_at, lang)
        )
    ]
    checks: list[str] = []
    valid = True
    if record.on_behalf:
        summary = _("Filed by {agent} on behalf of {principal} under power of attorney {power}.").format(
            agent=record.helper.name, principal=record.principal, power=record.power_id
        )
        power = registry.find_power(record.power_id)
        standing = power_rules.check_power(power.terms if power else None, meta.form_id, captured)
        if power is not None:
            details.append(
                _("Recorded at the town hall: {agent} for {principal}, paper reference {paper}.").format(
                    agent=power.agent_name, principal=power.principal_name, paper=power.paper_reference or "-"
                )
            )
        checks.append(_(POWER_TEXTS[standing]))
        valid = standing == power_rules.VALID
    elif record.helper.kind == VOLUNTEER:
        summary = _("Assisted by {name} (volunteer {id}).").format(name=record.helper.name, id=record.helper.id)
        volunteer = registry.find_volunteer(record.helper.id)
        terms = None if volunteer is None else VolunteerTerms(
            volunteer.volunteer_id, volunteer.display_name, volunteer.valid_until, volunteer.revoked_at
        )
        standing = volunteer_rules.volunteer_standing(terms, captured)
        if volunteer is not None:
            details.append(_("Enrolled volunteer: {name}.").format(name=volunteer.name))
        checks.append(_(VOLUNTEER_TEXTS[standing]))
        valid = standing == volunteer_rules.ACTIVE
    else:
        summary = _("Assisted by {name} (not an enrolled volunteer).").format(name=record.helper.name)
    return AssistanceView(
        summary, details, checks, valid, registry.audit_for_reference(meta.kiosk_id, meta.code)
    )
