"""``rathaus recover``: save what can still be read from a damaged kiosk database.

The kiosk refuses to start on a damaged ``kiosk.db`` and names this command. It keeps the damaged
files, moves every application that can still be trusted into a fresh database and says in
numbers what was kept, so staff know whether citizens must be asked to hand something in again.
"""

from __future__ import annotations

import argparse

from kiosk.errors import StoreCorruptError
from kiosk.i18n import language_from_environment, translator
from kiosk.paths import add_kiosk_dir_argument, kiosk_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    recover = subparsers.add_parser(
        "recover",
        help=_("kiosk: save the readable applications from a damaged kiosk database"),
        description=_(
            "Stop the kiosk first. Keeps the damaged database in a folder next to it, moves every "
            "application that can still be read into a fresh database and says how many were kept. "
            "A database that is not damaged is left as it is."
        ),
    )
    add_kiosk_dir_argument(recover)
    recover.set_defaults(handler=run_recover)


def run_recover(args: argparse.Namespace) -> int:
    from kiosk.store import DB_NAME, open_store
    from kiosk.store.recovery import recover_store

    _ = translator(language_from_environment())
    path = kiosk_dir(args) / DB_NAME
    if path.is_file():
        try:
            open_store(path).close()
        except StoreCorruptError:
            pass
        else:
            print(_("The kiosk database {path} is not damaged; nothing was changed.").format(path=path))
            return 0
    report = recover_store(path)
    print(
        _(
            "Kept: {waiting} applications still to be sent (they go to the town hall with the next "
            "sync or stick) and {finished} already at the town hall. Could not be read: {unreadable}."
        ).format(waiting=report.waiting, finished=report.finished, unreadable=report.unreadable)
    )
    print(_("The damaged files are kept in {folder}.").format(folder=report.damaged_copy))
    if report.unreadable:
        print(
            _(
                "Please tell the town hall. A citizen whose receipt code the kiosk no longer "
                "knows must hand in that application again."
            )
        )
    print(_("Start the kiosk again: systemctl start rathaus-kiosk"))
    return 0
