"""``rathaus usb``: the same signed batches, carried on a USB stick.

At the kiosk, ``usb export DIR`` first takes the town hall's replies found on the stick, then puts
the waiting batch and a status request on it. At the town hall, ``usb import DIR`` receives the
batches with exactly the server's checks and leaves acknowledgements and status updates on the
stick. The reverse directions are ``usb import DIR --kiosk`` and ``usb export DIR --townhall``;
the latter writes one kiosk's answers per stick (``--kiosk-id``) unless ``--all-kiosks`` is asked
for, because a stick can be lost on the way.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, ntranslator, translator
from kiosk.paths import kiosk_dir, townhall_dir

if TYPE_CHECKING:
    from sync.usb import TransferReport


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    parser = subparsers.add_parser("usb", help=_("carry batches and replies on a USB stick"))
    commands = parser.add_subparsers(dest="usb_command", metavar="ACTION", parser_class=type(parser))
    commands.required = True
    for name, help_text, flag, flag_help in (
        ("export", _("write to the stick (default: at the kiosk)"), "--townhall",
         _("at the town hall: write the answers for the kiosk(s) this stick goes to")),
        ("import", _("read from the stick (default: at the town hall)"), "--kiosk",
         _("at the kiosk: read acknowledgements and status updates")),
    ):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("directory", type=Path, metavar="DIR", help=_("where the stick is mounted"))
        sub.add_argument(flag, action="store_true", help=flag_help)
        if name == "export":
            which = sub.add_mutually_exclusive_group()
            which.add_argument(
                "--kiosk-id", action="append", default=[], metavar="ID",
                help=_("with --townhall: only this kiosk's answers (repeat for more); "
                       "needed when the town hall has several kiosks"),
            )
            which.add_argument(
                "--all-kiosks", action="store_true",
                help=_("with --townhall: the answers of every enrolled kiosk on one stick"),
            )
        sub.add_argument("--data-dir", type=Path, default=None, help=_("data directory of this kiosk or town hall"))
        sub.set_defaults(handler=run_usb)


def run_usb(args: argparse.Namespace) -> int:
    lang = language_from_environment()
    at_townhall = (args.usb_command == "import" and not args.kiosk) or (
        args.usb_command == "export" and args.townhall
    )
    _ = translator(lang)
    if args.usb_command == "export" and not at_townhall and (args.kiosk_id or args.all_kiosks):
        raise RathausError(
            _("--kiosk-id and --all-kiosks choose whose answers the town hall writes; use them with --townhall.")
        )
    _check_side(args, at_townhall, _)
    try:
        report = _run_townhall(args, lang) if at_townhall else _run_kiosk(args, lang)
    except OSError as exc:  # stick pulled out, read-only, full: every step is safe to repeat
        raise RathausError(
            _("The USB stick at {path} cannot be read or written ({reason}). Nothing is lost: plug it in again and repeat the command.").format(
                path=args.directory, reason=exc.strerror or type(exc).__name__
            ),
            detail=repr(exc),
        ) from exc
    _print_report(report, _)
    return 1 if report.problems else 0


def _print_report(report: TransferReport, _) -> None:
    if report.nothing_waiting:
        print(_("No applications were waiting."))
    ngettext = ntranslator(language_from_environment())
    lines = [
        (report.batches_written, _("{batches} {with_applications} written").format(
            batches=ngettext("{count} batch", "{count} batches", report.batches_written).format(
                count=report.batches_written
            ),
            with_applications=ngettext(
                "with {count} application", "with {count} applications", report.items_written
            ).format(count=report.items_written),
        )),
        (report.status_requests_written, ngettext(
            "{count} request for answers written (the town hall puts its answers on this stick when it reads it)",
            "{count} requests for answers written (the town hall puts its answers on this stick when it reads it)",
            report.status_requests_written,
        )),
        (report.batches_received, ngettext(
            "{count} new batch received", "{count} new batches received", report.batches_received
        )),
        (report.batches_duplicate, ngettext(
            "{count} batch received before, acknowledged again",
            "{count} batches received before, acknowledged again",
            report.batches_duplicate,
        )),
        (report.acks_applied, ngettext(
            "{count} acknowledgement applied", "{count} acknowledgements applied", report.acks_applied
        )),
        (report.statuses_applied, ngettext(
            "{count} status update applied", "{count} status updates applied", report.statuses_applied
        )),
        (report.bundles_written, ngettext(
            "{count} status file written", "{count} status files written", report.bundles_written
        )),
        (report.downloads_applied, ngettext(
            "{count} download from the town hall applied",
            "{count} downloads from the town hall applied",
            report.downloads_applied,
        )),
    ]
    printed = False
    for count, text in lines:
        if count:
            print(text.format(count=count))
            printed = True
    if report.kiosks_written:
        print(_("Answers on the stick for: {kiosks}").format(kiosks=", ".join(report.kiosks_written)))
        printed = True
    if report.kiosks_without_answers:
        print(_("No answers yet for: {kiosks}").format(kiosks=", ".join(report.kiosks_without_answers)))
        printed = True
    for problem in report.problems:
        print(problem)
    if not printed and not report.problems:
        print(_("Nothing to transfer."))


def _check_side(args: argparse.Namespace, at_townhall: bool, _) -> None:
    """A kiosk folder used at the town hall (or the reverse) gets a hint, not advice to make keys."""
    from sync.keys import kiosk_is_initialised, townhall_is_initialised

    if at_townhall:
        folder = townhall_dir(args)
        if townhall_is_initialised(folder):
            return
        if kiosk_is_initialised(folder) or kiosk_is_initialised(kiosk_dir(args)):
            raise RathausError(
                _("This is a kiosk's folder. At the kiosk, replies are read with: rathaus usb import --kiosk {stick}").format(
                    stick=args.directory
                )
            )
        raise RathausError(
            _("No town hall is set up in {path}. Is the data directory right (--data-dir or RATHAUS_TOWNHALL_DIR)?").format(
                path=folder
            )
        )
    folder = kiosk_dir(args)
    if kiosk_is_initialised(folder):
        return
    if townhall_is_initialised(folder) or townhall_is_initialised(townhall_dir(args)):
        raise RathausError(
            _("This is the town hall's folder. At the town hall, answers go on the stick with: rathaus usb export --townhall {stick}").format(
                stick=args.directory
            )
        )
    raise RathausError(
        _("No kiosk is set up in {path}. Is the data directory right (--data-dir or RATHAUS_KIOSK_DIR)? "
          "A new kiosk starts with: rathaus keys init-kiosk").format(path=folder)
    )


def _run_kiosk(args: argparse.Namespace, lang: str):
    from kiosk.runtime import open_runtime
    from sync.keys import load_kiosk_keys, load_pinned_townhall
    from sync.usb import kiosk_collect_replies, kiosk_export

    data_dir = kiosk_dir(args)
    runtime = open_runtime(data_dir)
    try:
        action = kiosk_export if args.usb_command == "export" else kiosk_collect_replies
        return action(
            args.directory,
            runtime.store,
            kiosk=load_kiosk_keys(data_dir),
            townhall=load_pinned_townhall(data_dir),
            lang=lang,
        )
    finally:
        runtime.close()


def _run_townhall(args: argparse.Namespace, lang: str):
    from sync.allowlist import Allowlist
    from sync.keys import load_townhall_keys
    from sync.server.storage import open_storage
    from sync.usb import kiosks_for_stick, townhall_export_statuses, townhall_import

    data_dir = townhall_dir(args)
    keys = load_townhall_keys(data_dir, need_encryption=False)
    allowlist = Allowlist(data_dir)
    if args.usb_command == "export":  # chosen before anything is opened: a refusal changes nothing
        kiosk_ids = kiosks_for_stick(allowlist, args.kiosk_id, all_kiosks=args.all_kiosks, lang=lang)
    storage = open_storage(data_dir)
    try:
        if args.usb_command == "import":
            return townhall_import(
                args.directory, storage, allowlist, townhall=keys, townhall_dir=data_dir, lang=lang
            )
        return townhall_export_statuses(
            args.directory, storage, allowlist, townhall=keys, kiosk_ids=kiosk_ids, lang=lang
        )
    finally:
        storage.close()
