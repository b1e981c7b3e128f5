"""``rathaus sync``: send this kiosk's waiting applications now and fetch status updates."""

from __future__ import annotations

import argparse
import sys
import time

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator
from kiosk.paths import add_kiosk_dir_argument, kiosk_dir

EX_TEMPFAIL = 75  # sysexits: try again later


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    parser = subparsers.add_parser(
        "sync",
        help=_("send waiting applications to the town hall now (the kiosk also does this by itself)"),
        description=_("Send this kiosk's waiting applications to the town hall and fetch status updates."),
    )
    add_kiosk_dir_argument(parser)
    parser.add_argument(
        "--watch",
        type=int,
        metavar="SECONDS",
        default=0,
        help=_("keep running and try again every SECONDS (for a kiosk without the screen app)"),
    )
    parser.set_defaults(handler=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    from kiosk.runtime import open_runtime
    from sync.outbox import attention_notice

    _ = translator(language_from_environment())
    runtime = open_runtime(kiosk_dir(args))
    try:
        if not runtime.config.server_url:
            raise RathausError(
                _("No town-hall address is set in kiosk.toml (server_url). Use 'rathaus usb export' instead.")
            )
        while True:
            report = runtime.sync_now()
            if report.error:
                print(report.error, file=sys.stderr)
            else:
                print(
                    _("{sent} application(s) delivered, {statuses} status update(s) received.").format(
                        sent=report.sent, statuses=report.statuses
                    )
                )
            if report.needing_attention:
                print(attention_notice(report.needing_attention, language_from_environment()))
            if not args.watch:
                if report.refused:
                    return 1
                return EX_TEMPFAIL if report.error else 0
            time.sleep(args.watch)
    finally:
        runtime.close()
