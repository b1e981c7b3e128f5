"""``rathaus server``: run the town hall's receiving server for kiosks.

It listens on 127.0.0.1 by default; the internet side is a TLS reverse proxy (see
deploy/townhall/README.md). The server needs only the town hall's signing key; the private
encryption key belongs on the machine where staff open applications.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import socket
from pathlib import Path

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator
from kiosk.paths import add_townhall_dir_argument, townhall_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    server = subparsers.add_parser(
        "server",
        help=_("run the town hall's server that receives the kiosks' batches"),
        description=_(
            "Receive batches and status requests from the kiosks. Listens on 127.0.0.1; "
            "put a TLS reverse proxy in front of it for kiosks elsewhere."
        ),
    )
    server.add_argument("--host", default="127.0.0.1", help=_("address to listen on (default: 127.0.0.1)"))
    server.add_argument("--port", type=int, default=8080, help=_("port to listen on (default: 8080)"))
    server.add_argument(
        "--workers",
        type=int,
        default=1,
        help=_("how many server processes share the port (default: 1; several for PostgreSQL)"),
    )
    server.add_argument(
        "--database",
        metavar="URL",
        help=_(
            "keep the records in this PostgreSQL database (postgresql://...) instead of the SQLite "
            "files in the data directory; also read from server.toml or RATHAUS_DATABASE_URL"
        ),
    )
    server.add_argument(
        "--towns",
        metavar="DIR",
        help=_(
            "serve every town set up in a folder of DIR at /towns/<town> (a district's server; "
            "each town's server.toml names the PostgreSQL database and the town)"
        ),
    )
    server.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=None,
        help=_("text lines (default) or one JSON object per line, without client addresses (also RATHAUS_LOG_FORMAT)"),
    )
    add_townhall_dir_argument(server)
    server.set_defaults(handler=run_server)


def run_server(args: argparse.Namespace) -> int:
    import uvicorn

    from sync.keys import require_townhall_keys, townhall_is_initialised
    from sync.server.app import create_app
    from sync.server.serving import server_config

    _ = translator(language_from_environment())
    data_dir = Path(args.towns) if args.towns else townhall_dir(args)
    if not 1 <= args.port <= 65535:
        raise RathausError(_("The port must be a number from 1 to 65535."))
    if args.database:
        from sync.server.database import DATABASE_ENV, is_postgres_url

        if not is_postgres_url(args.database):
            raise RathausError(_("The database URL must start with postgresql://."))
        os.environ[DATABASE_ENV] = args.database  # for this process and every worker it starts
    if args.towns:
        from sync.server.district import create_district_app, town_dirs

        for town_dir in town_dirs(data_dir).values():
            require_townhall_keys(town_dir, need_encryption=False)
        build = lambda: create_district_app(data_dir)  # noqa: E731
    elif not townhall_is_initialised(data_dir):
        # A mistyped folder is far likelier than a new town hall; making keys there would be wrong.
        raise RathausError(
            _(
                "No town hall is set up in {path}. Is the data directory right "
                "(--data-dir or RATHAUS_TOWNHALL_DIR)? A new town hall starts with: "
                "rathaus keys init-townhall --name NAME"
            ).format(path=data_dir)
        )
    else:
        require_townhall_keys(data_dir, need_encryption=False)
        build = lambda: create_app(data_dir)  # noqa: E731
    from sync.server.workers import MAX_WORKERS, serve_with_workers

    if not 1 <= args.workers <= MAX_WORKERS:
        raise RathausError(_("The number of workers must be from 1 to {most}.").format(most=MAX_WORKERS))
    # With one worker the app is built here, so a database that cannot be opened is reported at
    # once; with several each worker builds its own (connections are never shared across a fork),
    # after one plain connection here has shown that the database answers.
    if args.workers > 1:
        from sync.server.database import check_reachable, database_config

        towns = town_dirs(data_dir).values() if args.towns else [data_dir]
        for config in {database_config(town_dir) for town_dir in towns}:
            check_reachable(config)
    app = build() if args.workers == 1 else None
    sock = _listen(args.host, args.port)
    if not os.environ.get("RATHAUS_LOG_LEVEL"):
        logging.getLogger("rathaus").setLevel(logging.INFO)  # one line per batch: ids, count, outcome
    from sync.server.jsonlog import json_logging_wanted, use_json_lines

    as_json = json_logging_wanted(args.log_format)
    if as_json:
        use_json_lines()
    if not _is_loopback(args.host):
        print(
            _("Note: listening on {host}. Kiosks should reach the server only through a TLS reverse proxy.").format(
                host=args.host
            )
        )
    print(_("Town-hall server for {path} on http://{host}:{port} (stop with Ctrl+C).").format(
        path=data_dir, host=args.host, port=args.port
    ))

    def make_config() -> uvicorn.Config:
        return server_config(
            app if app is not None else build(),
            host=args.host,
            port=args.port,
            log_level="info",
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1",
            **({"log_config": None} if as_json else {}),
        )

    if args.workers > 1:
        return serve_with_workers(make_config, sock, args.workers)
    uvicorn.Server(make_config()).run(sockets=[sock])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """Bind the port ourselves, so "already in use" is one plain sentence, not a log dump."""
    _ = translator(language_from_environment())
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise RathausError(
            _("The server cannot listen on {host}:{port}: {reason}").format(
                host=host, port=port, reason=exc.strerror or exc
            ),
            detail=repr(exc),
        ) from exc
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
