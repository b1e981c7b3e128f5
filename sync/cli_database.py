"""``rathaus database``: bring the town hall's database schema up to date, back it up, restore it.

Run by IT: on a district server as the administrators' database role (``rathaus_admin``, see
deploy/server/README.md), because the server's own role may neither change the schema nor read
everything a backup needs to hold.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.i18n import language_from_environment, translator
from kiosk.paths import add_townhall_dir_argument, townhall_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    database = subparsers.add_parser(
        "database",
        help=_("town-hall IT: update, back up and restore the town hall's database"),
        description=_(
            "The town hall's records: in SQLite files in the data directory, or in the PostgreSQL "
            "database named by server.toml or RATHAUS_DATABASE_URL."
        ),
    )
    commands = database.add_subparsers(dest="database_command", metavar="ACTION", parser_class=type(database))
    commands.required = True

    migrate = commands.add_parser("migrate", help=_("bring the database schema up to date"))
    add_townhall_dir_argument(migrate)
    migrate.set_defaults(handler=run_migrate)

    backup = commands.add_parser(
        "backup", help=_("write a backup of the records (applications stay sealed in it) to FILE")
    )
    backup.add_argument("file", metavar="FILE", help=_("the backup file to write (never overwritten)"))
    add_townhall_dir_argument(backup)
    backup.set_defaults(handler=run_backup)

    restore = commands.add_parser("restore", help=_("restore a backup into a fresh, empty database"))
    restore.add_argument("file", metavar="FILE", help=_("a backup written by 'rathaus database backup'"))
    add_townhall_dir_argument(restore)
    restore.set_defaults(handler=run_restore)


def run_migrate(args: argparse.Namespace) -> int:
    from sync.server.storage import open_storage
    from sync.server.upload_store import open_upload_store

    _ = translator(language_from_environment())
    data_dir = townhall_dir(args)
    open_storage(data_dir).close()  # opening runs every step not yet run, for both backends
    open_upload_store(data_dir).close()
    print(_("The database is up to date."))
    return 0


def run_backup(args: argparse.Namespace) -> int:
    from sync.server.backup import backup

    _ = translator(language_from_environment())
    written = backup(townhall_dir(args), Path(args.file))
    print(_("Backup written to {path}. Applications are sealed in it; keep the private key apart.").format(path=written))
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from sync.server.backup import restore

    _ = translator(language_from_environment())
    restore(townhall_dir(args), Path(args.file))
    print(_("Backup restored."))
    return 0
