"""The town hall's side of assisted mode: enrolled volunteers, powers of attorney, the audit chains
the kiosks send, and what staff see about the help given with an application.

The library functions the staff workplace calls (the CLI ``rathaus volunteers`` / ``rathaus powers``
/ ``rathaus inbox audit`` is a thin layer over the same):

- ``open_registry(townhall_dir)`` → ``Registry``: ``enrol_volunteer``, ``revoke_volunteer``,
  ``new_pin``, ``new_badge``, ``volunteers``, ``volunteer``; ``record_power``, ``revoke_power``,
  ``powers``, ``power``;
- ``check_audit(townhall_dir, allowlist)`` → one ``KioskAudit`` per kiosk with its problems;
- ``describe_assistance(opened, registry, lang)`` → ``AssistanceView`` for one opened application
  ("assisted by …" / "filed by … on behalf of …", and whether the power was valid then).
"""

from sync.assistance.registry import (
    EnrolledVolunteer,
    PowerRecord,
    RecordedPower,
    Registry,
    VolunteerRecord,
    open_registry,
    short_name,
)

__all__ = [
    "EnrolledVolunteer",
    "PowerRecord",
    "RecordedPower",
    "Registry",
    "VolunteerRecord",
    "open_registry",
    "short_name",
]
