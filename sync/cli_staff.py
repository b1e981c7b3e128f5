"""``rathaus staff ...``: the staff workplace in the browser, and its accounts.

    rathaus staff serve [--host 127.0.0.1] [--port 8090]      the workplace (next to the private key)
    rathaus staff add-user NAME --role clerk|head|it [--name "Full Name"] [--password-stdin]
    rathaus staff password NAME [--password-stdin]             set a new password (ends its sessions)
    rathaus staff unlock NAME                                  end a lock-out after wrong passwords
    rathaus staff disable NAME                                 end an account (kept for the access log)
    rathaus staff users                                        who has an account

A thin layer over ``sync.workplace``; passwords are asked twice without echo, or read from
standard input (one line) for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path

from kiosk.errors import RathausError
from kiosk.i18n import Gettext, language_from_environment, translator
from kiosk.paths import add_townhall_dir_argument, townhall_dir

DEFAULT_PORT = 8090
PASSWORD_TRIES = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    staff = subparsers.add_parser(
        "staff",
        help=_("town-hall staff: the workplace in the browser and its accounts"),
        description=_(
            "The staff workplace: applications, answers, kiosks at a glance, in the browser. It runs "
            "where the town hall's private encryption key is, never in the server the kiosks reach."
        ),
    )
    commands = staff.add_subparsers(dest="staff_command", metavar="ACTION", parser_class=type(staff))
    commands.required = True

    serve = commands.add_parser("serve", help=_("run the workplace (open it in a browser)"))
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1)"))
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=_("port to listen on (default: {port})").format(port=DEFAULT_PORT))
    serve.add_argument(
        "--silent-after-hours",
        type=float,
        default=24.0,
        metavar="HOURS",
        help=_("warn about a kiosk not heard from for this long (default: 24)"),
    )
    serve.add_argument(
        "--forms-dir",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=_("another folder of service definitions (besides DATA-DIR/forms and the shipped ones)"),
    )
    add_townhall_dir_argument(serve)
    serve.set_defaults(handler=run_serve)

    add = commands.add_parser("add-user", help=_("create a staff account"))
    add.add_argument("username", metavar="NAME", help=_("the name to log in with, e.g. m.schulz"))
    add.add_argument("--role", required=True, choices=("clerk", "head", "it"), help=_("clerk, head (head of office) or it"))
    add.add_argument("--name", default="", help=_("the full name shown in the access log"))
    _password_option(add, _)
    add_townhall_dir_argument(add)
    add.set_defaults(handler=run_add_user)

    password = commands.add_parser("password", help=_("set a new password for an account"))
    password.add_argument("username", metavar="NAME")
    _password_option(password, _)
    add_townhall_dir_argument(password)
    password.set_defaults(handler=run_password)

    unlock = commands.add_parser("unlock", help=_("end a lock-out after wrong passwords"))
    unlock.add_argument("username", metavar="NAME")
    add_townhall_dir_argument(unlock)
    unlock.set_defaults(handler=run_unlock)

    disable = commands.add_parser("disable", help=_("end an account at once (its name stays in the access log)"))
    disable.add_argument("username", metavar="NAME")
    add_townhall_dir_argument(disable)
    disable.set_defaults(handler=run_disable)

    users = commands.add_parser("users", help=_("list the staff accounts"))
    add_townhall_dir_argument(users)
    users.set_defaults(handler=run_users)


def _password_option(parser: argparse.ArgumentParser, _: Gettext) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=_("read the password from standard input (one line), for scripts"),
    )


def _accounts(args: argparse.Namespace, lang: str):
    from sync.keys import townhall_is_initialised
    from sync.workplace.accounts import open_accounts

    _ = translator(lang)
    data_dir = townhall_dir(args)
    if not townhall_is_initialised(data_dir):
        raise RathausError(
            _("No town hall is set up in {path}. Is the data directory right (--data-dir or RATHAUS_TOWNHALL_DIR)?").format(
                path=data_dir
            )
        )
    return open_accounts(data_dir, lang=lang)


def _new_password(args: argparse.Namespace, _: Gettext, check) -> str:
    """From standard input (``--password-stdin``), or typed twice at the terminal without echo."""
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        check(line)
        return line
    if not sys.stdin.isatty():
        raise RathausError(_("Type the password at a terminal, or give --password-stdin; nothing was changed."))
    problem = ""
    for _try in range(PASSWORD_TRIES):
        try:
            password = getpass.getpass(_("New password: "))
            try:
                check(password)
            except RathausError as exc:
                problem = exc.message
                print(problem, file=sys.stderr)
                continue
            repeated = getpass.getpass(_("Repeat the password: "))
        except (EOFError, KeyboardInterrupt):
            raise RathausError(_("No password entered; nothing was changed.")) from None
        if repeated == password:
            return password
        problem = _("The two passwords differ.")
        print(problem, file=sys.stderr)
    raise RathausError(_("{problem} Nothing was changed; please run the command again.").format(problem=problem))


def run_add_user(args: argparse.Namespace) -> int:
    from sync.workplace.accounts import ROLES

    lang = language_from_environment()
    _ = translator(lang)
    with _accounts(args, lang) as accounts:
        if accounts.user(args.username) is not None:
            raise RathausError(_("There is already an account named {name}.").format(name=args.username.lower()))
        password = _new_password(args, _, accounts.check_password)
        staff = accounts.add_user(args.username, password, role=args.role, display_name=args.name)
    print(
        _("Account {name} ({role}) created. Log in at the workplace (rathaus staff serve).").format(
            name=staff.username, role=_(ROLES[staff.role])
        )
    )
    return 0


def run_password(args: argparse.Namespace) -> int:
    lang = language_from_environment()
    _ = translator(lang)
    with _accounts(args, lang) as accounts:
        if accounts.user(args.username) is None:
            raise RathausError(_("There is no account named {name}.").format(name=args.username.lower()))
        accounts.set_password(args.username, _new_password(args, _, accounts.check_password))
    print(_("New password set for {name}; its open sessions have ended.").format(name=args.username.lower()))
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    lang = language_from_environment()
    _ = translator(lang)
    with _accounts(args, lang) as accounts:
        accounts.unlock(args.username)
    print(_("{name} can log in again.").format(name=args.username.lower()))
    return 0


def run_disable(args: argparse.Namespace) -> int:
    lang = language_from_environment()
    _ = translator(lang)
    with _accounts(args, lang) as accounts:
        accounts.disable(args.username)
    print(_("The account {name} is disabled; its sessions have ended.").format(name=args.username.lower()))
    return 0


def run_users(args: argparse.Namespace) -> int:
    from sync.workplace.accounts import ROLES

    lang = language_from_environment()
    _ = translator(lang)
    with _accounts(args, lang) as accounts:
        users = accounts.users()
    if not users:
        print(_("No accounts yet. The first one: rathaus staff add-user NAME --role head"))
        return 0
    for user in users:
        state = "" if user.active else "  (" + _("disabled") + ")"
        print(f"{user.username:<20} {_(ROLES.get(user.role, user.role)):<18} {user.display_name}{state}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from sync.cli_server import _is_loopback, _listen
    from sync.keys import require_townhall_keys
    from sync.server.serving import server_config
    from sync.workplace import WorkplaceConfig, create_app

    lang = language_from_environment()
    _ = translator(lang)
    data_dir = townhall_dir(args)
    if not 1 <= args.port <= 65535:
        raise RathausError(_("The port must be a number from 1 to 65535."))
    if args.silent_after_hours <= 0:
        raise RathausError(_("--silent-after-hours must be more than 0."))
    with _accounts(args, lang):
        pass  # the same plain refusal as the account commands for a wrong folder
    require_townhall_keys(data_dir, need_encryption=True)  # it opens applications: the key must be here
    app = create_app(
        WorkplaceConfig(
            data_dir, forms_dirs=tuple(args.forms_dir), silent_after_hours=args.silent_after_hours, default_lang=lang
        )
    )
    if not app.state.workplace.accounts.users():
        print(_("No accounts yet. The first one: rathaus staff add-user NAME --role head"))
    sock = _listen(args.host, args.port)
    if not os.environ.get("RATHAUS_LOG_LEVEL"):
        logging.getLogger("rathaus").setLevel(logging.INFO)
    if not _is_loopback(args.host):
        print(_("Note: listening on {host}. Staff should reach the workplace only through a TLS reverse proxy.").format(host=args.host))
    print(_("Staff workplace for {path} on http://{host}:{port} (stop with Ctrl+C).").format(path=data_dir, host=args.host, port=args.port))
    config = server_config(
        app, host=args.host, port=args.port, log_level="warning", access_log=False,
        proxy_headers=True, forwarded_allow_ips="127.0.0.1",
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0
