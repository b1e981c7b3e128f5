"""The ``rathaus`` command: a thin argparse layer over the library.

Each area adds its own subcommands through a ``register(subparsers)`` function in its ``cli_*``
module; a handler takes the parsed arguments and returns an exit code. Errors a person can cause
(``RathausError``, a bad flag, a missing path) end in one plain line on stderr and exit code 1 or 2,
never a traceback. Set ``RATHAUS_DEBUG=1`` to see tracebacks of unexpected failures.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, NoReturn, Sequence

from kiosk import __version__
from kiosk.errors import RathausError
from kiosk.i18n import N_, language_from_environment, ntranslator, translator

# Modules that contribute subcommands, in the order they appear in ``rathaus --help``.
COMMAND_MODULES: tuple[str, ...] = (
    "kiosk.cli_kiosk",
    "kiosk.cli_recover",
    "kiosk.cli_forms",
    "sync.cli_keys",
    "sync.cli_server",
    "sync.cli_sync",
    "sync.cli_inbox",
    "sync.cli_usb",
    "sync.cli_warnings",
    "sync.cli_staff",
    "sync.cli_assistance",
    "sync.cli_database",
    "sync.cli_calendar",
)

Handler = Callable[[argparse.Namespace], int]


# argparse's own words, which it looks up through the gettext module: listed here so each has its
# German in the catalogue, and said in the tool's language while a parser is built, parses and
# formats its help (see ``_argparse_speaking``), so ``--help`` is not half German, half English.
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("options"),
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


@contextmanager
def _argparse_speaking(lang: str) -> Iterator[None]:
    """argparse's ``_``/``ngettext`` in ``lang`` for the duration, then as they were."""
    saved = (argparse._, argparse.ngettext)  # type: ignore[attr-defined]
    argparse._ = translator(lang)  # type: ignore[attr-defined]
    argparse.ngettext = ntranslator(lang)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class PlainParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line a person can act on, in the tool's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with _argparse_speaking(language_from_environment()):
            super().__init__(*args, **kwargs)

    def parse_known_args(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        with _argparse_speaking(language_from_environment()):
            return super().parse_known_args(*args, **kwargs)

    def format_usage(self) -> str:
        with _argparse_speaking(language_from_environment()):
            return super().format_usage()

    def format_help(self) -> str:
        with _argparse_speaking(language_from_environment()):
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        _ = translator(language_from_environment())
        hint = _("see '{command} --help'").format(command=self.prog)
        self.exit(2, f"{self.prog}: {message} ({hint})\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree; every subcommand has ``--help``."""
    _ = translator(language_from_environment())
    parser = PlainParser(
        prog="rathaus",
        description=_("Rathaus-Kiosk: town-hall services at a village-hall terminal."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"rathaus-kiosk {__version__}",
        help=_("show the program's version number and exit"),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=PlainParser)
    subparsers.required = True
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that area is not installed in this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script ``rathaus``."""
    logging.basicConfig(
        level=os.environ.get("RATHAUS_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _ = translator(language_from_environment())
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except RathausError as exc:
        print(f"rathaus {args.command}: {exc}", file=sys.stderr)
        if exc.detail:
            logging.getLogger("rathaus").info("%s", exc.detail)
        return 1
    except BrokenPipeError:
        # Output piped into `head` or a pager that closed early: not an error worth a word.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(_("rathaus: stopped."), file=sys.stderr)
        return 130
    except Exception:
        if os.environ.get("RATHAUS_DEBUG"):
            raise
        # The traceback is for developers (RATHAUS_LOG_LEVEL=DEBUG); a person gets one line.
        logging.getLogger("rathaus").debug("unexpected failure in %s", args.command, exc_info=True)
        message = _("an unexpected error occurred. Run again with RATHAUS_DEBUG=1 for details.")
        print(f"rathaus {args.command}: {message}", file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
