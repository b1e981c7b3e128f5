"""Booking at the kiosk: confirmed at once from the kiosk's own quota, or a tentative request;
cancelling by receipt code (and date of birth for a vaccination); what a code shows.

A booking is an application like every other: sealed in memory and queued in one transaction
(``kiosk.store``). In that same transaction the unit is marked as this kiosk's booking (a unit is
booked once per kiosk: a UNIQUE column), the kiosk's count of quota bookings grows by one (the
``calendar-usage`` version its next download request reports, docs/booking.md §4) and the booking
carries that number inside the seal. A power cut leaves all of it or none of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assisted_mode.record import AssistanceRecord, with_assistance
from booking.answers import CANCEL_FORM_ID, CANCEL_FORM_VERSION
from booking.escrow import kiosk_may_hand_out
from booking.record_box import birth_date_check, birth_date_matches
from kiosk.appointments.calendar import CALENDAR, CALENDAR_USAGE, KioskCalendar, appointment_field
from kiosk.errors import RathausError
from kiosk.forms import FormDefinition
from kiosk.forms.schema import APPOINTMENT_REQUEST
from kiosk.i18n import translator
from kiosk.store import AuditNote, QueuedSubmission, Store
from kiosk.store import channels
from sync.envelope import ItemMeta, seal_item
from sync.envelope.suites import RecipientPublicKey

BIRTH_DATE_FIELD = "birth_date"
CANCEL_FORM_HASH = hashlib.sha256(b"rathaus-kiosk termin_absage 1").hexdigest()


class TimeNoLongerFree(RathausError):
    """The chosen time was given away or passed its lead time while the person filled in."""


@dataclass(frozen=True)
class AppointmentInfo:
    """What the receipt and the status look-up say about one appointment."""

    state: str  # confirmed | pending | proposed | moved | declined | cancelled
    service: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    place: str = ""
    reason: str = ""
    vaccination: bool = False
    has_record: bool = False
    cancelled_here: bool = False


@dataclass(frozen=True)
class BookedSubmission:
    """A queued submission and the appointment it holds (for the receipt)."""

    reference: str
    form_id: str
    form_version: str
    form_hash: str
    captured_at: str
    state: Any
    appointment: AppointmentInfo | None = None


def read_calendar(store: Store) -> KioskCalendar:
    return KioskCalendar.from_entries(store.channel_entries(CALENDAR))


def booked_units(store: Store) -> set[str]:
    with store.reading() as db:
        return {str(row[0]) for row in db.execute("SELECT unit FROM appointments WHERE unit IS NOT NULL")}


def submit_booking(
    store: Store,
    form: FormDefinition,
    answers: Mapping[str, Any],
    *,
    kiosk_id: str,
    recipient: RecipientPublicKey,
    signing_key: Ed25519PrivateKey,
    calendar: KioskCalendar,
    lang: str,
    now: dt.datetime | None = None,
    assistance: AssistanceRecord | None = None,
    audit_actor: str = "",
) -> BookedSubmission:
    """Seal and queue a booking form's answers; a quota time is booked in the same transaction.
    Who helped (``assistance``) is sealed beside the answers and noted in the audit chain, as for
    every other application (``kiosk.submission``)."""
    _ = translator(lang)
    question = appointment_field(form)
    if question is None or question.id not in answers:
        raise ValueError(f"form {form.id!r} has no appointment answer")
    moment = now or dt.datetime.now(dt.timezone.utc)
    chosen = answers[question.id]
    service = question.service or ""
    unit = None if chosen == APPOINTMENT_REQUEST else calendar.unit(chosen)
    if chosen != APPOINTMENT_REQUEST and (unit is None or not kiosk_may_hand_out(unit.start, calendar.lead, moment)):
        raise TimeNoLongerFree(_("This time can no longer be booked at this kiosk. Please go back and choose another."))
    birth = answers.get(BIRTH_DATE_FIELD) if calendar.is_vaccination(service) else None

    def seal(reference: str, captured_at: str) -> bytes:
        db = store.db  # the store's transaction is open: every row below commits with the item
        sealed_answers = dict(answers)
        if unit is not None:
            serial = channels.channel_state(db, CALENDAR_USAGE).version + 1
            try:
                db.execute(
                    "INSERT INTO appointments (reference, service, unit, serial, starts_at, ends_at, place,"
                    " birth_check, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        reference, service, unit.unit, serial, unit.start.isoformat(), unit.end.isoformat(),
                        unit.place, birth_date_check(reference, dt.date.fromisoformat(birth)) if birth else None,
                        captured_at,
                    ],
                )
            except Exception as exc:
                if type(exc).__name__ == "IntegrityError":
                    raise TimeNoLongerFree(
                        _("This time has just been booked. Please go back and choose another.")
                    ) from None
                raise
            channels.advance_channel(db, CALENDAR_USAGE, version=serial)
            sealed_answers[question.id] = {"serial": serial, "unit": unit.unit}
        else:
            db.execute(
                "INSERT INTO appointments (reference, service, birth_check, created_at) VALUES (?, ?, ?, ?)",
                [reference, service, birth_date_check(reference, dt.date.fromisoformat(birth)) if birth else None, captured_at],
            )
        meta = ItemMeta(form.id, form.version, form.content_hash, kiosk_id, reference, captured_at)
        return seal_item(meta, with_assistance(sealed_answers, assistance), recipient, signing_key)

    queued = store.queue_submission(
        form_id=form.id, form_version=form.version, form_hash=form.content_hash, seal=seal, now=moment,
        audit=AuditNote(kiosk_id, audit_actor) if assistance is not None else None,
    )
    info = AppointmentInfo(
        state="confirmed" if unit is not None else "pending",
        service=service,
        start=unit.start if unit else None,
        end=unit.end if unit else None,
        place=unit.place if unit else "",
        vaccination=calendar.is_vaccination(service),
    )
    return BookedSubmission(
        queued.reference, queued.form_id, queued.form_version, queued.form_hash, queued.captured_at, queued.state, info
    )


def _row(store: Store, reference: str) -> tuple | None:
    with store.reading() as db:
        return db.execute(
            "SELECT reference, service, unit, starts_at, ends_at, place, birth_check, cancelled_at"
            " FROM appointments WHERE reference = ?",
            [reference],
        ).fetchone()


def is_appointment(store: Store, reference: str) -> bool:
    return _row(store, reference) is not None


def needs_birth_date(store: Store, reference: str) -> bool:
    row = _row(store, reference)
    return row is not None and row[6] is not None


def birth_date_fits(store: Store, reference: str, birth: dt.date) -> bool:
    row = _row(store, reference)
    return row is not None and row[6] is not None and birth_date_matches(row[6], reference, birth)


def appointment_info(store: Store, calendar: KioskCalendar, reference: str) -> AppointmentInfo | None:
    """Where an appointment booked here stands: the town hall's answer if one came, else what
    the kiosk knows (confirmed from its quota, or a request waiting)."""
    row = _row(store, reference)
    if row is None:
        return None
    _ref, service, unit, starts_at, ends_at, place, _check, cancelled_at = row
    vaccination = calendar.is_vaccination(service)
    has_record = reference in calendar.records
    answer = calendar.answers.get(reference)
    if cancelled_at is not None:
        return AppointmentInfo("cancelled", service, vaccination=vaccination, has_record=has_record, cancelled_here=True)
    if answer is not None:
        return AppointmentInfo(
            answer["state"], service,
            dt.datetime.fromisoformat(answer["start"]) if answer["start"] else None,
            dt.datetime.fromisoformat(answer["end"]) if answer["end"] else None,
            answer["place"], answer["reason"], vaccination, has_record,
        )
    if unit is not None:
        return AppointmentInfo(
            "confirmed", service, dt.datetime.fromisoformat(starts_at), dt.datetime.fromisoformat(ends_at),
            place or "", "", vaccination, has_record,
        )
    return AppointmentInfo("pending", service, vaccination=vaccination, has_record=has_record)


def cancel_booking(
    store: Store,
    reference: str,
    *,
    kiosk_id: str,
    recipient: RecipientPublicKey,
    signing_key: Ed25519PrivateKey,
    now: dt.datetime | None = None,
) -> QueuedSubmission:
    """Queue the sealed cancellation and mark the appointment cancelled here, in one transaction.
    The unit goes back to the town hall (never to this kiosk's quota) once the cancellation
    arrives there."""

    def seal(cancel_reference: str, captured_at: str) -> bytes:
        store.db.execute(
            "UPDATE appointments SET cancelled_at = ? WHERE reference = ? AND cancelled_at IS NULL",
            [captured_at, reference],
        )
        meta = ItemMeta(CANCEL_FORM_ID, CANCEL_FORM_VERSION, CANCEL_FORM_HASH, kiosk_id, cancel_reference, captured_at)
        return seal_item(meta, {"reference": reference}, recipient, signing_key)

    return store.queue_submission(
        form_id=CANCEL_FORM_ID, form_version=CANCEL_FORM_VERSION, form_hash=CANCEL_FORM_HASH, seal=seal, now=now
    )
