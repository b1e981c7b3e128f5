"""The town hall's appointment desk: what staff (CLI and workplace) and the download channel call.

One ``AppointmentDesk`` per town hall: the calendar file (``sync.calendar.config``), the calendar
tables (``sync.calendar.store``) and a clock. Its functions are the staff actions of issue 11:

* ``day_view(day)`` — every slot of a day with every unit: free, a kiosk's quota, or booked (from
  a kiosk or the counter), in one list;
* ``book_at_counter(...)``, ``cancel(...)`` — the counter's own bookings, and cancelling any;
* ``grant(...)``, ``withdraw(...)``, ``write_off(...)`` — kiosk quotas by hand;
* ``pending_requests()``, ``answer_request(...)``, ``answer_requests_automatically()`` —
  tentative requests from kiosks: confirm, propose another time, or decline with a reason;
* ``record_vaccination(...)`` — the record that flows back to the kiosk, sealed for code + date
  of birth;
* ``register_*`` — bookings, requests and cancellations as they arrive from kiosks (read from the
  opened applications by ``sync.calendar.arrivals``);
* ``snapshot_for(kiosk, report)`` — the kiosk's ``calendar`` download: settles and tops up its
  quota first (docs/booking.md).

Every change is one transaction of ``CalendarStore``; the unit table's primary key is what makes a
double booking impossible, the escrow rules (``booking.escrow``) decide when a kiosk's unit returns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from booking.escrow import Grant, UsageReport, choose_top_up, grant_is_settled, quota_cutoff
from booking.record_box import seal_record
from booking.units import UnitKey, parse_unit
from booking.windows import Window, parse_windows, unit_in_window
from kiosk import refcode
from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator
from sync.calendar.config import TIMEZONE, CalendarConfig, Slot
from sync.calendar.store import COUNTER, TOWNHALL, BookingRow, CalendarStore, UnitRow, UnitTaken

log = logging.getLogger("rathaus.calendar")

ANSWER_DAYS = 60  # answers stay in a kiosk's snapshot this long after the appointment's day
RECORD_DAYS = 180  # vaccination records stay this long on the kiosk
MAX_ANSWERS = 600
OUTCOMES = ("confirmed", "proposed", "moved", "declined", "cancelled")
REASON_NO_TIME = "no_free_time"
REASON_SLOT_TAKEN = "slot_taken"


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(TIMEZONE).isoformat(timespec="minutes")


def utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class UnitView:
    """One unit in the day view: ``state`` is ``free``, ``quota`` (a kiosk holds it) or ``booked``."""

    key: UnitKey
    state: str
    holder: str  # "" when free, else "townhall" or the kiosk id
    reference: str | None
    source: str  # "counter", a kiosk id, or "" when free
    label: str
    booking_state: str = ""


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    units: tuple[UnitView, ...]


@dataclass(frozen=True)
class DayView:
    day: dt.date
    closed_reason: str | None
    slots: tuple[SlotView, ...]

    def bookings(self) -> list[UnitView]:
        return [unit for slot in self.slots for unit in slot.units if unit.state == "booked"]


class AppointmentDesk:
    def __init__(
        self,
        config: CalendarConfig,
        store: CalendarStore,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        lang: str | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._ = translator(lang or language_from_environment())

    # -- reading ---------------------------------------------------------------------------------

    def day_view(self, day: dt.date) -> DayView:
        """Every slot of ``day``, every unit with who holds it: kiosk quota, kiosk and counter
        bookings side by side."""
        slots = self.config.slots_on(day)
        first = dt.datetime.combine(day, dt.time(0), TIMEZONE)
        taken = {row.key: row for row in self.store.units_between(iso(first), iso(first + dt.timedelta(days=1)))}
        views = []
        for slot in slots:
            units = []
            for key in slot.units():
                row = taken.get(key)
                units.append(self._unit_view(key, row))
            views.append(SlotView(slot, tuple(units)))
        return DayView(day, self.config.closed_reason(day), tuple(views))

    def _unit_view(self, key: UnitKey, row: UnitRow | None) -> UnitView:
        if row is None:
            return UnitView(key, "free", "", None, "", "")
        if row.reference is None:
            return UnitView(key, "quota", row.holder, None, row.holder, "")
        source = row.holder if row.holder != TOWNHALL else ""
        booking = None
        for candidate in self.store.bookings_with_reference(row.reference):
            if candidate.key == key:
                booking = candidate
        if booking is not None:
            source = booking.kiosk_id or "counter"
        return UnitView(
            key, "booked", row.holder, row.reference, source or "counter",
            booking.label if booking else "", booking.state if booking else "",
        )

    def free_units(self, service: str, first: dt.date, days: int, *, after: dt.datetime | None = None) -> list[tuple[UnitKey, Slot]]:
        """Free units of ``service`` from ``first`` on, in time order."""
        found = []
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            view = self.day_view(day)
            for slot_view in view.slots:
                if slot_view.slot.service != service or (after is not None and slot_view.slot.start <= after):
                    continue
                for unit in slot_view.units:
                    if unit.state == "free":
                        found.append((unit.key, slot_view.slot))
        return found

    def pending_requests(self) -> list[BookingRow]:
        return self.store.bookings(state="pending")

    def find_booking(self, reference: str, kiosk_id: str | None = None) -> BookingRow:
        code = refcode.parse(reference, language_from_environment())
        found = self.store.bookings_with_reference(code)
        if kiosk_id is not None:
            found = [b for b in found if b.kiosk_id == kiosk_id]
        if len(found) != 1:
            if not found:
                raise RathausError(self._("No appointment with the code {code}.").format(code=refcode.display(code)))
            raise RathausError(
                self._("Two kiosks gave the same code {code}; please name the kiosk.").format(code=refcode.display(code))
            )
        return found[0]

    # -- the counter -----------------------------------------------------------------------------

    def _slot_or_fail(self, key: UnitKey) -> Slot:
        slot = self.config.slot(key.slot_id)
        if slot is None or key.unit >= slot.capacity:
            raise RathausError(self._("There is no such appointment time: {slot}").format(slot=key.slot_id))
        return slot

    def book_at_counter(self, key: UnitKey, *, label: str = "", reference: str | None = None) -> BookingRow:
        """Book a free unit for a person at the counter; a unit held by anyone is refused."""
        slot = self._slot_or_fail(key)
        now = utc_iso(self.clock())
        code = reference or refcode.new_reference()
        booking = BookingRow(
            COUNTER, code, slot.service, "counter", "confirmed", key.slot_id, key.unit, iso(slot.start),
            iso(slot.end), slot.place, (), "", None, label.strip()[:100], now, now,
        )
        try:
            with self.store.transaction():
                self.store.take_unit(
                    key, service=slot.service, place=slot.place, starts_at=iso(slot.start),
                    ends_at=iso(slot.end), holder=TOWNHALL, reference=code,
                )
                self.store.add_booking(booking)
        except UnitTaken:
            raise RathausError(
                self._("This time is not free (booked, or held by a kiosk): {slot}").format(slot=key.slot_id)
            ) from None
        return booking

    def cancel(self, reference: str, *, kiosk_id: str | None = None, reason: str = "") -> BookingRow:
        """Cancel a booking or an open request; its unit is free at once."""
        booking = self.find_booking(reference, kiosk_id)
        with self.store.transaction():
            self._cancel(booking, reason)
        return self.store.booking(booking.kiosk_id, booking.reference)  # type: ignore[return-value]

    def _cancel(self, booking: BookingRow, reason: str) -> None:
        if booking.state == "cancelled":
            return
        if booking.key is not None:
            self.store.free_unit(booking.key, booking.reference)
        self.store.update_booking(
            booking.kiosk_id, booking.reference, state="cancelled", at=utc_iso(self.clock()), reason=reason
        )

    # -- quotas ----------------------------------------------------------------------------------

    def grant(self, kiosk_id: str, key: UnitKey) -> None:
        """Give one free unit to a kiosk's quota by hand (it arrives with the kiosk's next sync)."""
        slot = self._slot_or_fail(key)
        if quota_cutoff(slot.start, self.config.lead) <= self.clock():
            raise RathausError(self._("This time starts too soon to be handed to a kiosk."))
        try:
            with self.store.transaction():
                self.store.take_unit(
                    key, service=slot.service, place=slot.place, starts_at=iso(slot.start),
                    ends_at=iso(slot.end), holder=kiosk_id,
                )
        except UnitTaken:
            raise RathausError(self._("This time is not free: {slot}").format(slot=key.slot_id)) from None

    def withdraw(self, kiosk_id: str, key: UnitKey) -> bool:
        """Take a unit out of a kiosk's quota: it leaves the kiosk's next calendar, and comes back
        to the town hall once the kiosk shows it has that calendar and did not book the unit."""
        with self.store.transaction():
            version = self.store.kiosk(kiosk_id).version + 1
            return self.store.withdraw_grant(key, kiosk_id, version)

    def write_off(self, kiosk_id: str) -> int:
        """A kiosk not heard from again: its open quota units return now. A booking it made
        offline that arrives later is then moved or declined, and the citizen told (booking.md §8)."""
        released = 0
        with self.store.transaction():
            for row in self.store.units_held_by(kiosk_id):
                if row.reference is None and self.store.release_grant(row.key, kiosk_id):
                    self.store.note_written_off_unit(row.key, kiosk_id)
                    released += 1
            self.store.write_off(kiosk_id, utc_iso(self.clock()))
        log.warning("kiosk %s written off: %d quota units returned", kiosk_id, released)
        return released

    def settle(self, kiosk_id: str) -> int:
        """Take back every unit of the kiosk that its last usage report shows unused and frozen."""
        state = self.store.kiosk(kiosk_id)
        if state.report_made_at is None:
            return 0
        report = UsageReport(
            kiosk_id, parse_iso(state.report_made_at), int(state.report_version or 0), int(state.report_bookings or 0)
        )
        arrived = self.store.arrived_serials(kiosk_id)
        released = 0
        for row in self.store.units_held_by(kiosk_id):
            grant = Grant(
                row.key, kiosk_id, parse_iso(row.starts_at), int(row.granted_version or 0),
                row.withdrawn_version, row.reference,
            )
            if grant_is_settled(grant, report, self.config.lead, arrived) and self.store.release_grant(row.key, kiosk_id):
                released += 1
        return released

    def top_up(self, kiosk_id: str) -> int:
        """Fill the kiosk's quota per service up to ``kiosk_quota`` with free units whose cutoff
        is still ahead, spread over the days."""
        if self.store.kiosk(kiosk_id).written_off_at is not None:
            return 0
        now = self.clock()
        held_rows = [r for r in self.store.units_held_by(kiosk_id) if r.reference is None and r.withdrawn_version is None]
        added = 0
        for service in self.config.services.values():
            if not service.kiosk_quota:
                continue
            held = sum(
                1 for r in held_rows
                if r.service == service.id and quota_cutoff(parse_iso(r.starts_at), self.config.lead) > now
            )
            earliest = now + self.config.lead + dt.timedelta(hours=1)
            free = [
                (key, slot.start)
                for key, slot in self.free_units(
                    service.id, earliest.astimezone(TIMEZONE).date(), self.config.horizon_days, after=earliest
                )
            ]
            for key in choose_top_up(free, held, service.kiosk_quota):
                slot = self.config.slot(key.slot_id)
                assert slot is not None
                try:
                    self.store.take_unit(
                        key, service=slot.service, place=slot.place, starts_at=iso(slot.start),
                        ends_at=iso(slot.end), holder=kiosk_id,
                    )
                    added += 1
                except UnitTaken:  # taken meanwhile: the next sync tops up again
                    continue
        return added

    # -- arrivals from kiosks ---------------------------------------------------------------------

    def register_kiosk_booking(
        self, kiosk_id: str, reference: str, key: UnitKey, serial: int, captured_at: str
    ) -> BookingRow:
        """A booking a kiosk confirmed from its quota. On its own unit it simply stands; if the
        unit was taken from the kiosk meanwhile (written off), the citizen is moved to the
        nearest free time of the same service, or declined with a reason, and told by code."""
        with self.store.transaction():
            existing = self.store.booking(kiosk_id, reference)
            if existing is not None:
                return existing
            service = key.service
            slot = self.config.slot(key.slot_id)
            now = utc_iso(self.clock())
            row = BookingRow(
                kiosk_id, reference, service, "quota", "confirmed", key.slot_id, key.unit,
                iso(slot.start) if slot else None, iso(slot.end) if slot else None, slot.place if slot else None,
                (), "", serial, "", captured_at, now,
            )
            if slot is not None and self.store.book_own_grant(key, kiosk_id, reference):
                self.store.add_booking(row)
                return row
            if not self.store.was_written_off(key, kiosk_id):
                # Never granted to this kiosk, or booked twice by it: a kiosk only ever hands out
                # units it holds, so this booking cannot stand, and a free time is not handed to
                # it either (a faulty or stolen kiosk would otherwise take free times at will).
                log.warning("kiosk %s booked %s which it never held: declined", kiosk_id, key.slot_id)
                self.store.add_booking(
                    BookingRow(
                        kiosk_id, reference, service, "quota", "declined", None, None, None, None, None,
                        (), REASON_SLOT_TAKEN, serial, "", captured_at, now,
                    )
                )
                return self.store.booking(kiosk_id, reference)  # type: ignore[return-value]
            log.warning("kiosk %s booked %s which it no longer held: moving %s", kiosk_id, key.slot_id, reference)
            self.store.add_booking(
                BookingRow(
                    kiosk_id, reference, service, "quota", "pending", None, None, None, None, None,
                    (), "", serial, "", captured_at, now,
                )
            )
            after = slot.start if slot is not None else self.clock()
            self._place_elsewhere(self.store.booking(kiosk_id, reference), after, "moved", REASON_SLOT_TAKEN)  # type: ignore[arg-type]
            return self.store.booking(kiosk_id, reference)  # type: ignore[return-value]

    def register_request(
        self, kiosk_id: str, reference: str, service: str, windows: Iterable[str], captured_at: str
    ) -> BookingRow:
        """A tentative request with up to three windows: pending until staff (or the automatic
        answer) confirm, propose or decline."""
        parsed = parse_windows(list(windows))
        with self.store.transaction():
            existing = self.store.booking(kiosk_id, reference)
            if existing is not None:
                return existing
            now = utc_iso(self.clock())
            row = BookingRow(
                kiosk_id, reference, service, "request", "pending", None, None, None, None, None,
                tuple(str(w) for w in parsed), "", None, "", captured_at, now,
            )
            self.store.add_booking(row)
            return row

    def register_cancellation(self, kiosk_id: str, reference: str) -> bool:
        """A citizen's cancellation from the kiosk; ``False`` when the booking it cancels has not
        arrived yet (its batch may come later, e.g. on a USB stick): then it is tried again."""
        with self.store.transaction():
            booking = self.store.booking(kiosk_id, reference)
            if booking is None:
                return False
            self._cancel(booking, "cancelled_by_citizen")
            return True

    # -- answering requests -----------------------------------------------------------------------

    def answer_request(
        self,
        reference: str,
        *,
        kiosk_id: str | None = None,
        confirm: UnitKey | None = None,
        propose: UnitKey | None = None,
        decline: str | None = None,
    ) -> BookingRow:
        """Staff answer one tentative request: exactly one of ``confirm`` (a unit inside one of the
        windows), ``propose`` (another time, held for the citizen) or ``decline`` (the reason the
        citizen reads)."""
        if sum(x is not None for x in (confirm, propose, decline)) != 1:
            raise ValueError("confirm, propose or decline: exactly one")
        booking = self.find_booking(reference, kiosk_id)
        if booking.state != "pending":
            raise RathausError(self._("This request has been answered already ({state}).").format(state=booking.state))
        with self.store.transaction():
            if decline is not None:
                if not decline.strip():
                    raise RathausError(self._("Please give the reason the citizen will read."))
                self.store.update_booking(
                    booking.kiosk_id, booking.reference, state="declined", at=utc_iso(self.clock()), reason=one_line(decline)
                )
            else:
                key = confirm or propose
                assert key is not None
                slot = self._slot_or_fail(key)
                windows = [w for w in parse_windows(list(booking.windows))] if booking.windows else []
                state = "proposed"
                if confirm is not None:
                    if windows and not any(unit_in_window(slot.start, w) for w in windows):
                        raise RathausError(self._("This time is in none of the wished windows; propose it instead."))
                    state = "confirmed"
                self._place(booking, key, slot, state, "")
        return self.store.booking(booking.kiosk_id, booking.reference)  # type: ignore[return-value]

    def _place(self, booking: BookingRow, key: UnitKey, slot: Slot, state: str, reason: str) -> None:
        try:
            self.store.take_unit(
                key, service=slot.service, place=slot.place, starts_at=iso(slot.start), ends_at=iso(slot.end),
                holder=TOWNHALL, reference=booking.reference,
            )
        except UnitTaken:
            raise RathausError(self._("This time is not free: {slot}").format(slot=key.slot_id)) from None
        self.store.update_booking(
            booking.kiosk_id, booking.reference, state=state, at=utc_iso(self.clock()), reason=reason,
            key=key, starts_at=iso(slot.start), ends_at=iso(slot.end), place=slot.place,
        )

    def _place_elsewhere(self, booking: BookingRow, after: dt.datetime, state: str, reason: str) -> None:
        """The nearest free unit of the same service after ``after``, or a decline with a reason."""
        earliest = max(after, self.clock())
        for key, slot in self.free_units(booking.service, earliest.astimezone(TIMEZONE).date(), self.config.horizon_days + 7, after=earliest):
            try:
                self._place(booking, key, slot, state, reason)
                return
            except RathausError:
                continue
        self.store.update_booking(booking.kiosk_id, booking.reference, state="declined", at=utc_iso(self.clock()), reason=REASON_NO_TIME)

    def answer_requests_automatically(self, reference: str | None = None, *, kiosk_id: str | None = None) -> int:
        """Each pending request (or only the one with ``reference``): the first free unit inside
        its windows (confirmed), else the nearest free time after its first window (proposed),
        else declined with the reason."""
        answered = 0
        pending = self.pending_requests()
        if reference is not None:
            booking = self.find_booking(reference, kiosk_id)
            if booking.state != "pending":
                raise RathausError(self._("This request has been answered already ({state}).").format(state=booking.state))
            pending = [booking]
        for booking in pending:
            windows = parse_windows(list(booking.windows)) if booking.windows else []
            with self.store.transaction():
                if self._confirm_in_windows(booking, windows):
                    answered += 1
                    continue
                first_day = min((w.day for w in windows), default=self.clock().astimezone(TIMEZONE).date())
                start = dt.datetime.combine(first_day, dt.time(0), TIMEZONE)
                self._place_elsewhere(booking, start, "proposed", "")
                answered += 1
        return answered

    def _confirm_in_windows(self, booking: BookingRow, windows: list[Window]) -> bool:
        now = self.clock()
        for window in windows:
            for key, slot in self.free_units(booking.service, window.day, 1, after=now):
                if unit_in_window(slot.start, window):
                    try:
                        self._place(booking, key, slot, "confirmed", "")
                        return True
                    except RathausError:
                        continue
        return False

    # -- vaccinations ------------------------------------------------------------------------------

    def record_vaccination(
        self,
        reference: str,
        *,
        birth_date: dt.date,
        vaccine: str,
        lot: str,
        given_on: dt.date,
        place: str,
        given_by: str,
        kiosk_id: str | None = None,
        memory_kib: int | None = None,
    ) -> dict[str, Any]:
        """Staff record a vaccination given; the record goes to the kiosk sealed under code +
        date of birth, so only the citizen can print it there."""
        booking = self.find_booking(reference, kiosk_id)
        texts = {"given_by": (given_by, 100), "lot": (lot, 40), "place": (place, 200), "vaccine": (vaccine, 100)}
        if any(len(text.strip()) > limit for text, limit in texts.values()):  # never cut a lot number short
            raise RathausError(
                self._(
                    "Vaccine, lot number, place and who gave it may have at most 100, 40, 200 and 100 "
                    "characters; nothing was recorded."
                )
            )
        record = {key: one_line(text) for key, (text, _limit) in texts.items()}
        record["given_on"] = given_on.isoformat()
        if not all(record.values()):
            raise RathausError(self._("Vaccine, lot number, date, place and who gave it are all needed."))
        options = {"memory_kib": memory_kib} if memory_kib else {}
        sealed = seal_record(booking.reference, birth_date, record, **options).to_json()
        with self.store.transaction():
            self.store.put_vaccination(booking.kiosk_id, booking.reference, sealed, utc_iso(self.clock()))
        return record

    # -- the kiosk's calendar -----------------------------------------------------------------------

    def snapshot_for(self, kiosk_id: str, report: UsageReport | None) -> tuple[int, list[dict[str, Any]]]:
        """Settle and top up the kiosk's quota, then its calendar: (version, entries). The version
        grows only when the content changes."""
        with self.store.transaction():
            if report is not None:
                self.store.record_report(kiosk_id, utc_iso(report.made_at), report.calendar_version, report.bookings_made)
                if self.store.kiosk(kiosk_id).written_off_at is not None:
                    self.store.clear_write_off(kiosk_id)
            self.settle(kiosk_id)
            self.top_up(kiosk_id)
            entries = self._entries(kiosk_id)
            digest = hashlib.sha256(json.dumps(entries, sort_keys=True).encode()).hexdigest()
            state = self.store.kiosk(kiosk_id)
            version = state.version
            if digest != state.content_hash:
                version += 1
                self.store.set_kiosk_version(kiosk_id, version, digest)
                self.store.mark_granted(kiosk_id, version)
            return version, entries

    def _entries(self, kiosk_id: str) -> list[dict[str, Any]]:
        now = self.clock()
        today = now.astimezone(TIMEZONE).date()
        entries: list[dict[str, Any]] = [
            {"kind": "info", "horizon_days": self.config.horizon_days, "lead_minutes": int(self.config.lead.total_seconds() // 60)}
        ]
        for place in sorted(self.config.places.values(), key=lambda p: p.id):
            entries.append({"kind": "place", "id": place.id, "name": dict(place.name)})
        for service in sorted(self.config.services.values(), key=lambda s: s.id):
            days = [
                [day.isoformat(), *parts]
                for day, parts in self.config.open_days(service.id, today + dt.timedelta(days=1), self.config.horizon_days)
            ]
            entries.append(
                {
                    "kind": "service", "id": service.id, "form": service.form, "title": dict(service.title),
                    "minutes": service.minutes, "vaccination": service.vaccination, "days": days,
                }
            )
        for row in self.store.units_held_by(kiosk_id):
            if row.reference is None and row.withdrawn_version is None and parse_iso(row.starts_at) > now:
                entries.append(
                    {
                        "kind": "quota", "unit": f"{row.key.slot_id}#{row.key.unit}", "service": row.service,
                        "place": row.place, "start": row.starts_at, "end": row.ends_at,
                    }
                )
        horizon = utc_iso(now - dt.timedelta(days=ANSWER_DAYS))
        answers = [b for b in self.store.bookings(kiosk_id=kiosk_id) if b.state != "pending" and b.updated_at >= horizon]
        for booking in answers[-MAX_ANSWERS:]:
            entries.append(
                {
                    "kind": "answer", "reference": booking.reference, "state": booking.state,
                    "service": booking.service, "place": booking.place or "", "start": booking.starts_at or "",
                    "end": booking.ends_at or "", "reason": one_line(booking.reason),
                }
            )
        for sealed in self.store.vaccinations_for(kiosk_id, utc_iso(now - dt.timedelta(days=RECORD_DAYS))):
            entries.append({"kind": "vaccination", **sealed})
        return entries


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def one_line(text: str) -> str:
    """A reason as the kiosk accepts it (docs/booking.md §10): one line of at most 300 characters
    without control characters. A line break typed by staff must not make every kiosk refuse the
    town hall's whole answer (statuses and key updates included)."""
    return _CONTROL.sub("", " ".join(text.split()))[:300]


def unit_from_text(text: str) -> UnitKey:
    """A unit as staff type it: ``buergerbuero@rathaus@2026-12-14T09:00#0`` (``#0`` may be left out)."""
    try:
        return parse_unit(text if "#" in text else text + "#0")
    except ValueError:
        _ = translator(language_from_environment())
        raise RathausError(
            _("'{text}' is not an appointment time like buergerbuero@rathaus@2026-12-14T09:00#0").format(text=text)
        ) from None
