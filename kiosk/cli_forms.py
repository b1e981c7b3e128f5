"""``rathaus forms``: check and list service definitions.

``forms check DIR`` is for the person writing definitions for their municipality: it lists every
problem of every file, one line each (``file: field: reason``), so the files can be fixed in one go
before a kiosk is set up with them. ``forms list [DIR]`` shows what a kiosk would offer, with the
version and content hash that travel with each submission.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.forms.loader import check_forms, definition_files, load_forms
from kiosk.forms.session import FormSession
from kiosk.i18n import language_from_environment, ntranslator, translator

SHORT_HASH = 12


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``forms check`` and ``forms list`` to the ``rathaus`` command."""
    _ = translator(language_from_environment())
    forms = subparsers.add_parser(
        "forms",
        help=_("check and list service definitions"),
        description=_("Service definitions are TOML files; see docs/forms.md for the format."),
    )
    actions = forms.add_subparsers(dest="forms_command", metavar="ACTION")
    actions.required = True

    check = actions.add_parser(
        "check",
        help=_("list every problem in a folder of service definitions"),
        description=_(
            "Check every *.toml file in DIR and print each problem as 'file: field: reason'. "
            "Exit code 0 when all files are fine, 1 otherwise."
        ),
    )
    check.add_argument("directory", type=Path, metavar="DIR", help=_("folder with *.toml files"))
    check.add_argument(
        "--require-plain",
        action="store_true",
        help=_("also count every question without a plain-language text as a problem"),
    )
    check.set_defaults(handler=run_check)

    listing = actions.add_parser(
        "list",
        help=_("show the services a kiosk would offer"),
        description=_(
            "List the services in DIR (default: the services shipped with the kiosk) in the "
            "order of the start screen, with version and content hash."
        ),
    )
    listing.add_argument(
        "directory", type=Path, metavar="DIR", nargs="?", default=None,
        help=_("folder with *.toml files (default: the shipped services)"),
    )
    listing.add_argument(
        "--full-hash", action="store_true", help=_("show the whole content hash (SHA-256)")
    )
    listing.set_defaults(handler=run_list)


def run_check(args: argparse.Namespace) -> int:
    lang = language_from_environment()
    _ = translator(lang)
    ngettext = ntranslator(lang)
    folder: Path = args.directory
    if not folder.is_dir():
        message = (
            _("{folder} is a file, not a folder of service definitions.")
            if folder.exists()
            else _("The folder {folder} does not exist.")
        )
        print(f"rathaus forms check: {message.format(folder=folder)}", file=sys.stderr)
        return 1
    problems = check_forms(folder, lang=lang, require_plain=args.require_plain)
    total = len(definition_files(folder))
    for problem in problems:
        print(problem)
    if problems:
        broken = len({problem.file for problem in problems})
        found = ngettext("{count} problem", "{count} problems", len(problems)).format(
            count=len(problems)
        )
        where = ngettext("in {broken} of {total} file.", "in {broken} of {total} files.", total)
        print(f"{found} {where.format(broken=broken, total=total)}")
        return 1
    print(
        ngettext(
            "{total} service definition checked, no problems.",
            "{total} service definitions checked, no problems.",
            total,
        ).format(total=total)
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    lang = language_from_environment()
    ngettext = ntranslator(lang)
    forms = load_forms(args.directory, lang=lang)
    id_width = max(len(form.id) for form in forms)
    for form in forms:
        digest = form.content_hash if args.full_hash else form.content_hash[:SHORT_HASH]
        # The count the kiosk shows at the first question ("Frage 1 von höchstens 6"): questions
        # that exclude each other (a reply by phone or by e-mail) are not added up.
        _number, most, certain = FormSession(form, lang).progress()
        if certain:
            questions = ngettext("{count} question", "{count} questions", most).format(count=most)
        else:
            questions = ngettext("at most {count} question", "at most {count} questions", most).format(count=most)
        print(
            f"{form.order:>4}  {form.id:<{id_width}}  {form.version:<6} {digest}  "
            f"{form.text('title', lang)} ({questions})"
        )
    return 0
