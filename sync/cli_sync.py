"""``rathaus sync``: send this kiosk's waiting applications now and fetch status updates."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, ntranslator, translator
from kiosk.paths import add_kiosk_dir_argument, kiosk_dir
from sync.progress import UploadProgress, describe_progress

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
            shown = ProgressLine(sys.stderr, language_from_environment())
            report = runtime.sync_now(progress=shown)
            shown.finish()
            if report.error:
                print(report.error, file=sys.stderr)
            else:
                ngettext = ntranslator(language_from_environment())
                print(
                    _("{delivered}, {received}.").format(
                        delivered=ngettext(
                            "{count} application delivered", "{count} applications delivered", report.sent
                        ).format(count=report.sent),
                        received=ngettext(
                            "{count} status update received", "{count} status updates received", report.statuses
                        ).format(count=report.statuses),
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


class ProgressLine:
    """Shows a long upload as it goes: one line rewritten in place on a terminal, otherwise a
    new line at most every ``every`` seconds (for a log)."""

    def __init__(self, stream: TextIO, lang: str, *, every: float = 10.0) -> None:
        self._stream = stream
        self._lang = lang
        self._every = every
        self._tty = stream.isatty()
        self._last = time.monotonic()  # a round quicker than ``every`` prints nothing
        self._width = 0

    def __call__(self, progress: UploadProgress) -> None:
        text = describe_progress(progress, self._lang)
        now = time.monotonic()
        if self._tty:
            self._stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        elif now - self._last >= self._every:
            self._stream.write(text + "\n")
            self._last = now
        else:
            return
        self._stream.flush()

    def finish(self) -> None:
        if self._tty and self._width:
            self._stream.write("\n")
            self._stream.flush()
