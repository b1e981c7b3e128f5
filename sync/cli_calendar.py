"""``rathaus calendar ...``: the town hall's appointments at the counter.

    rathaus calendar init | check                      the calendar file (calendar.toml)
    rathaus calendar day [DATE]                         every slot of a day: kiosk and counter bookings
    rathaus calendar book UNIT [--name TEXT]            book a free time at the counter
    rathaus calendar cancel CODE                        cancel a booking; its time is free again
    rathaus calendar grant KIOSK UNIT | withdraw KIOSK UNIT | write-off KIOSK
    rathaus calendar requests                           tentative requests waiting for an answer
    rathaus calendar answer CODE --confirm UNIT | --propose UNIT | --decline REASON | --auto
    rathaus calendar vaccination CODE --vaccine … --lot … --date … --place … --given-by …

A UNIT is written as the day view shows it: ``buergerbuero@rathaus@2026-12-14T09:00#0``. Every
command except init and check first takes in what kiosks booked, requested or cancelled (this
needs the private key of the town hall on this computer, like ``rathaus inbox show``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil

from kiosk.errors import RathausError
from kiosk.i18n import Gettext, format_date, language_from_environment, translator
from kiosk.paths import add_townhall_dir_argument, townhall_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    calendar = subparsers.add_parser(
        "calendar",
        help=_("town-hall staff: appointments from kiosks and the counter"),
        description=_(
            "Bookable services, the day view of all bookings, counter bookings, kiosk quotas, "
            "answers to requests and vaccination records (docs/booking.md)."
        ),
    )
    commands = calendar.add_subparsers(dest="calendar_command", metavar="ACTION", parser_class=type(calendar))
    commands.required = True

    def command(name: str, text: str, handler) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        parser = commands.add_parser(name, help=text, description=text)
        add_townhall_dir_argument(parser)
        parser.set_defaults(handler=handler)
        return parser

    command("init", _("write the example calendar file to the data directory, to be edited"), run_init)
    command("check", _("read the calendar file and say what it offers"), run_check)
    day = command("day", _("every slot of a day with every booking, from kiosks and the counter"), run_day)
    day.add_argument("date", nargs="?", default=None, metavar="DATE", help=_("YYYY-MM-DD (default: today)"))
    book = command("book", _("book a free time at the counter"), run_book)
    book.add_argument("unit", metavar="UNIT", help=_("the time as the day view shows it"))
    book.add_argument("--name", default="", help=_("who comes (shown in the day view)"))
    cancel = command("cancel", _("cancel a booking; its time is free again at once"), run_cancel)
    cancel.add_argument("code", metavar="CODE", help=_("the receipt code"))
    cancel.add_argument("--kiosk", default=None, metavar="KIOSK_ID", help=_("only if two kiosks gave the same code"))
    grant = command("grant", _("give a free time to a kiosk's quota"), run_grant)
    grant.add_argument("kiosk", metavar="KIOSK_ID")
    grant.add_argument("unit", metavar="UNIT")
    withdraw = command("withdraw", _("take a time out of a kiosk's quota (free once the kiosk has learned it)"), run_withdraw)
    withdraw.add_argument("kiosk", metavar="KIOSK_ID")
    withdraw.add_argument("unit", metavar="UNIT")
    write_off = command("write-off", _("a kiosk not heard from again: its unbooked quota returns now"), run_write_off)
    write_off.add_argument("kiosk", metavar="KIOSK_ID")
    command("requests", _("tentative requests waiting for an answer"), run_requests)
    answer = command("answer", _("answer a tentative request"), run_answer)
    answer.add_argument("code", metavar="CODE", nargs="?", default=None, help=_("the receipt code"))
    how = answer.add_mutually_exclusive_group(required=True)
    how.add_argument("--confirm", metavar="UNIT", help=_("a time inside one of the wished windows"))
    how.add_argument("--propose", metavar="UNIT", help=_("another time, held for the citizen"))
    how.add_argument("--decline", metavar="REASON", help=_("the reason the citizen reads"))
    how.add_argument("--auto", action="store_true", help=_("answer with the nearest free time: the request CODE, or every waiting request"))
    answer.add_argument("--kiosk", default=None, metavar="KIOSK_ID", help=_("only if two kiosks gave the same code"))
    vaccination = command("vaccination", _("record a vaccination; the citizen prints it at the kiosk"), run_vaccination)
    vaccination.add_argument("code", metavar="CODE", help=_("the receipt code of the appointment"))
    vaccination.add_argument("--vaccine", required=True, help=_("vaccine (name and product)"))
    vaccination.add_argument("--lot", required=True, help=_("lot number"))
    vaccination.add_argument("--date", required=True, metavar="YYYY-MM-DD", help=_("day of the vaccination"))
    vaccination.add_argument("--place", required=True, help=_("where it was given"))
    vaccination.add_argument("--given-by", required=True, help=_("who gave it"))
    vaccination.add_argument(
        "--birth-date", default=None, metavar="YYYY-MM-DD",
        help=_("the date of birth (default: as given in the application)"),
    )
    vaccination.add_argument("--kiosk", default=None, metavar="KIOSK_ID", help=_("only if two kiosks gave the same code"))


def _date(text: str, _: Gettext) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RathausError(_("'{text}' is not a date like 2026-12-14.").format(text=text)) from None


def _desk(args: argparse.Namespace, *, arrivals: bool = True):  # type: ignore[no-untyped-def]
    """The desk, with what kiosks booked since the last command taken in first."""
    from sync.calendar import open_desk
    from sync.calendar.arrivals import take_arrivals
    from sync.inbox import Inbox

    lang = language_from_environment()
    _ = translator(lang)
    desk = open_desk(townhall_dir(args), lang=lang)
    if arrivals:
        try:
            with Inbox(townhall_dir(args), lang=lang) as inbox:
                found = take_arrivals(desk, inbox)
        except RathausError as exc:
            print(_("Bookings from kiosks could not be read here: {reason}").format(reason=exc.message))
        else:
            if found.unreadable:
                print(_("{count} booking(s) from kiosks could not be read; see the log.").format(count=len(found.unreadable)))
    return desk


def run_init(args: argparse.Namespace) -> int:
    from sync.calendar.config import EXAMPLE, calendar_path

    _ = translator(language_from_environment())
    path = calendar_path(townhall_dir(args))
    if path.exists():
        raise RathausError(_("{path} exists already; edit it, or move it away first.").format(path=path))
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLE, path)
    print(_("Written: {path}. Edit it, then check it with 'rathaus calendar check'.").format(path=path))
    return 0


def run_check(args: argparse.Namespace) -> int:
    from sync.calendar.config import calendar_path, load_calendar

    lang = language_from_environment()
    _ = translator(lang)
    config = load_calendar(townhall_dir(args))
    if config is None:
        raise RathausError(_("No calendar file: {path}").format(path=calendar_path(townhall_dir(args))))
    for service in config.services.values():
        print(
            _("{title}: {minutes} minutes, {capacity} at once, at {places}; each kiosk holds {quota}").format(
                title=service.text(lang), minutes=service.minutes, capacity=service.capacity,
                places=", ".join(config.places[p].text(lang) for p in service.places), quota=service.kiosk_quota,
            )
        )
    print(_("Lead time: {hours} hours; closed on the public holidays of {state} and {count} more days.").format(
        hours=int(config.lead.total_seconds() // 3600), state=config.state, count=len(config.closed)))
    return 0


def run_day(args: argparse.Namespace) -> int:
    from sync.calendar.config import TIMEZONE

    lang = language_from_environment()
    _ = translator(lang)
    desk = _desk(args)
    day = _date(args.date, _) if args.date else dt.datetime.now(TIMEZONE).date()
    view = desk.day_view(day)
    print(format_date(day, lang))
    if view.closed_reason:
        print(_("Closed: {reason}").format(reason=view.closed_reason))
    if not view.slots:
        print(_("No appointment times on this day."))
        return 0
    for slot_view in view.slots:
        for unit in slot_view.units:
            if unit.state == "free":
                what = _("free")
            elif unit.state == "quota":
                what = _("held by kiosk {kiosk}").format(kiosk=unit.holder)
            else:
                source = _("counter") if unit.source == "counter" else _("kiosk {kiosk}").format(kiosk=unit.source)
                what = _("booked {code} ({source})").format(code=unit.reference, source=source)
                if unit.label:
                    what += f" – {unit.label}"
                if unit.booking_state in ("proposed", "moved"):
                    what += f" [{unit.booking_state}]"
            print(f"{slot_view.slot.start:%H:%M}  {unit.key.slot_id}#{unit.key.unit}  {what}")
    return 0


def run_book(args: argparse.Namespace) -> int:
    from kiosk.refcode import display
    from sync.calendar import unit_from_text

    _ = translator(language_from_environment())
    booking = _desk(args).book_at_counter(unit_from_text(args.unit), label=args.name)
    print(_("Booked: {unit}. Receipt code: {code}").format(unit=args.unit, code=display(booking.reference)))
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    booking = _desk(args).cancel(args.code, kiosk_id=args.kiosk, reason="cancelled_at_counter")
    print(_("Cancelled: {code}. The time is free again.").format(code=booking.reference))
    return 0


def run_grant(args: argparse.Namespace) -> int:
    from sync.calendar import unit_from_text

    _ = translator(language_from_environment())
    _desk(args).grant(args.kiosk, unit_from_text(args.unit))
    print(_("Given to kiosk {kiosk}; it arrives with the kiosk's next sync.").format(kiosk=args.kiosk))
    return 0


def run_withdraw(args: argparse.Namespace) -> int:
    from sync.calendar import unit_from_text

    _ = translator(language_from_environment())
    if not _desk(args).withdraw(args.kiosk, unit_from_text(args.unit)):
        raise RathausError(_("Kiosk {kiosk} holds no such unbooked time.").format(kiosk=args.kiosk))
    print(_("Withdrawn: it is free once the kiosk has synced and shown it did not book it."))
    return 0


def run_write_off(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    count = _desk(args).write_off(args.kiosk)
    print(_("{count} times of kiosk {kiosk} are free again. Bookings it made offline will be moved.").format(count=count, kiosk=args.kiosk))
    return 0


def run_requests(args: argparse.Namespace) -> int:
    from kiosk.refcode import display

    _ = translator(language_from_environment())
    pending = _desk(args).pending_requests()
    if not pending:
        print(_("No requests waiting."))
    for booking in pending:
        print(f"{display(booking.reference)}  {booking.kiosk_id}  {booking.service}  {', '.join(booking.windows)}")
    return 0


def run_answer(args: argparse.Namespace) -> int:
    from sync.calendar import unit_from_text

    _ = translator(language_from_environment())
    desk = _desk(args)
    if args.auto:
        answered = desk.answer_requests_automatically(args.code, kiosk_id=args.kiosk)  # a code: that one only
        print(_("{count} requests answered.").format(count=answered))
        return 0
    if args.code is None:
        raise RathausError(_("Please name the receipt code of the request."))
    booking = desk.answer_request(
        args.code, kiosk_id=args.kiosk,
        confirm=unit_from_text(args.confirm) if args.confirm else None,
        propose=unit_from_text(args.propose) if args.propose else None,
        decline=args.decline,
    )
    print(_("Answered: {code} is {state}; the kiosk shows it at its next sync.").format(code=booking.reference, state=booking.state))
    return 0


def run_vaccination(args: argparse.Namespace) -> int:
    from sync.inbox import Inbox

    lang = language_from_environment()
    _ = translator(lang)
    desk = _desk(args)
    booking = desk.find_booking(args.code, args.kiosk)
    birth = args.birth_date
    if birth is None:
        with Inbox(townhall_dir(args), lang=lang) as inbox:
            birth = inbox.open(booking.reference, booking.kiosk_id).answers.get("birth_date")
        if not birth:
            raise RathausError(_("The application has no date of birth; please give --birth-date."))
    desk.record_vaccination(
        booking.reference, kiosk_id=booking.kiosk_id, birth_date=_date(birth, _), vaccine=args.vaccine,
        lot=args.lot, given_on=_date(args.date, _), place=args.place, given_by=args.given_by,
    )
    print(_("Recorded. The citizen can print it at the kiosk with the code and the date of birth after its next sync."))
    return 0
