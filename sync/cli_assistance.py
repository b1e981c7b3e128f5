"""``rathaus volunteers ...`` and ``rathaus powers ...``: the town hall's register for assisted mode.

    rathaus volunteers add NAME --valid-until DAY [--id V0007] [--no-pin]
    rathaus volunteers revoke ID [--reason TEXT]
    rathaus volunteers new-pin ID | new-badge ID
    rathaus volunteers list
    rathaus powers add --principal NAME --agent NAME --service ID [--service ID …]
                       --valid-from DAY --valid-until DAY --paper REF
    rathaus powers revoke ID
    rathaus powers list

A badge code, a PIN or a power-of-attorney code is printed once, when it is made: print the badge
(its QR code holds exactly the text shown) or write the code into the letter, and hand the PIN over
in person. The town hall keeps only hashes. Kiosks learn every change at their next exchange.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.i18n import language_from_environment, translator
from kiosk.paths import add_townhall_dir_argument, townhall_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    volunteers = subparsers.add_parser(
        "volunteers",
        help=_("town hall: enrol and revoke the volunteers who help at kiosks"),
        description=_(
            "Volunteers sign in at a kiosk with their badge or their id and PIN and then help "
            "citizens fill in applications. The kiosks learn every change at their next exchange."
        ),
    )
    actions = volunteers.add_subparsers(dest="volunteers_command", metavar="ACTION", parser_class=type(volunteers))
    actions.required = True
    add = actions.add_parser("add", help=_("enrol a volunteer; prints the badge code and the PIN once"))
    add.add_argument("name", metavar="NAME", help=_("full name, e.g. 'Anna Meier' (kiosks show 'Anna M.')"))
    add.add_argument("--valid-until", required=True, metavar="DAY", help=_("last day, e.g. 2027-06-30"))
    add.add_argument("--id", default=None, metavar="ID", help=_("the volunteer id (default: the next free one)"))
    add.add_argument("--no-pin", action="store_true", help=_("badge only, no PIN"))
    add.add_argument("--badge-pdf", type=Path, metavar="FILE", help=_("also write the badge with its QR code as a PDF to print"))
    add_townhall_dir_argument(add)
    add.set_defaults(handler=run_volunteers_add)
    revoke = actions.add_parser("revoke", help=_("revoke a volunteer: no kiosk lets them sign in any more"))
    revoke.add_argument("volunteer_id", metavar="ID")
    revoke.add_argument("--reason", default="", help=_("why (kept at the town hall only)"))
    add_townhall_dir_argument(revoke)
    revoke.set_defaults(handler=run_volunteers_revoke)
    for name, text, handler in (
        ("new-pin", _("give a volunteer a new PIN (the old one stops working)"), run_volunteers_new_pin),
        ("new-badge", _("give a volunteer a new badge (the old one stops working)"), run_volunteers_new_badge),
    ):
        parser = actions.add_parser(name, help=text)
        parser.add_argument("volunteer_id", metavar="ID")
        add_townhall_dir_argument(parser)
        parser.set_defaults(handler=handler)
    listing = actions.add_parser("list", help=_("every volunteer, enrolled and revoked"))
    add_townhall_dir_argument(listing)
    listing.set_defaults(handler=run_volunteers_list)

    powers = subparsers.add_parser(
        "powers",
        help=_("town hall: record and revoke powers of attorney for kiosk applications"),
        description=_(
            "Record a power of attorney from its paper document, so that the person named in it "
            "can file applications at a kiosk on the other person's behalf."
        ),
    )
    actions = powers.add_subparsers(dest="powers_command", metavar="ACTION", parser_class=type(powers))
    actions.required = True
    add = actions.add_parser("add", help=_("record a power of attorney; prints its code once"))
    add.add_argument("--principal", required=True, metavar="NAME", help=_("the person acted for"))
    add.add_argument("--agent", required=True, metavar="NAME", help=_("the person who acts"))
    add.add_argument("--service", action="append", required=True, metavar="ID", help=_("a service it covers (repeat for more)"))
    add.add_argument("--valid-from", required=True, metavar="DAY", help=_("first day, e.g. 2026-04-01"))
    add.add_argument("--valid-until", required=True, metavar="DAY", help=_("last day, e.g. 2027-03-31"))
    add.add_argument("--paper", default="", metavar="REF", help=_("the paper document's reference, as filed"))
    add.add_argument("--card-pdf", type=Path, metavar="FILE", help=_("also write the code with its QR code as a PDF for the letter"))
    add_townhall_dir_argument(add)
    add.set_defaults(handler=run_powers_add)
    revoke = actions.add_parser("revoke", help=_("revoke a power of attorney"))
    revoke.add_argument("power_id", metavar="ID")
    add_townhall_dir_argument(revoke)
    revoke.set_defaults(handler=run_powers_revoke)
    listing = actions.add_parser("list", help=_("every power of attorney, valid and revoked"))
    add_townhall_dir_argument(listing)
    listing.set_defaults(handler=run_powers_list)


def _municipality(args: argparse.Namespace) -> str:
    from sync.keys import load_townhall_public, townhall_public_keys_path

    try:
        return load_townhall_public(townhall_public_keys_path(townhall_dir(args))).name
    except Exception:  # a card without the town's name is still a good card
        return ""


def _registry(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from sync.assistance import open_registry

    return open_registry(townhall_dir(args))


def run_volunteers_add(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    with _registry(args) as registry:
        enrolled = registry.enrol_volunteer(
            args.name, args.valid_until, volunteer_id=args.id, with_pin=not args.no_pin
        )
    volunteer = enrolled.volunteer
    print(_("Volunteer {id} enrolled: {name} (kiosks show '{short}'), until {day}.").format(
        id=volunteer.volunteer_id, name=volunteer.name, short=volunteer.display_name, day=volunteer.valid_until
    ))
    print(_("Badge code (print it as a QR code): {code}").format(code=enrolled.badge_code))
    if args.badge_pdf:
        from sync.assistance.cards import badge_pdf, write_private

        write_private(args.badge_pdf, badge_pdf(
            municipality=_municipality(args), display_name=volunteer.display_name, volunteer_id=volunteer.volunteer_id,
            valid_until=volunteer.valid_until, code=enrolled.badge_code, lang=language_from_environment(),
        ))
        print(_("Badge written to {path} (delete the file once printed).").format(path=args.badge_pdf))
    if enrolled.pin:
        print(_("PIN (hand it over in person): {pin}").format(pin=enrolled.pin))
    print(_("Both are shown only now; the town hall keeps only their hashes."))
    return 0


def run_volunteers_revoke(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    with _registry(args) as registry:
        volunteer = registry.revoke_volunteer(args.volunteer_id, args.reason)
    print(_("Volunteer {id} revoked at {moment}. Kiosks refuse them from their next exchange on.").format(
        id=volunteer.volunteer_id, moment=volunteer.revoked_at
    ))
    return 0


def run_volunteers_new_pin(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    with _registry(args) as registry:
        pin = registry.new_pin(args.volunteer_id)
    print(_("New PIN for {id} (hand it over in person): {pin}").format(id=args.volunteer_id, pin=pin))
    return 0


def run_volunteers_new_badge(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    with _registry(args) as registry:
        code = registry.new_badge(args.volunteer_id)
    print(_("New badge code for {id} (print it as a QR code): {code}").format(id=args.volunteer_id, code=code))
    return 0


def run_volunteers_list(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    with _registry(args) as registry:
        volunteers = registry.volunteers()
    if not volunteers:
        print(_("No volunteers are enrolled."))
    for v in volunteers:
        state = _("revoked {moment}").format(moment=v.revoked_at) if v.revoked else _("until {day}").format(day=v.valid_until)
        print(f"{v.volunteer_id}  {v.name}  ({v.display_name})  {state}")
    return 0


def _check_services(args: argparse.Namespace, services: list[str]) -> None:
    """Every service named must be one this town hall offers and that accepts a representative:
    a mistyped id would give a power of attorney that no kiosk ever accepts."""
    from assisted_mode.roles import REPRESENTATIVE
    from kiosk.errors import RathausError
    from sync.inbox.catalogue import FormCatalogue

    _ = translator(language_from_environment())
    catalogue = FormCatalogue.for_townhall(townhall_dir(args))
    possible = [i for i in catalogue.ids() if REPRESENTATIVE in catalogue.current(i).assistance]  # type: ignore[union-attr]
    for service in services:
        form = catalogue.current(service)
        if form is None:
            raise RathausError(_("'{service}' is not a service of this town hall. A power of attorney can name: {ids}.").format(
                service=service, ids=", ".join(possible)))
        if REPRESENTATIVE not in form.assistance:
            raise RathausError(_("'{service}' cannot be applied for on someone else's behalf. A power of attorney can name: {ids}.").format(
                service=service, ids=", ".join(possible)))


def run_powers_add(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    _check_services(args, args.service)
    with _registry(args) as registry:
        recorded = registry.record_power(
            principal=args.principal, agent=args.agent, services=args.service,
            valid_from=args.valid_from, valid_until=args.valid_until, paper_reference=args.paper,
        )
    power = recorded.power
    print(_("Power of attorney {id} recorded: {agent} for {principal}, {services}, {start} to {end}.").format(
        id=power.power_id, agent=power.agent_name, principal=power.principal_name,
        services=", ".join(power.services), start=power.valid_from, end=power.valid_until,
    ))
    print(_("Code for the letter to {agent} (as text and QR code): {code}").format(agent=power.agent_name, code=recorded.code))
    if args.card_pdf:
        from sync.assistance.cards import power_card_pdf, write_private
        from sync.assistance.registry import short_name

        write_private(args.card_pdf, power_card_pdf(
            municipality=_municipality(args), agent=short_name(power.agent_name),
            principal=short_name(power.principal_name), power_id=power.power_id, code=recorded.code,
            lang=language_from_environment(),
        ))
        print(_("Code card written to {path} (delete the file once printed).").format(path=args.card_pdf))
    print(_("It is shown only now; the town hall keeps only its hash."))
    return 0


def run_powers_revoke(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    with _registry(args) as registry:
        power = registry.revoke_power(args.power_id)
    print(_("Power of attorney {id} revoked at {moment}.").format(id=power.power_id, moment=power.revoked_at))
    return 0


def run_powers_list(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    with _registry(args) as registry:
        powers = registry.powers()
    if not powers:
        print(_("No powers of attorney are recorded."))
    for p in powers:
        state = _("revoked {moment}").format(moment=p.revoked_at) if p.revoked_at else f"{p.valid_from} – {p.valid_until}"
        print(f"{p.power_id}  {p.agent_name} → {p.principal_name}  [{', '.join(p.services)}]  {state}  {p.paper_reference}")
    return 0
