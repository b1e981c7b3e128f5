"""Appointment rules both sides apply: slot quotas held in escrow by kiosks, lead times, windows.

Pure: no files, no network, no Textual. The town hall (``sync.calendar``) and the kiosk
(``kiosk.appointments``) import the same rules, so they can never disagree about when a kiosk stops
handing out a slot or when a slot a kiosk held may be given to somebody else. The rules are
written down in docs/booking.md.
"""

from booking.escrow import (
    Grant,
    UsageReport,
    grant_is_settled,
    kiosk_may_hand_out,
    quota_cutoff,
)
from booking.units import UnitKey, format_unit, parse_unit
from booking.windows import PARTS, Window, parse_window, unit_in_window

__all__ = [
    "Grant",
    "PARTS",
    "UnitKey",
    "UsageReport",
    "Window",
    "format_unit",
    "grant_is_settled",
    "kiosk_may_hand_out",
    "parse_unit",
    "parse_window",
    "quota_cutoff",
    "unit_in_window",
]
