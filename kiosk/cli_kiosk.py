"""``rathaus kiosk``, ``rathaus configure`` and ``rathaus demo``: running a terminal."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from dataclasses import replace
from pathlib import Path

from kiosk.config import load_config, save_config
from kiosk.errors import RathausError
from kiosk.i18n import LANGUAGES, language_from_environment, ntranslator, translator
from kiosk.paths import add_kiosk_dir_argument, kiosk_dir
from kiosk.pin import MIN_PIN_DIGITS, check_new_pin


MIN_IDLE_SECONDS = 30  # less is too little for a slow reader (WCAG 2.2.1 asks for at least 20)


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    kiosk = subparsers.add_parser(
        "kiosk",
        help=_("run the citizen kiosk on this terminal"),
        description=_("Run the citizen kiosk. In kiosk mode it cannot be quit; staff leave with F12 and the PIN."),
    )
    add_kiosk_dir_argument(kiosk)
    kiosk.add_argument(
        "--no-lockdown",
        action="store_true",
        help=_("allow quitting with Ctrl+Q (for a helper's own computer, not for a public terminal)"),
    )
    kiosk.add_argument(
        "--helper",
        metavar="NAME",
        default="",
        help=_(
            "helper mode on a relative's own computer: not locked down, and NAME helps "
            "(the citizen agrees on screen before each application)"
        ),
    )
    kiosk.add_argument("--lang", choices=LANGUAGES, default="de", help=_("language at the start (default: de)"))
    kiosk.add_argument(
        "--check",
        action="store_true",
        help=_("check that this kiosk is set up (queue, keys, town hall or stick, printer, speech, "
               "warnings area, last exchange) and say what is left to do; exit code 1 if anything is"),
    )
    kiosk.set_defaults(handler=run_kiosk)

    configure = subparsers.add_parser(
        "configure",
        help=_("change this kiosk's settings (kiosk.toml)"),
        description=_("Change this kiosk's settings; options not given stay as they are."),
    )
    add_kiosk_dir_argument(configure)
    configure.add_argument("--municipality", help=_("name shown on the start screen and receipts"))
    configure.add_argument("--location", help=_("where this kiosk stands, e.g. 'Bibliothek Lüderitz'"))
    configure.add_argument("--server-url", help=_("town-hall server address (empty: USB stick only)"))
    configure.add_argument(
        "--printer",
        help=_("receipt printer: a CUPS queue (Foyer), escpos-net:HOST[:PORT], escpos-usb:VID:PID or "
               "escpos-file:/dev/usb/lp0 for an 80 mm receipt printer; empty: no printer"),
    )
    configure.add_argument("--forms-dir", help=_("folder with this town's form definitions (empty: shipped forms)"))
    configure.add_argument("--status-url", help=_("web address printed as QR code, the receipt code is appended"))
    configure.add_argument(
        "--idle-seconds",
        type=int,
        help=_("quiet time before 'Do you need more time?' (at least {seconds} seconds)").format(
            seconds=MIN_IDLE_SECONDS
        ),
    )
    configure.add_argument("--usb-dir", help=_("where staff mount the USB stick for transfers (default /media/rathaus-stick)"))
    configure.add_argument(
        "--warning-area",
        help=_("official key of this kiosk's municipality for warnings: AGS (8 digits) or ARS (12), e.g. 15090535"),
    )
    configure.add_argument(
        "--warning-coordinates",
        help=_("latitude,longitude of the kiosk, for warnings given only as an area on the map, e.g. 52.4297,11.8069"),
    )
    configure.add_argument("--staff-pin", action="store_true", help=_("ask for a new staff PIN (F12 exit)"))
    configure.set_defaults(handler=run_configure)

    demo = subparsers.add_parser(
        "demo",
        help=_("the kiosk with an embedded local town-hall server and sample data"),
        description=_("Try the kiosk: a local town-hall server on 127.0.0.1, keys, an enrolled kiosk "
        "and sample applications are set up in DIR (default ./var/demo)."),
    )
    demo.add_argument("--dir", type=Path, default=Path("var/demo"), help=_("where the demo keeps its data"))
    demo.add_argument("--reset", action="store_true", help=_("start again with fresh demo data"))
    demo.add_argument("--lockdown", action="store_true", help=_("run in kiosk mode (leave with F12 + PIN 246813)"))
    demo.add_argument("--lang", choices=LANGUAGES, default="de", help=_("language at the start (default: de)"))
    demo.set_defaults(handler=run_demo)


def run_kiosk(args: argparse.Namespace) -> int:
    if args.check:
        return run_check(args)
    from kiosk.runtime import open_runtime
    from kiosk.ui.app import KioskApp

    _require_terminal()
    runtime = open_runtime(kiosk_dir(args))
    try:
        helper = " ".join(args.helper.split())
        locked = not (args.no_lockdown or helper)  # a helper's own computer is never locked down
        KioskApp(runtime, kiosk_mode=locked, lang=args.lang, helper_name=helper).run()
    finally:
        runtime.close()
    return 0


def run_check(args: argparse.Namespace) -> int:
    """``rathaus kiosk --check``: one line per part, OK or what to do; 1 when something must be done."""
    from kiosk.setup_check import Verdict, check_kiosk

    lang = language_from_environment()
    _ = translator(lang)
    ngettext = ntranslator(lang)
    data_dir = kiosk_dir(args)
    lines = check_kiosk(data_dir, lang)
    labels = {Verdict.OK: _("OK"), Verdict.MUST_DO: _("TO DO"), Verdict.NOTE: _("NOTE")}
    label_width = max(len(label) for label in labels.values())
    topic_width = max(len(line.topic) for line in lines)
    print(_("Checking the kiosk in {path}").format(path=data_dir))
    for line in lines:
        print(f"  {labels[line.verdict]:<{label_width}}  {line.topic + ':':<{topic_width + 1}}  {line.text}")
    must_do = sum(1 for line in lines if line.verdict is Verdict.MUST_DO)
    if must_do:
        print(ngettext("{count} thing must be done before citizens use this kiosk.",
                       "{count} things must be done before citizens use this kiosk.", must_do).format(count=must_do))
        return 1
    print(_("This kiosk is ready."))
    return 0


def run_configure(args: argparse.Namespace) -> int:
    from sync.keys import kiosk_is_initialised

    _ = translator(language_from_environment())
    data_dir = kiosk_dir(args)
    if not kiosk_is_initialised(data_dir):
        # A mistyped folder must not quietly become a second, half set-up kiosk.
        raise RathausError(
            _("No kiosk is set up in {path}. Is the data directory right (--data-dir or RATHAUS_KIOSK_DIR)? "
              "A new kiosk starts with: rathaus keys init-kiosk").format(path=data_dir)
        )
    config = load_config(data_dir)
    changes = {
        name: getattr(args, name)
        for name in (
            "municipality", "location", "server_url", "printer", "forms_dir", "status_url", "idle_seconds", "usb_dir",
            "warning_area", "warning_coordinates",
        )
        if getattr(args, name) is not None
    }
    _check_settings(changes, _)
    if changes.get("forms_dir"):
        changes["forms_dir"] = str(Path(changes["forms_dir"]).resolve())
    config = replace(config, **changes)
    if args.staff_pin:
        # Asked for last, after every other value was found good, and saved together with them:
        # the command changes all it was given or, if the PIN never comes right, nothing at all.
        config = config.with_staff_pin(_ask_new_pin(_))
    path = save_config(data_dir, config)
    if args.staff_pin:
        _lift_pin_lockout(data_dir, _)
    print(_("Settings saved in {path}.").format(path=path))
    return 0


def _check_settings(changes: dict, _) -> None:
    """Refuse a value that could never work now, not on the day the link is needed."""
    url = changes.get("server_url")
    if url and not _acceptable_server_url(url):
        raise RathausError(
            _("The town-hall address must start with https:// (for example https://kiosk.rathaus.example); nothing was changed.")
        )
    if "idle_seconds" in changes and changes["idle_seconds"] < MIN_IDLE_SECONDS:
        raise RathausError(
            _("Give people at least 30 seconds before asking whether they need more time; nothing was changed.")
        )
    _check_warning_place(changes, _)
    if changes.get("printer"):
        from kiosk.printing import PrinterKind, parse_printer
        from kiosk.printing.target import device_file_refused

        try:
            target = parse_printer(changes["printer"])
        except RathausError as exc:
            raise RathausError(
                _("{problem} Nothing was changed.").format(problem=exc.message), detail=exc.detail
            ) from exc
        refused = device_file_refused(target.address) if target.kind is PrinterKind.ESCPOS_FILE else ""
        if refused:
            raise RathausError(_("{problem} Nothing was changed.").format(problem=refused))
    if changes.get("forms_dir"):
        from kiosk.forms import check_forms

        if check_forms(Path(changes["forms_dir"])):
            raise RathausError(
                _("The forms in {path} have problems; run 'rathaus forms check {path}'.").format(
                    path=changes["forms_dir"]
                )
            )


def _check_warning_place(changes: dict, _) -> None:
    """A municipality key must be one (8 or 12 digits of a Land), coordinates must lie in Germany;
    stored in the form the kiosk reads."""
    from sync.warnings.area import AreaKeyError, parse_area_key, parse_point

    if changes.get("warning_area"):
        try:
            key = parse_area_key(changes["warning_area"])
        except AreaKeyError:
            raise RathausError(
                _(
                    "The warning area must be the official key of the municipality: 8 digits (AGS, e.g. 15090535 "
                    "for Tangerhütte) or 12 digits (ARS, e.g. 150900535535); nothing was changed."
                )
            ) from None
        changes["warning_area"] = key.ars or key.ags
    if changes.get("warning_coordinates"):
        try:
            lat, lon = parse_point(changes["warning_coordinates"])
        except ValueError:
            lat = lon = float("nan")
        if not (47.0 <= lat <= 55.2 and 5.8 <= lon <= 15.1):
            raise RathausError(
                _(
                    "The coordinates must be latitude,longitude in Germany, e.g. 52.4297,11.8069; nothing was changed."
                )
            )
        changes["warning_coordinates"] = f"{lat},{lon}"
def _acceptable_server_url(url: str) -> bool:
    """https, or plain http to this very machine (a town-hall server for a test); a host name that
    only begins like one (``http://localhost.example``) is not this machine."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme == "https" and host:
        return True
    return parts.scheme == "http" and host in ("127.0.0.1", "localhost", "::1")


def _lift_pin_lockout(data_dir: Path, _) -> None:
    """A new PIN set by someone with access to the kiosk's account ends a lock-out at F12.

    Only the database's owner opens it: SQLite files created by another user (root's write-ahead
    log, say) would keep the kiosk itself out of its queue.
    """
    from kiosk.staff_access import LONGEST_WAIT_SECONDS
    from kiosk.store import DB_NAME, open_store

    path = data_dir / DB_NAME
    try:
        owner = path.stat().st_uid
    except FileNotFoundError:
        return  # the kiosk has not run yet: nothing was counted
    if owner != os.geteuid():
        print(
            _(
                "A lock-out at F12 ends by itself within {minutes} minutes (run this as the kiosk's "
                "user to end it now)."
            ).format(minutes=int(LONGEST_WAIT_SECONDS // 60)),
            file=sys.stderr,
        )
        return
    with open_store(path) as store:
        store.clear_pin_failures()


PIN_TRIES = 3  # a PIN typed too short or differently the second time is asked for again


def _ask_new_pin(_) -> str:
    """The new staff PIN, typed twice at the terminal, asked again after a slip (like ``passwd``).

    Refused after ``PIN_TRIES`` slips with a sentence that says nothing was changed, not even the
    other options of the same command.
    """
    if not sys.stdin.isatty():
        raise RathausError(_("The staff PIN can only be typed at a terminal; nothing was changed."))
    problem = ""
    for _try in range(PIN_TRIES):
        try:
            pin = getpass.getpass(_("New staff PIN ({count} digits or more): ").format(count=MIN_PIN_DIGITS))
            try:
                check_new_pin(pin)
            except RathausError as exc:
                problem = exc.message
                print(problem, file=sys.stderr)
                continue
            repeated = getpass.getpass(_("Repeat the PIN: "))
        except (EOFError, KeyboardInterrupt):
            raise RathausError(_("No PIN entered; nothing was changed.")) from None
        if repeated == pin:
            return pin
        problem = _("The two PINs differ.")
        print(problem, file=sys.stderr)
    raise RathausError(
        _("{problem} Nothing was changed, none of the other settings either; please run the command again.").format(
            problem=problem
        )
    )


def run_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import DEMO_PIN, prepare_demo, run_demo_session

    _require_terminal()
    _ = translator(args.lang)
    setup = prepare_demo(args.dir, reset=args.reset)
    print(
        _("Demo data in {path}. Staff PIN: {pin}. Sample receipt codes: {codes}").format(
            path=args.dir, pin=DEMO_PIN, codes=", ".join(setup.sample_codes)
        )
    )
    run_demo_session(setup, kiosk_mode=args.lockdown, lang=args.lang)
    # The full screen hid the line above; the codes stay readable after quitting (and are shown
    # on the demo's status screen while it runs).
    print(_("Sample receipt codes: {codes}").format(codes=", ".join(setup.sample_codes)))
    return 0


def _require_terminal() -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        _ = translator(language_from_environment())
        raise RathausError(_("The kiosk needs a terminal (a screen and keyboard); none is attached."))
