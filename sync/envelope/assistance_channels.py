"""Two download channels for assisted mode: ``volunteers`` and ``powers`` (docs/downloads.md).

Both are snapshots: the kiosk holds exactly the town hall's current list. They carry what a
kiosk needs to let a volunteer sign in and to check a power of attorney, and no more: ids, the
short name shown on the screen and the receipt ("Anna M."), last days, revocation times, the
services a power covers, and Argon2id hashes of badge, PIN and power-code secrets. Full names,
addresses and the paper documents stay at the town hall. A revoked volunteer or power is sent
without its hashes (nothing of it can be tried any more) but with its revocation time, so the
kiosk can say why it refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assisted_mode.powers import PowerTerms
from assisted_mode.record import POWER_ID, VOLUNTEER_ID
from assisted_mode.volunteers import VolunteerTerms
from kiosk.errors import EnvelopeError
from sync.envelope import fields as f
from sync.envelope.downloads import KIND_DOWNLOAD, ChannelFormat, register_channel_format

MAX_VOLUNTEERS = 1000
MAX_POWERS = 1000
MAX_SHORT_NAME = 40
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HASH_OR_EMPTY = re.compile(r"|\$argon2id\$v=19\$m=[0-9]{1,7},t=[0-9]{1,2},p=[0-9]{1,2}\$[A-Za-z0-9+/]{16,64}\$[A-Za-z0-9+/]{32,128}")
_FORM_ID = f.FORM_ID
_VOLUNTEER_KEYS = frozenset({"id", "name", "valid_until", "revoked_at", "badge", "pin"})
_POWER_KEYS = frozenset({"id", "services", "valid_from", "valid_until", "revoked_at", "code", "agent", "principal"})


def _revoked_at(fields: f.Fields) -> str:
    return "" if fields.value["revoked_at"] == "" else fields.timestamp("revoked_at")


def _short_name(fields: f.Fields, key: str) -> str:
    name = fields.free_text(key, MAX_SHORT_NAME)
    if "\n" in name or not name.strip():
        raise fields.fail(f"{key!r} is not a one-line name")
    return name


def check_volunteer(value: object, position: int) -> VolunteerTerms:
    fields = f.Fields(value, KIND_DOWNLOAD, _VOLUNTEER_KEYS, where=f"volunteer {position}")
    return VolunteerTerms(
        volunteer_id=fields.text("id", VOLUNTEER_ID),
        display_name=_short_name(fields, "name"),
        valid_until=fields.text("valid_until", _DAY),
        revoked_at=_revoked_at(fields),
        badge_hash=fields.text("badge", _HASH_OR_EMPTY),
        pin_hash=fields.text("pin", _HASH_OR_EMPTY),
    )


def volunteer_to_json(terms: VolunteerTerms) -> dict[str, Any]:
    return {
        "id": terms.volunteer_id, "name": terms.display_name, "valid_until": terms.valid_until,
        "revoked_at": terms.revoked_at, "badge": terms.badge_hash, "pin": terms.pin_hash,
    }


@dataclass(frozen=True)
class KioskPower:
    """A power of attorney as a kiosk holds it: its terms, the code's hash and the short names."""

    terms: PowerTerms
    code_hash: str
    agent: str
    principal: str


def check_power_entry(value: object, position: int) -> KioskPower:
    fields = f.Fields(value, KIND_DOWNLOAD, _POWER_KEYS, where=f"power {position}")
    services = fields.text_list("services", _FORM_ID, minimum=1, maximum=64)
    terms = PowerTerms(
        power_id=fields.text("id", POWER_ID),
        services=services,
        valid_from=fields.text("valid_from", _DAY),
        valid_until=fields.text("valid_until", _DAY),
        revoked_at=_revoked_at(fields),
    )
    return KioskPower(
        terms,
        fields.text("code", _HASH_OR_EMPTY),
        _short_name(fields, "agent"),
        _short_name(fields, "principal"),
    )


def power_to_json(power: KioskPower) -> dict[str, Any]:
    terms = power.terms
    return {
        "id": terms.power_id, "services": list(terms.services), "valid_from": terms.valid_from,
        "valid_until": terms.valid_until, "revoked_at": terms.revoked_at, "code": power.code_hash,
        "agent": power.agent, "principal": power.principal,
    }


VOLUNTEERS_CHANNEL = register_channel_format(
    ChannelFormat("volunteers", "snapshot", check_volunteer, volunteer_to_json, MAX_VOLUNTEERS)
)
POWERS_CHANNEL = register_channel_format(
    ChannelFormat("powers", "snapshot", check_power_entry, power_to_json, MAX_POWERS)
)

__all__ = [
    "EnvelopeError",
    "KioskPower",
    "POWERS_CHANNEL",
    "VOLUNTEERS_CHANNEL",
    "check_power_entry",
    "check_volunteer",
    "power_to_json",
    "volunteer_to_json",
]
