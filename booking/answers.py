"""How a booking travels inside a sealed application (the answer values both sides read).

* The ``appointment`` question's sealed value is ``{"unit": "<slot>#<n>", "serial": n}`` for a
  time confirmed from the kiosk's quota (``serial`` numbers the kiosk's quota bookings 1, 2, 3 …),
  or ``"request"`` for a tentative request.
* The ``windows`` question's value is a list of one to three ``YYYY-MM-DD/am|pm|any``.
* A cancellation is its own sealed item of service ``CANCEL_FORM_ID`` whose one answer
  ``reference`` names the cancelled code (same kiosk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from booking.units import UnitKey, parse_unit
from booking.windows import parse_windows

REQUEST = "request"
CANCEL_FORM_ID = "termin_absage"
CANCEL_FORM_VERSION = "1"


@dataclass(frozen=True)
class BookingAnswer:
    """What a booking application asks for: a quota unit (with its serial) or windows."""

    unit: UnitKey | None = None
    serial: int | None = None
    windows: tuple[str, ...] = ()

    @property
    def is_request(self) -> bool:
        return self.unit is None


def read_booking_answer(answers: Mapping[str, Any]) -> BookingAnswer | None:
    """Find the appointment (and windows) among a decrypted application's answers; ``None`` for an
    application without one (an older form version). Values that do not fit raise ``ValueError``."""
    appointment = None
    windows: tuple[str, ...] = ()
    for key, value in answers.items():
        if key.startswith("@"):  # not an answer: who helped (``@assistance``), docs/envelope.md
            continue
        if isinstance(value, dict) and set(value) == {"unit", "serial"}:
            appointment = value
        elif value == REQUEST and appointment is None:
            appointment = REQUEST
        elif isinstance(value, list) and value and all(isinstance(v, str) and "/" in v for v in value):
            windows = tuple(str(w) for w in parse_windows(value))
    if appointment is None:
        return None
    if appointment == REQUEST:
        if not windows:
            raise ValueError("a request without windows")
        return BookingAnswer(windows=windows)
    serial = appointment["serial"]
    if type(serial) is not int or serial < 1:
        raise ValueError("serial")
    return BookingAnswer(unit=parse_unit(appointment["unit"]), serial=serial)
