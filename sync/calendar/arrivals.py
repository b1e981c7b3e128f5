"""Bookings, requests and cancellations from kiosks into the calendar, read from the sealed items.

The server cannot open applications (only the staff side holds the private key), so the desk learns
what kiosks booked when the staff side reads the booking services' items: every ``rathaus
calendar`` command and the workplace call ``take_arrivals`` first. Each item is read once (its
code is remembered), in the order the town hall received them. A cancellation that arrives before
the booking it cancels (the booking's batch came later, say on a USB stick) stays unread and is
applied once the booking is there, so it never cancels nothing and leaves the time taken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from booking.answers import CANCEL_FORM_ID, read_booking_answer
from kiosk.errors import RathausError
from sync.calendar.desk import AppointmentDesk

log = logging.getLogger("rathaus.calendar")


@dataclass
class Arrivals:
    bookings: int = 0
    requests: int = 0
    cancellations: int = 0
    unreadable: list[str] = field(default_factory=list)


def take_arrivals(desk: AppointmentDesk, inbox) -> Arrivals:  # inbox: sync.inbox.Inbox
    """Read every booking item not read before and enter it into the calendar."""
    forms = {service.form: service.id for service in desk.config.services.values()}
    items = [
        item
        for form_id in [*forms, CANCEL_FORM_ID]
        for item in inbox.storage.items(form_id=form_id)
        if not desk.store.item_seen(item.kiosk_id, item.reference)
    ]
    items.sort(key=lambda item: (item.received_at, item.captured_at, item.reference))
    result = Arrivals()
    early: list = []  # cancellations whose booking has not arrived (yet)
    for item in items:
        try:
            answers = inbox.read_item(item).answers
            if item.form_id == CANCEL_FORM_ID:
                cancelled = answers.get("reference")
                if isinstance(cancelled, str):
                    if not desk.register_cancellation(item.kiosk_id, cancelled):
                        early.append((item, cancelled))
                        continue  # not marked read: the booking may follow in this round or a later one
                    result.cancellations += 1
            else:
                booking = read_booking_answer(answers)
                if booking is not None and booking.unit is not None and booking.serial is not None:
                    desk.register_kiosk_booking(item.kiosk_id, item.reference, booking.unit, booking.serial, item.captured_at)
                    result.bookings += 1
                elif booking is not None:
                    desk.register_request(item.kiosk_id, item.reference, forms[item.form_id], booking.windows, item.captured_at)
                    result.requests += 1
        except (RathausError, ValueError, KeyError) as exc:
            log.warning("booking item %s from %s could not be read: %s", item.reference, item.kiosk_id, type(exc).__name__)
            result.unreadable.append(item.reference)
            continue
        with desk.store.transaction():
            desk.store.mark_item_seen(item.kiosk_id, item.reference)
    for item, cancelled in early:  # the booking came later in this round: cancel it now
        if desk.register_cancellation(item.kiosk_id, cancelled):
            result.cancellations += 1
            with desk.store.transaction():
                desk.store.mark_item_seen(item.kiosk_id, item.reference)
    return result
