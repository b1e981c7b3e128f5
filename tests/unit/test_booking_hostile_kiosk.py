"""A kiosk's booking item naming a unit the kiosk never held (a faulty or stolen kiosk) is declined
and told by code; it is not moved onto a free time the town hall holds (docs/booking.md §8 moves
only bookings on units taken from a written-off kiosk). And staff naming one request for the
automatic answer get that one answered, not every waiting request; a cancellation that arrives
before its booking still frees the time."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.units import UnitKey
from kiosk.errors import RathausError
from tests.unit.test_booking_desk import MONDAY, desk, report  # noqa: F401  (fixture)


def units(entries) -> list[UnitKey]:
    return [UnitKey(e["unit"].split("#")[0], int(e["unit"].split("#")[1])) for e in entries if e["kind"] == "quota"]


def free_count(desk) -> int:  # noqa: F811
    return len(desk.free_units("impfung", dt.date(2026, 12, 8), 7))


def test_a_booking_on_a_unit_the_kiosk_never_held_takes_no_free_time(desk):  # noqa: F811
    _, entries = desk.snapshot_for("kiosk-a", None)
    held_by_a = units(entries)[0]
    free_before = free_count(desk)
    # kiosk-b (enrolled, signing, hostile) claims kiosk-a's unit and a free unit it was never given.
    free_key = desk.free_units("impfung", dt.date(2026, 12, 8), 7)[0][0]
    first = desk.register_kiosk_booking("kiosk-b", "7KQM2X9TJ", held_by_a, 1, "2026-12-07T07:00:00Z")
    second = desk.register_kiosk_booking("kiosk-b", "3HWP4RC7N", free_key, 2, "2026-12-07T07:01:00Z")
    assert (first.state, first.reason, first.key) == ("declined", "slot_taken", None)
    assert (second.state, second.reason, second.key) == ("declined", "slot_taken", None)
    assert desk.store.unit(held_by_a).holder == "kiosk-a" and desk.store.unit(held_by_a).reference is None
    assert free_count(desk) == free_before  # no free time was handed to kiosk-b
    # the citizen (if any) reads the answer by code
    _, entries_b = desk.snapshot_for("kiosk-b", report(desk, "kiosk-b", at=MONDAY, version=0, bookings=2))
    answers = {e["reference"]: e["state"] for e in entries_b if e["kind"] == "answer"}
    assert answers == {"7KQM2X9TJ": "declined", "3HWP4RC7N": "declined"}


def test_the_same_unit_booked_twice_by_its_kiosk_stands_once_and_takes_no_second_time(desk):  # noqa: F811
    _, entries = desk.snapshot_for("kiosk-a", None)
    key = units(entries)[0]
    free_before = free_count(desk)
    assert desk.register_kiosk_booking("kiosk-a", "7KQM2X9TJ", key, 1, "2026-12-07T07:00:00Z").state == "confirmed"
    again = desk.register_kiosk_booking("kiosk-a", "3HWP4RC7N", key, 2, "2026-12-07T07:01:00Z")
    assert again.state == "declined"
    assert desk.store.unit(key).reference == "7KQM2X9TJ"
    assert free_count(desk) == free_before


def test_answering_one_request_automatically_leaves_the_others_waiting(desk):  # noqa: F811
    desk.register_request("kiosk-a", "7KQM2X9TJ", "impfung", ["2026-12-08/am"], "2026-12-07T07:00:00Z")
    desk.register_request("kiosk-a", "3HWP4RC7N", "impfung", ["2026-12-10/am"], "2026-12-07T07:01:00Z")
    assert desk.answer_requests_automatically("7KQ-M2X-9TJ") == 1
    assert desk.store.booking("kiosk-a", "7KQM2X9TJ").state == "confirmed"
    assert [b.reference for b in desk.pending_requests()] == ["3HWP4RC7N"]  # staff named only the first
    with pytest.raises(RathausError, match="answered already"):
        desk.answer_requests_automatically("7KQM2X9TJ")


class _Item:
    def __init__(self, form_id: str, reference: str, received_at: str, answers: dict) -> None:
        self.form_id, self.reference, self.kiosk_id = form_id, reference, "kiosk-a"
        self.received_at = self.captured_at = received_at
        self.answers = answers


class _Inbox:
    """What take_arrivals reads: the stored items per service, each opened to its answers."""

    def __init__(self) -> None:
        self.held: list[_Item] = []
        self.storage = self

    def items(self, *, form_id: str):
        return [item for item in self.held if item.form_id == form_id]

    def read_item(self, item: _Item):
        return item


def test_a_cancellation_that_arrives_before_its_booking_still_frees_the_time(desk):  # noqa: F811
    from booking.answers import CANCEL_FORM_ID
    from sync.calendar.arrivals import take_arrivals

    _, entries = desk.snapshot_for("kiosk-a", None)
    key = units(entries)[0]
    unit = f"{key.slot_id}#{key.unit}"
    inbox = _Inbox()
    # The booking's batch is on a USB stick in a drawer; the cancellation came over the network.
    inbox.held.append(_Item(CANCEL_FORM_ID, "5MNX2TR4W", "2026-12-07T09:00:00Z", {"reference": "7KQM2X9TJ"}))
    assert take_arrivals(desk, inbox).cancellations == 0
    inbox.held.append(_Item("impftermin", "7KQM2X9TJ", "2026-12-07T10:00:00Z", {"appointment": {"serial": 1, "unit": unit}}))
    found = take_arrivals(desk, inbox)
    assert (found.bookings, found.cancellations) == (1, 1)
    assert desk.store.booking("kiosk-a", "7KQM2X9TJ").state == "cancelled"
    assert desk.store.unit(key) is None  # free at the counter again
    assert take_arrivals(desk, inbox).cancellations == 0  # read once
