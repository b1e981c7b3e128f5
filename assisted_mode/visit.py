"""One assisted visit at the kiosk, as state without a screen: who helps, in which role, under
which power of attorney, and whether the citizen has agreed.

The screens hold one ``AssistedVisit`` while a helper is at the citizen's side; it is dropped with
the visit (finished, withdrawn, timed out). It knows what goes into the sealed ``@assistance``
object and which id the audit chain records for the helper's actions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from assisted_mode.consent import CONSENT_VERSION
from assisted_mode.powers import VALID, check_power
from assisted_mode.record import AssistanceRecord, Helper
from assisted_mode.roles import ASSISTANT, PERSON, REPRESENTATIVE, VOLUNTEER
from sync.envelope.assistance_channels import KioskPower
from sync.envelope.fields import utc_timestamp


@dataclass(frozen=True)
class AssistedVisit:
    role: str
    helper: Helper
    power: KioskPower | None = None
    consent_version: str = ""
    consent_given_at: str = ""

    @classmethod
    def by_person(cls, name: str) -> "AssistedVisit":
        """A relative, neighbour or friend helps, known by the name typed in."""
        return cls(ASSISTANT, Helper(PERSON, " ".join(name.split())))

    @classmethod
    def by_volunteer(cls, volunteer_id: str, display_name: str) -> "AssistedVisit":
        return cls(ASSISTANT, Helper(VOLUNTEER, display_name, volunteer_id))

    @classmethod
    def under_power(cls, power: KioskPower) -> "AssistedVisit":
        """The agent of ``power`` files on the principal's behalf."""
        return cls(REPRESENTATIVE, Helper(PERSON, power.agent), power=power)

    @property
    def actor(self) -> str:
        """Who the audit chain names: the power, the volunteer, or ``person``."""
        if self.power is not None:
            return self.power.terms.power_id
        return self.helper.id or PERSON

    @property
    def principal(self) -> str:
        return self.power.principal if self.power is not None else ""

    @property
    def consented(self) -> bool:
        return bool(self.consent_given_at)

    def with_consent(self, at: dt.datetime | None = None, version: str = CONSENT_VERSION) -> "AssistedVisit":
        return replace(self, consent_version=version, consent_given_at=utc_timestamp(at))

    def power_standing(self, service: str, at: dt.datetime) -> str:
        """``valid`` for an assistant; for a representative what ``check_power`` says."""
        if self.power is None:
            return VALID
        return check_power(self.power.terms, service, at)

    def record(self) -> AssistanceRecord:
        """What is sealed with the application (only after consent)."""
        if not self.consented:
            raise ValueError("no application is sealed with help the citizen has not agreed to")
        return AssistanceRecord(
            role=self.role,
            helper=self.helper,
            consent_version=self.consent_version,
            consent_given_at=self.consent_given_at,
            principal=self.principal,
            power_id=self.power.terms.power_id if self.power is not None else "",
        )
