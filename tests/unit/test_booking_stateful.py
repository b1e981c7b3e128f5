"""Random interleavings of offline bookings on several kiosks, counter bookings, cancellations,
quota returns and syncs: no unit is ever held by two people, and every request ends confirmed,
moved (the citizen told at the kiosk) or declined with a reason.

The town hall is the real ``AppointmentDesk`` on its real tables; each kiosk is the real kiosk rule
(``KioskCalendar.offered``, the lead time by the kiosk's own, skewed clock) over the snapshots the
desk writes for it, with an outbox that delivers its bookings in order, late or partly. Sealing and
the network are left out here (they have their own tests); the escrow protocol is what is tested.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from booking.escrow import UsageReport
from booking.units import parse_unit
from kiosk.appointments.calendar import KioskCalendar
from sync.calendar.config import TIMEZONE, parse_calendar
from sync.calendar.desk import AppointmentDesk
from sync.calendar.store import CalendarStore

CALENDAR = b"""
format = 1
state = "ST"
lead_hours = 2
horizon_days = 3

[[places]]
id = "rathaus"
name.de = "Rathaus"

[[services]]
id = "buergerbuero"
form = "termin_buergerbuero"
title.de = "Termin"
minutes = 20
capacity = 2
places = ["rathaus"]
kiosk_quota = 2
hours.mon = ["09:00-10:00"]
hours.tue = ["09:00-10:00"]
hours.wed = ["09:00-10:00"]
hours.thu = ["09:00-10:00"]
hours.fri = ["09:00-10:00"]
"""
KIOSKS = ("kiosk-a", "kiosk-b", "kiosk-c")
START = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.timezone.utc)  # a Monday morning


def new_code(counter: list[int]) -> str:
    from kiosk.refcode import check_symbol, ALPHABET

    counter[0] += 1
    n, body = counter[0], ""
    for _ in range(8):
        body = ALPHABET[n % 32] + body
        n //= 32
    return body + check_symbol(body)


@dataclass
class Sent:
    kind: str  # booking | request | cancel
    reference: str
    unit: str | None = None
    serial: int | None = None
    windows: tuple[str, ...] = ()


@dataclass
class Kiosk:
    kiosk_id: str
    skew: dt.timedelta
    version: int = 0
    entries: list = field(default_factory=list)
    serial: int = 0
    outbox: list[Sent] = field(default_factory=list)
    booked: dict[str, str] = field(default_factory=dict)  # reference -> unit (quota bookings)
    requests: list[str] = field(default_factory=list)
    cancelled: set[str] = field(default_factory=set)

    @property
    def calendar(self) -> KioskCalendar:
        return KioskCalendar.from_entries(self.entries)


class BookingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        config = parse_calendar(CALENDAR, __import__("pathlib").Path("calendar.toml"))
        self.store = CalendarStore.open_sqlite(":memory:")
        self.desk = AppointmentDesk(config, self.store, clock=lambda: self.now, lang="en")
        self.kiosks = {k: Kiosk(k, dt.timedelta(minutes=m)) for k, m in zip(KIOSKS, (-9, 0, 7))}
        self.counter = [0]
        self.counter_bookings: list[str] = []
        self.wrote_off = False

    # -- time and links ---------------------------------------------------------------------------

    @rule(minutes=st.integers(1, 600))
    def time_passes(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)

    def _deliver(self, kiosk: Kiosk, count: int) -> None:
        for sent in kiosk.outbox[:count]:
            captured = self.now.strftime("%Y-%m-%dT%H:%M:%SZ")
            if sent.kind == "booking":
                self.desk.register_kiosk_booking(kiosk.kiosk_id, sent.reference, parse_unit(sent.unit), sent.serial, captured)
            elif sent.kind == "request":
                self.desk.register_request(kiosk.kiosk_id, sent.reference, "buergerbuero", sent.windows, captured)
            else:
                self.desk.register_cancellation(kiosk.kiosk_id, sent.reference)
        del kiosk.outbox[:count]

    def _download(self, kiosk: Kiosk, lost: bool) -> None:
        report = UsageReport(kiosk.kiosk_id, self.now + kiosk.skew, kiosk.version, kiosk.serial)
        before = {r.key for r in self.store.units_held_by(kiosk.kiosk_id) if r.reference is None}
        version, entries = self.desk.snapshot_for(kiosk.kiosk_id, report)
        after = {r.key for r in self.store.units_held_by(kiosk.kiosk_id)}
        if before - after:
            event("quota returned to the town hall")
        if not lost and version >= kiosk.version:
            kiosk.version, kiosk.entries = version, entries

    @rule(k=st.sampled_from(KIOSKS), upload_first=st.booleans(), items=st.sampled_from([0, 0, 1, 2, 5]), lost=st.booleans())
    def sync(self, k: str, upload_first: bool, items: int, lost: bool) -> None:
        kiosk = self.kiosks[k]
        if upload_first:
            self._deliver(kiosk, items)
            self._download(kiosk, lost)
        else:
            self._download(kiosk, lost)
            self._deliver(kiosk, items)

    # -- at the kiosks, offline ---------------------------------------------------------------------

    @rule(k=st.sampled_from(KIOSKS), pick=st.integers(0, 10))
    def book_from_quota(self, k: str, pick: int) -> None:
        kiosk = self.kiosks[k]
        offered = kiosk.calendar.offered("buergerbuero", set(kiosk.booked.values()), self.now + kiosk.skew)
        if not offered:
            return
        unit = offered[pick % len(offered)]
        kiosk.serial += 1
        reference = new_code(self.counter)
        kiosk.booked[reference] = unit.unit
        kiosk.outbox.append(Sent("booking", reference, unit.unit, kiosk.serial))
        event("booked from a kiosk's quota")

    @rule(k=st.sampled_from(KIOSKS), picks=st.lists(st.integers(0, 20), min_size=1, max_size=3, unique=True))
    def request(self, k: str, picks: list[int]) -> None:
        kiosk = self.kiosks[k]
        windows = kiosk.calendar.windows("buergerbuero", (self.now + kiosk.skew).date())
        if not windows:
            return
        chosen = tuple(dict.fromkeys(str(windows[p % len(windows)]) for p in picks))
        reference = new_code(self.counter)
        kiosk.requests.append(reference)
        kiosk.outbox.append(Sent("request", reference, windows=chosen))

    @rule(k=st.sampled_from(KIOSKS), pick=st.integers(0, 50))
    def cancel_at_kiosk(self, k: str, pick: int) -> None:
        kiosk = self.kiosks[k]
        mine = [r for r in [*kiosk.booked, *kiosk.requests] if r not in kiosk.cancelled]
        if mine:
            reference = mine[pick % len(mine)]
            kiosk.cancelled.add(reference)
            kiosk.outbox.append(Sent("cancel", reference))

    # -- at the town hall -------------------------------------------------------------------------

    @rule(pick=st.integers(0, 50))
    def book_at_counter(self, pick: int) -> None:
        day = self.now.astimezone(TIMEZONE).date()
        free = self.desk.free_units("buergerbuero", day, 4, after=self.now)
        if free:
            key, _slot = free[pick % len(free)]
            booking = self.desk.book_at_counter(key, label="walk-in", reference=new_code(self.counter))
            self.counter_bookings.append(booking.reference)
            event("booked at the counter")

    @rule(pick=st.integers(0, 50))
    def cancel_at_counter(self, pick: int) -> None:
        active = [b for b in self.store.bookings() if b.state in ("confirmed", "proposed", "moved")]
        if active:
            booking = active[pick % len(active)]
            self.desk.cancel(booking.reference, kiosk_id=booking.kiosk_id, reason="called in")

    @rule()
    def answer_requests(self) -> None:
        self.desk.answer_requests_automatically()

    @rule(k=st.sampled_from(KIOSKS), pick=st.integers(0, 10))
    def withdraw_quota(self, k: str, pick: int) -> None:
        held = [r for r in self.store.units_held_by(k) if r.reference is None and r.withdrawn_version is None]
        if held:
            self.desk.withdraw(k, held[pick % len(held)].key)

    # -- what must always hold ------------------------------------------------------------------------

    @invariant()
    def no_unit_held_by_two_people(self) -> None:
        claims: dict[str, str] = {}

        def claim(unit: str, who: str) -> None:
            assert unit not in claims, f"{unit} held by {claims[unit]} and {who}"
            claims[unit] = who

        arrived = set()
        for booking in self.store.bookings():
            arrived.add((booking.kiosk_id, booking.reference))
            # a time confirmed offline from the kiosk's own quota is never moved (no kiosk was written off)
            assert not (booking.kind == "quota" and booking.state in ("moved", "declined")), booking
            if booking.state in ("confirmed", "proposed", "moved") and booking.key is not None:
                claim(f"{booking.key.slot_id}#{booking.key.unit}", booking.reference)
                row = self.store.unit(booking.key)
                assert row is not None and row.reference == booking.reference
        for kiosk in self.kiosks.values():
            for reference, unit in kiosk.booked.items():
                if (kiosk.kiosk_id, reference) in arrived:
                    continue
                # confirmed at the kiosk, not yet at the town hall: the kiosk still holds it there
                claim(unit, reference)
                row = self.store.unit(parse_unit(unit))
                assert row is not None and row.holder == kiosk.kiosk_id and row.reference is None, (unit, row)

    def teardown(self) -> None:
        """Links come back for good: everything arrives, the town hall answers, the kiosks learn."""
        try:
            for _round in range(2):
                for kiosk in self.kiosks.values():
                    self._deliver(kiosk, len(kiosk.outbox))
                    self._download(kiosk, lost=False)
                self.desk.answer_requests_automatically()
            for kiosk in self.kiosks.values():
                self._download(kiosk, lost=False)
                answers = kiosk.calendar.answers
                for reference in [*kiosk.requests, *kiosk.booked]:
                    booking = self.store.booking(kiosk.kiosk_id, reference)
                    assert booking is not None, f"{reference} never arrived"
                    assert booking.state != "pending", f"{reference} left without an answer"
                    if booking.state == "declined":
                        assert booking.reason, f"{reference} declined without a reason"
                    if reference in kiosk.requests or booking.state in ("moved", "declined"):
                        told = answers.get(reference)
                        assert told is not None and told["state"] == booking.state, f"{reference}: citizen not told"
            self.no_unit_held_by_two_people()
        finally:
            self.store.close()


BookingMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestBookingInterleavings = BookingMachine.TestCase
