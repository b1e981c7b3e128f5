"""The ``@assistance`` object sealed with an assisted application (docs/envelope.md, 4.8).

It travels *inside* the sealed item, beside the answers, as one reserved member of the answers
object: ``"@assistance"`` (a form's question ids never start with ``@``, docs/forms.md). So it is
encrypted for the town hall and covered by the kiosk's item signature like every answer, and
the item format stays ``rathaus-item/2``: a town hall that does not know the member shows it as
one more answer and loses nothing. It names who helped and in which role, the power of attorney
relied on, and the version and moment of the citizen's consent: ids and the short names shown on
the kiosk, never more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from assisted_mode.roles import HELPER_KINDS, PERSON, REPRESENTATIVE, ROLES, VOLUNTEER
from sync.envelope import fields as f
from sync.envelope.failures import KIND_ANSWERS

ASSISTANCE_KEY = "@assistance"
VOLUNTEER_ID = re.compile(r"V[0-9]{4,6}")
POWER_ID = re.compile(r"P[0-9]{4,6}")
CONSENT_VERSION_PATTERN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,15}")
MAX_NAME_CHARS = 80

_KEYS = frozenset({"role", "helper", "principal", "power_id", "consent"})
_HELPER_KEYS = frozenset({"kind", "id", "name"})
_CONSENT_KEYS = frozenset({"version", "given_at"})
_EMPTY = re.compile(r"")


@dataclass(frozen=True)
class Helper:
    """Who helps: an enrolled volunteer (``id`` set) or a person known by the name typed in."""

    kind: str
    name: str
    id: str = ""

    def label(self) -> str:
        """``Anna M. (V0007)`` for a volunteer, the name alone for anyone else."""
        return f"{self.name} ({self.id})" if self.id else self.name


@dataclass(frozen=True)
class AssistanceRecord:
    """What the town hall learns about the help given with one application."""

    role: str
    helper: Helper
    consent_version: str
    consent_given_at: str  # YYYY-MM-DDTHH:MM:SSZ
    principal: str = ""  # representative: the person acted for, as the kiosk showed them
    power_id: str = ""  # representative: the power of attorney relied on

    @property
    def on_behalf(self) -> bool:
        return self.role == REPRESENTATIVE

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "helper": {"kind": self.helper.kind, "id": self.helper.id, "name": self.helper.name},
            "principal": self.principal,
            "power_id": self.power_id,
            "consent": {"version": self.consent_version, "given_at": self.consent_given_at},
        }


def read_assistance(value: object) -> AssistanceRecord:
    """Check an ``@assistance`` object; ``EnvelopeError`` (``malformed``) for anything else."""
    top = f.Fields(value, KIND_ANSWERS, _KEYS, where="@assistance")
    role = top.choice("role", ROLES)
    helper_fields = f.Fields(top.value["helper"], KIND_ANSWERS, _HELPER_KEYS, where="@assistance.helper")
    kind = helper_fields.choice("kind", HELPER_KINDS)
    helper = Helper(
        kind=kind,
        name=_name(helper_fields, "name", required=True),
        id=helper_fields.text("id", VOLUNTEER_ID if kind == VOLUNTEER else _EMPTY),
    )
    consent = f.Fields(top.value["consent"], KIND_ANSWERS, _CONSENT_KEYS, where="@assistance.consent")
    on_behalf = role == REPRESENTATIVE
    record = AssistanceRecord(
        role=role,
        helper=helper,
        consent_version=consent.text("version", CONSENT_VERSION_PATTERN),
        consent_given_at=consent.timestamp("given_at"),
        principal=_name(top, "principal", required=on_behalf),
        power_id=top.text("power_id", POWER_ID if on_behalf else _EMPTY),
    )
    if not on_behalf and record.principal:
        raise top.fail("'principal' is only for a representative")
    return record


def _name(fields: f.Fields, key: str, *, required: bool) -> str:
    name = fields.free_text(key, MAX_NAME_CHARS)
    if "\n" in name or (required and not name.strip()):
        raise fields.fail(f"{key!r} is not a one-line name")
    return name


def split_assistance(answers: Mapping[str, Any]) -> tuple[dict[str, Any], AssistanceRecord | None]:
    """The answers without ``@assistance``, and the checked record if there was one."""
    plain = {key: value for key, value in answers.items() if key != ASSISTANCE_KEY}
    if ASSISTANCE_KEY not in answers:
        return plain, None
    return plain, read_assistance(answers[ASSISTANCE_KEY])


def with_assistance(answers: Mapping[str, Any], record: AssistanceRecord | None) -> dict[str, Any]:
    """What is sealed: the answers, plus ``@assistance`` when someone helped."""
    sealed = dict(answers)
    if record is not None:
        sealed[ASSISTANCE_KEY] = record.to_json()
    return sealed


__all__ = [
    "ASSISTANCE_KEY",
    "AssistanceRecord",
    "Helper",
    "PERSON",
    "VOLUNTEER",
    "read_assistance",
    "split_assistance",
    "with_assistance",
]
