"""The kiosk's appointments: its view of the town hall's calendar, booking from its quota or as a
request, cancelling by code (+ date of birth), wrong tries slowed down, the vaccination record.

Pure domain (no Textual); the rules shared with the town hall are in ``booking``.
"""

from kiosk.appointments.booking import (
    AppointmentInfo,
    BookedSubmission,
    TimeNoLongerFree,
    appointment_info,
    booked_units,
    cancel_booking,
    read_calendar,
    submit_booking,
)
from kiosk.appointments.calendar import KioskCalendar, materialize, when_text

__all__ = [
    "AppointmentInfo",
    "BookedSubmission",
    "KioskCalendar",
    "TimeNoLongerFree",
    "appointment_info",
    "booked_units",
    "cancel_booking",
    "materialize",
    "read_calendar",
    "submit_booking",
    "when_text",
]
