"""The kiosk's appointment actions as the screens call them, with the wrong-try rules applied.

``KioskAppointments`` is what ``KioskRuntime.appointments`` returns: offer a form with the
kiosk's free times, book, look an appointment up, cancel it (date of birth checked for a
vaccination), open the vaccination record. Each check of code + date of birth first asks the
throttle (``kiosk.appointments.throttle``); a wrong one is counted per code and per kiosk, and
the message never says which of the two was wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from assisted_mode.record import AssistanceRecord
from booking.record_box import WrongSecret, open_record
from kiosk import refcode
from kiosk.appointments import throttle
from kiosk.appointments.booking import (
    AppointmentInfo,
    BookedSubmission,
    appointment_info,
    birth_date_fits,
    booked_units,
    cancel_booking,
    needs_birth_date,
    read_calendar,
    submit_booking,
)
from kiosk.appointments.calendar import CALENDAR, appointment_field, materialize
from kiosk.errors import RathausError, ReferenceCodeError
from kiosk.forms import FormDefinition
from kiosk.i18n import N_, format_date, format_datetime, ntranslator, translator
from kiosk.receipt import parse_moment


AS_OF_SENTENCE = N_("The free times are as of {when}, the kiosk's last contact with the town hall.")


class WrongCodeOrBirthDate(RathausError):
    """Code and date of birth do not fit together (or the person must wait before trying again)."""


@dataclass(frozen=True)
class Found:
    reference: str
    info: AppointmentInfo
    needs_birth_date: bool


class KioskAppointments:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.runtime.store

    def now(self) -> dt.datetime:
        """The kiosk's clock for handing out quota times: never earlier than a time this kiosk has
        already signed a download request with. The town hall takes a time back once such a
        request is at or after its cutoff; a clock set back afterwards must not hand it out
        again (docs/booking.md §4)."""
        return booking_clock(self.store)

    # -- booking ---------------------------------------------------------------------------------

    def prepare(self, form: FormDefinition) -> FormDefinition:
        """The form with this kiosk's free times and the days one may wish for, as of now; the
        appointment question's help says how fresh the kiosk's calendar is."""
        prepared = materialize(form, read_calendar(self.store), booked_units(self.store), self.now())
        question = appointment_field(prepared)
        as_of = self.as_of()
        if question is None or not as_of:
            return prepared
        moment = parse_moment(as_of)
        help_text = {
            lang: question.text("help", lang) + "\n\n" + translator(lang)(AS_OF_SENTENCE).format(when=format_datetime(moment, lang))
            for lang in ("de", "en")
        }
        fields = tuple(replace(f, help=help_text) if f.id == question.id else f for f in prepared.fields)
        return replace(prepared, fields=fields)

    def is_booking(self, form: FormDefinition) -> bool:
        return appointment_field(form) is not None

    def book(
        self,
        form: FormDefinition,
        answers: Mapping[str, Any],
        lang: str,
        *,
        assistance: AssistanceRecord | None = None,
        audit_actor: str = "",
    ) -> BookedSubmission:
        runtime = self.runtime
        return submit_booking(
            self.store, form, answers, kiosk_id=runtime.kiosk_id, recipient=runtime.recipient,
            signing_key=runtime.kiosk_keys.signing, calendar=read_calendar(self.store), lang=lang, now=self.now(),
            assistance=assistance, audit_actor=audit_actor,
        )

    def as_of(self) -> str | None:
        return self.store.channel_state(CALENDAR).as_of

    def place_name(self, place: str, lang: str) -> str:
        return read_calendar(self.store).place_name(place, lang)

    # -- looking up ------------------------------------------------------------------------------

    def find(self, reference: str) -> Found | None:
        """The appointment behind a compact code booked here, or ``None``."""
        info = appointment_info(self.store, read_calendar(self.store), reference)
        if info is None:
            return None
        return Found(reference, info, needs_birth_date(self.store, reference))

    def _wait_message(self, seconds: int, lang: str) -> str:
        minutes = max(1, (seconds + 59) // 60)
        return ntranslator(lang)(
            "Too many wrong tries. For your protection, please wait {minutes} minute and try again, "
            "or ask at the town hall.",
            "Too many wrong tries. For your protection, please wait {minutes} minutes and try again, "
            "or ask at the town hall.",
            minutes,
        ).format(minutes=minutes)

    def _wrong(self, lang: str) -> WrongCodeOrBirthDate:
        _ = translator(lang)
        return WrongCodeOrBirthDate(
            _(
                "The code and the date of birth do not fit together. Please check both on your "
                "receipt and try again. Nothing has been changed."
            )
        )

    def refuse_while_slowed_down(self, lang: str) -> None:
        """Before any look-up: too many wrong codes or dates of birth at this kiosk make it wait."""
        wait = throttle.seconds_to_wait(self.store, [throttle.KIOSK_SCOPE])
        if wait:
            raise WrongCodeOrBirthDate(self._wait_message(wait, lang))

    def count_unknown_code(self) -> None:
        """A well-formed code this kiosk never issued: counted for the kiosk (codes are not to be
        found by trying)."""
        throttle.record_wrong_try(self.store, [throttle.KIOSK_SCOPE])

    def check_birth_date(self, typed_code: str, birth: dt.date, lang: str) -> str:
        """The compact code when it and ``birth`` belong together; otherwise counted and refused."""
        try:
            reference = refcode.parse(typed_code, lang)
        except ReferenceCodeError:
            reference = None
        scopes = [throttle.KIOSK_SCOPE] + ([throttle.code_scope(reference)] if reference else [])
        wait = throttle.seconds_to_wait(self.store, scopes)
        if wait:
            raise WrongCodeOrBirthDate(self._wait_message(wait, lang))
        calendar = read_calendar(self.store)
        fits = reference is not None and (
            birth_date_fits(self.store, reference, birth) or self._record_opens(calendar, reference, birth)
        )
        if not fits:
            throttle.record_wrong_try(self.store, scopes)
            raise self._wrong(lang)
        throttle.clear(self.store, throttle.code_scope(reference))  # type: ignore[arg-type]
        return reference  # type: ignore[return-value]

    @staticmethod
    def _record_opens(calendar, reference: str, birth: dt.date) -> bool:  # type: ignore[no-untyped-def]
        sealed = calendar.records.get(reference)
        if sealed is None:
            return False
        try:
            open_record(sealed, reference, birth)
        except WrongSecret:
            return False
        return True

    # -- cancelling ------------------------------------------------------------------------------

    def cancel(self, reference: str, lang: str, *, birth: dt.date | None = None) -> None:
        """Cancel an appointment booked here; a vaccination appointment needs the date of birth."""
        _ = translator(lang)
        found = self.find(reference)
        if found is None:
            raise RathausError(_("No appointment with this code was booked at this kiosk."))
        if found.needs_birth_date:
            if birth is None:
                raise self._wrong(lang)
            self.check_birth_date(reference, birth, lang)
        if found.info.state in ("cancelled", "declined"):
            raise RathausError(_("This appointment is already cancelled."))
        runtime = self.runtime
        cancel_booking(
            self.store, reference, kiosk_id=runtime.kiosk_id, recipient=runtime.recipient,
            signing_key=runtime.kiosk_keys.signing,
        )

    # -- the vaccination record ------------------------------------------------------------------

    def vaccination_record(self, typed_code: str, birth: dt.date, lang: str) -> dict[str, Any]:
        """The record for code + date of birth, opened here and never stored opened."""
        reference = self.check_birth_date(typed_code, birth, lang)
        sealed = read_calendar(self.store).records.get(reference)
        if sealed is None:
            _ = translator(lang)
            raise RathausError(
                _("There is no vaccination record for this code yet. It arrives after the vaccination, with the next connection to the town hall.")
            )
        return open_record(sealed, reference, birth)


def booking_clock(store, wall: dt.datetime | None = None) -> dt.datetime:  # store: kiosk.store.Store
    """``wall`` (the kiosk's clock, UTC) or the latest time signed in a download request, whichever
    is later."""
    now = wall or dt.datetime.now(dt.timezone.utc)
    signed = store.latest_signed_at()
    if signed:
        now = max(now, parse_moment(signed))
    return now


def birth_date_text(value: dt.date, lang: str) -> str:
    return format_date(value, lang)
