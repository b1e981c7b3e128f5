"""The answers staff give on a submission, checked before they travel back to the kiosk.

A status message is shown at the kiosk to whoever types the receipt code, so it says what the
receipt holder may read and no more; a reason is required where the citizen must act on it
(a rejection, a request for more information) and the date and time where an appointment is
confirmed. ``staff_note`` stays at the town hall.
"""

from __future__ import annotations

from kiosk.errors import RathausError
from kiosk.i18n import N_, Gettext
from sync.envelope import MAX_STATUS_MESSAGE_CHARS, STATUSES
from sync.envelope.fields import NOT_IN_MESSAGES

NO_STATUS = "received"
"""What a submission shows before staff set anything: it has arrived."""

STATUS_LABELS: dict[str, str] = {
    "received": N_("received"),
    "in_progress": N_("in progress"),
    "accepted": N_("accepted"),
    "rejected": N_("rejected"),
    "appointment_confirmed": N_("appointment confirmed"),
    "needs_information": N_("information needed"),
}

_MESSAGE_REQUIRED: dict[str, str] = {
    "rejected": N_(
        "Please give the reason for the rejection in plain words (--message); "
        "the citizen reads it at the kiosk."
    ),
    "needs_information": N_(
        "Please say which information is missing (--message); the citizen reads it at the kiosk."
    ),
    "appointment_confirmed": N_(
        "Please give the date and time of the appointment (--message), "
        "for example: Tuesday, 14 April, 10:30, Room 2."
    ),
}



def status_label(status: str, _: Gettext) -> str:
    """The status in words for staff and printouts (``in_progress`` → "in Bearbeitung")."""
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def check_status(status: str, message: str, _: Gettext) -> tuple[str, str]:
    """The status and the cleaned message, or a ``RathausError`` saying what is missing."""
    status = status.strip().lower().replace("-", "_")
    if status not in STATUSES:
        raise RathausError(
            _("Unknown status '{status}'. Possible: {statuses}").format(
                status=status, statuses=", ".join(STATUSES)
            )
        )
    cleaned = NOT_IN_MESSAGES.sub(" ", message.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    cleaned = "\n".join(line.strip() for line in cleaned.strip().split("\n"))
    if status in _MESSAGE_REQUIRED and not cleaned:
        raise RathausError(_(_MESSAGE_REQUIRED[status]))
    if len(cleaned) > MAX_STATUS_MESSAGE_CHARS:
        raise RathausError(
            _("The message is {count} characters long; at most {limit} fit on the kiosk's screen.").format(
                count=len(cleaned), limit=MAX_STATUS_MESSAGE_CHARS
            )
        )
    return status, cleaned


def clean_note(note: str) -> str:
    """The staff's own remark on one line, without characters the database cannot hold."""
    return " ".join(NOT_IN_MESSAGES.sub(" ", note).split())
