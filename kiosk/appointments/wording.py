"""An appointment in plain words, for the receipt and the status look-up (German and English)."""

from __future__ import annotations

from kiosk.appointments.booking import AppointmentInfo
from kiosk.appointments.calendar import KioskCalendar, when_text
from kiosk.i18n import N_, translator

STATE_SENTENCES = {
    "confirmed": N_("Your appointment is confirmed."),
    "pending": N_("Your request has been sent. The town hall has not answered yet."),
    "proposed": N_("The town hall suggests this time for you. It is held for you; if it does not suit you, please cancel it here."),
    "moved": N_("Your appointment had to be moved. This is your new time:"),
    "declined": N_("The town hall could not give you an appointment."),
    "cancelled": N_("This appointment is cancelled."),
}
REASONS = {
    "no_free_time": N_("There is no free time in the next weeks."),
    "slot_taken": N_("The time booked at the kiosk was no longer free."),
    "cancelled_by_citizen": N_("Cancelled with your receipt code."),
}


def appointment_lines(info: AppointmentInfo, calendar: KioskCalendar, lang: str) -> list[str]:
    """The state, then day and time, then the place; a reason where the town hall gave one."""
    _ = translator(lang)
    lines = [_(STATE_SENTENCES.get(info.state, STATE_SENTENCES["pending"]))]
    if info.start is not None and info.state not in ("cancelled", "declined"):
        lines.append(_("When: {when}").format(when=when_text(info.start, lang)))
        lines.append(_("Where: {place}").format(place=calendar.place_name(info.place, lang)))
    if info.reason and info.state != "cancelled":
        reason = REASONS.get(info.reason)
        lines.append(_("Reason: {reason}").format(reason=_(reason) if reason else info.reason))
    return lines


def how_to_cancel(info: AppointmentInfo, lang: str) -> str:
    _ = translator(lang)
    if info.vaccination:
        return _(
            "To cancel or change the appointment: at this kiosk under “Check the status of an "
            "application” with this code and your date of birth, or call the town hall."
        )
    return _(
        "To cancel or change the appointment: at this kiosk under “Check the status of an "
        "application” with this code, or call the town hall."
    )


def receipt_words(info: AppointmentInfo | None, calendar: KioskCalendar, lang: str) -> dict[str, object]:
    """What ``kiosk.receipt.build_receipt`` adds for a booking: its lines and how to cancel; a
    confirmed time leaves out the form's "what happens now" (nothing is waiting)."""
    if info is None:
        return {}
    words: dict[str, object] = {
        "appointment": tuple(appointment_lines(info, calendar, lang)),
        "how_to_cancel": how_to_cancel(info, lang),
    }
    return words
