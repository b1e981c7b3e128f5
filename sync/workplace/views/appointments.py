"""Appointments at the counter: one day's bookings from kiosks and the counter, per place; booking
for someone at the counter, cancelling, answering tentative requests from kiosks, recording a
vaccination given, and (head of office) handing single times to a kiosk's quota or taking them back.

Every page first takes in the bookings kiosks sent since the last look (``take_arrivals``), so
the day view is never behind the inbox. Clerks and the head of office work here; IT does not (the
names on bookings and vaccinations are none of its business). Changes go into the access log
with the booking's code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from booking.windows import parse_windows
from kiosk import refcode
from kiosk.errors import RathausError
from kiosk.i18n import N_, format_date, translator
from sync.calendar import AppointmentDesk, open_desk, unit_from_text
from sync.calendar.arrivals import take_arrivals
from sync.calendar.config import TIMEZONE
from sync.calendar.store import COUNTER
from sync.inbox import local_time
from sync.workplace.app import Workplace, bind, needs
from sync.workplace.areas import Area, register_area
from sync.workplace.views import access_log
from sync.workplace.views.area_forms import form, with_form

access_log.ACTIONS.update(
    {
        "booking-book": N_("booked an appointment at the counter"),
        "booking-cancel": N_("cancelled an appointment"),
        "booking-answer": N_("answered an appointment request"),
        "vaccination": N_("recorded a vaccination"),
    }
)
MAX_CHOICES = 60  # times offered in one list for a request


def _desk(wp: Workplace, request: Request) -> AppointmentDesk:
    desk = open_desk(wp.config.townhall_dir, lang=wp.lang(request))
    take_arrivals(desk, wp.inbox(request))
    return desk


def _today() -> dt.date:
    return dt.datetime.now(TIMEZONE).date()


def _day(request: Request) -> dt.date:
    text = request.query_params.get("day") or form_day(request)
    try:
        return dt.date.fromisoformat(text) if text else _today()
    except ValueError:
        return _today()


def form_day(request: Request) -> str:
    return request.scope.get("state", {}).get("form", {}).get("day", "")


def _unit_value(key: Any) -> str:
    return f"{key.slot_id}#{key.unit}"


def _hhmm(moment: dt.datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime("%H:%M")


def _when(text: str | None, lang: str) -> str:
    if not text:
        return ""
    moment = dt.datetime.fromisoformat(text)
    return f"{moment.strftime('%d.%m.%Y' if lang == 'de' else '%Y-%m-%d')} {moment.strftime('%H:%M')}"


def _page(wp: Workplace, request: Request, desk: AppointmentDesk, *, status_code: int = 200, problem: str = "") -> Response:
    lang = wp.lang(request)
    config = desk.config
    day = _day(request)
    view = desk.day_view(day)
    places: dict[str, list[dict[str, Any]]] = {}
    free: list[tuple[str, str]] = []
    quota: list[tuple[str, str, str]] = []
    for slot_view in view.slots:
        slot = slot_view.slot
        service = config.services[slot.service].text(lang)
        when = f"{_hhmm(slot.start)}–{_hhmm(slot.end)}"
        places.setdefault(config.places[slot.place].text(lang) if slot.place in config.places else slot.place, []).append(
            {"when": when, "service": service, "units": slot_view.units}
        )
        for unit in slot_view.units:
            if unit.state == "free":
                free.append((_unit_value(unit.key), f"{when} {service}"))
            elif unit.state == "quota":
                quota.append((_unit_value(unit.key), f"{when} {service}", unit.holder))
    requests = []
    for booking in desk.pending_requests():
        windows = parse_windows(list(booking.windows)) if booking.windows else []
        first = min((w.day for w in windows), default=_today())
        service = config.services.get(booking.service)
        choices = []
        if service is not None:
            start = max(first, _today())
            for key, slot in desk.free_units(booking.service, start, config.horizon_days + 7)[:MAX_CHOICES]:
                choices.append((_unit_value(key), f"{_when(slot.start.isoformat(), lang)} {config.places[slot.place].text(lang) if slot.place in config.places else slot.place}"))
        requests.append(
            {"booking": booking, "service": service.text(lang) if service else booking.service, "windows": windows,
             "choices": choices, "code": refcode.display(booking.reference), "received": local_time(booking.created_at, lang)}
        )
    staff = wp.staff(request)
    return wp.render(
        request,
        "appointments.html",
        status_code=status_code,
        day=day,
        day_text=format_date(day, lang),
        previous=(day - dt.timedelta(days=1)).isoformat(),
        following=(day + dt.timedelta(days=1)).isoformat(),
        closed=view.closed_reason,
        places=places,
        free=free,
        quota=quota,
        kiosks=sorted({entry.kiosk_id for entry in wp.inbox(request).allowlist.list() if entry.active}),
        requests=requests,
        display=refcode.display,
        vaccination_services=[s for s in config.services.values() if s.vaccination],
        today=_today().isoformat(),
        given_by=staff.display_name if staff else "",
        place_names=[p.text(lang) for p in config.places.values()],
        problem=problem,
        done=request.query_params.get("done", ""),
        code=request.query_params.get("code", ""),
    )


@needs("booking.view")
def day_page(wp: Workplace, request: Request) -> Response:
    return _page(wp, request, _desk(wp, request))


def _back(request: Request, done: str, code: str = "") -> Response:
    query = {"day": form_day(request) or _today().isoformat(), "done": done}
    if code:
        query["code"] = code
    return RedirectResponse("/appointments?" + urlencode(query), status_code=303)


def _service_form(desk: AppointmentDesk, service: str) -> str:
    known = desk.config.services.get(service)
    return known.form if known else ""


def _log(wp: Workplace, request: Request, action: str, booking: Any, desk: AppointmentDesk) -> None:
    staff = wp.staff(request)
    assert staff is not None
    wp.accounts.log_access(staff, action, booking.reference, kiosk_id=booking.kiosk_id, service=_service_form(desk, booking.service))


def _kiosk(values: dict[str, str]) -> str | None:
    """The kiosk a booking came from (``counter``: the counter's own); ``None`` if not given."""
    kiosk = values.get("kiosk")
    if kiosk is None or kiosk == "":
        return None
    return COUNTER if kiosk == "counter" else kiosk


@needs("booking.counter")
def book_view(wp: Workplace, request: Request) -> Response:
    desk = _desk(wp, request)
    values = form(request)
    try:
        booking = desk.book_at_counter(unit_from_text(values.get("unit", "")), label=values.get("label", ""))
    except RathausError as exc:
        return _page(wp, request, desk, status_code=400, problem=exc.message)
    _log(wp, request, "booking-book", booking, desk)
    return _back(request, "booked", booking.reference)


@needs("booking.counter")
def cancel_view(wp: Workplace, request: Request) -> Response:
    desk = _desk(wp, request)
    values = form(request)
    try:
        booking = desk.cancel(values.get("reference", ""), kiosk_id=_kiosk(values), reason=values.get("reason", "").strip()[:200])
    except RathausError as exc:
        return _page(wp, request, desk, status_code=400, problem=exc.message)
    _log(wp, request, "booking-cancel", booking, desk)
    return _back(request, "cancelled", booking.reference)


@needs("booking.answer")
def answer_view(wp: Workplace, request: Request) -> Response:
    _ = translator(wp.lang(request))
    desk = _desk(wp, request)
    values = form(request)
    answer = values.get("answer", "")
    try:
        if answer == "decline":
            options: dict[str, Any] = {"decline": values.get("reason", "")}
        elif answer in ("confirm", "propose"):
            options = {answer: unit_from_text(values.get("unit", ""))}
        else:
            raise RathausError(_("Please choose: confirm, propose another time or decline."))
        booking = desk.answer_request(values.get("reference", ""), kiosk_id=_kiosk(values), **options)
    except RathausError as exc:
        return _page(wp, request, desk, status_code=400, problem=exc.message)
    _log(wp, request, "booking-answer", booking, desk)
    return _back(request, booking.state, booking.reference)


@needs("vaccination.record")
def vaccination_view(wp: Workplace, request: Request) -> Response:
    _ = translator(wp.lang(request))
    desk = _desk(wp, request)
    values = form(request)
    try:
        try:
            birth = dt.date.fromisoformat(values.get("birth_date", ""))
            given_on = dt.date.fromisoformat(values.get("given_on", ""))
        except ValueError:
            raise RathausError(_("Please give the date of birth and the day of the vaccination as dates.")) from None
        booking = desk.find_booking(values.get("reference", ""))
        service = desk.config.services.get(booking.service)
        if service is None or not service.vaccination:
            raise RathausError(_("The appointment {code} is not a vaccination appointment.").format(code=refcode.display(booking.reference)))
        desk.record_vaccination(
            booking.reference, kiosk_id=booking.kiosk_id, birth_date=birth, vaccine=values.get("vaccine", ""),
            lot=values.get("lot", ""), given_on=given_on, place=values.get("place", ""), given_by=values.get("given_by", ""),
        )
    except RathausError as exc:
        return _page(wp, request, desk, status_code=400, problem=exc.message)
    _log(wp, request, "vaccination", booking, desk)
    return _back(request, "vaccination", booking.reference)


@needs("booking.quota")
def quota_view(wp: Workplace, request: Request) -> Response:
    _ = translator(wp.lang(request))
    desk = _desk(wp, request)
    values = form(request)
    try:
        key = unit_from_text(values.get("unit", ""))
        kiosk = values.get("kiosk_id", "")
        if values.get("change") == "grant":
            if kiosk not in {e.kiosk_id for e in wp.inbox(request).allowlist.list() if e.active}:
                raise RathausError(_("There is no kiosk {kiosk}.").format(kiosk=kiosk))
            desk.grant(kiosk, key)
            done = "granted"
        else:
            day = dt.date.fromisoformat(key.slot_id.split("@")[2][:10])
            holders = [u.holder for s in desk.day_view(day).slots for u in s.units if u.key == key and u.state == "quota"]
            done = "withdrawn" if holders and desk.withdraw(holders[0], key) else "not-withdrawn"
    except RathausError as exc:
        return _page(wp, request, desk, status_code=400, problem=exc.message)
    return _back(request, done)


def routes(wp: Workplace) -> list[Any]:
    return [
        Route("/appointments", bind(wp, day_page), methods=["GET"]),
        Route("/appointments/book", with_form(wp, book_view), methods=["POST"]),
        Route("/appointments/cancel", with_form(wp, cancel_view), methods=["POST"]),
        Route("/appointments/answer", with_form(wp, answer_view), methods=["POST"]),
        Route("/appointments/vaccination", with_form(wp, vaccination_view), methods=["POST"]),
        Route("/appointments/quota", with_form(wp, quota_view), methods=["POST"]),
    ]


register_area(Area("appointments", N_("Appointments"), "/appointments", "booking.view", routes, order=15))
