"""``rathaus inbox ...``: the town-hall staff's commands.

    rathaus inbox list [--all] [--service ID]          what arrived (new = not opened yet)
    rathaus inbox show REF                              open one application
    rathaus inbox export --service ID --format csv|json --out FILE
    rathaus inbox pdf REF --out FILE                    for the paper file
    rathaus inbox status REF STATUS [--message TEXT]    answer; the kiosk shows it at its next sync
    rathaus inbox audit                                 check the kiosks' audit chains of help given

Receipt codes may be typed as the citizen reads them (``7kq m2x 9tj``); a mistyped code is caught.
Files written here hold personal data and are readable by their owner only.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import unicodedata
from pathlib import Path

from kiosk.i18n import Gettext, language_from_environment, ntranslator, translator
from kiosk.paths import add_townhall_dir_argument, townhall_dir
from sync.envelope import STATUSES

_WIDTH = 100


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    inbox = subparsers.add_parser(
        "inbox",
        help=_("town-hall staff: list, open, export, print and answer applications"),
        description=_(
            "Work with the applications that arrived from the kiosks. Opening, exporting and "
            "printing need the town hall's private encryption key on this computer."
        ),
    )
    commands = inbox.add_subparsers(dest="inbox_command", metavar="ACTION", parser_class=type(inbox))
    commands.required = True

    listing = commands.add_parser("list", help=_("list applications (new ones unless --all)"))
    listing.add_argument("--all", action="store_true", help=_("also the ones already opened"))
    listing.add_argument("--service", metavar="ID", help=_("only this service, e.g. kita_erstattung"))
    _common(listing, _)
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help=_("open one application and show every answer"))
    show.add_argument("reference", metavar="REF", help=_("the code from the receipt, e.g. 7KQ-M2X-9TJ"))
    _kiosk_option(show, _)
    _common(show, _)
    show.set_defaults(handler=run_show)

    export = commands.add_parser("export", help=_("all applications of one service as CSV or JSON"))
    export.add_argument("--service", metavar="ID", required=True, help=_("the service, e.g. kita_erstattung"))
    export.add_argument("--format", choices=("csv", "json"), default="csv", help=_("csv for spreadsheets, json for programs"))
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help=_("file to write ('-': standard output)"))
    _common(export, _)
    export.set_defaults(handler=run_export)

    pdf = commands.add_parser("pdf", help=_("one application as a PDF for the paper file"))
    pdf.add_argument("reference", metavar="REF", help=_("the code from the receipt"))
    _kiosk_option(pdf, _)
    pdf.add_argument("--out", type=Path, required=True, metavar="FILE", help=_("PDF file to write ('-': standard output)"))
    _common(pdf, _)
    pdf.set_defaults(handler=run_pdf)

    status = commands.add_parser(
        "status",
        help=_("answer an application; the kiosk shows it at its next sync"),
        description=_(
            "Set the status of an application. The message is shown at the kiosk to whoever "
            "types the receipt code: write only what the receipt holder may read. A rejection "
            "and a request for information need a message, a confirmed appointment its date and time."
        ),
    )
    status.add_argument("reference", metavar="REF", help=_("the code from the receipt"))
    status.add_argument("status", metavar="STATUS", help=_("one of: {statuses}").format(statuses=", ".join(STATUSES)))
    status.add_argument("--message", default="", help=_("message for the citizen, in plain words"))
    status.add_argument("--note", default="", help=_("note for the staff only; never sent to the kiosk"))
    _kiosk_option(status, _)
    _common(status, _)
    status.set_defaults(handler=run_status)

    audit = commands.add_parser(
        "audit", help=_("check the kiosks' audit chains of help given (gaps, changes, order)")
    )
    _common(audit, _)
    audit.set_defaults(handler=run_audit)


def _common(parser: argparse.ArgumentParser, _: Gettext) -> None:
    add_townhall_dir_argument(parser)
    parser.add_argument(
        "--forms-dir",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help=_("another folder of service definitions (besides DATA-DIR/forms and the shipped ones)"),
    )


def _kiosk_option(parser: argparse.ArgumentParser, _: Gettext) -> None:
    parser.add_argument(
        "--kiosk",
        metavar="KIOSK_ID",
        default=None,
        help=_("the kiosk the application came from (needed only if two kiosks gave the same code)"),
    )


def _open_inbox(args: argparse.Namespace, lang: str):
    from sync.inbox import Inbox

    return Inbox(townhall_dir(args), forms_dirs=args.forms_dir, lang=lang)


def run_list(args: argparse.Namespace) -> int:
    from sync.inbox import local_time, status_label

    lang = language_from_environment()
    _ = translator(lang)
    with _open_inbox(args, lang) as inbox:
        entries = inbox.list(state="all" if args.all else "new", form_id=args.service)
    if not entries:
        print(_("No applications.") if args.all else _("No new applications."))
        _note_refused(args, lang)
        return 0
    headings = (_("Code"), _("Service"), _("Kiosk"), _("Received"), _("Status"))
    rows = [
        (
            e.reference,
            e.service,
            _("paper") if e.on_paper else e.kiosk_id,
            local_time(e.received_at, lang),
            _("DAMAGED") if e.damaged else status_label(e.status, _),
        )
        for e in entries
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headings, *rows)]
    for row in (headings, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    n_ = ntranslator(lang)
    print(n_("{count} application.", "{count} applications.", len(entries)).format(count=len(entries)))
    damaged = sum(1 for e in entries if e.damaged)
    if damaged:
        print(
            n_(
                "{count} application is damaged and cannot be opened (DAMAGED); the others are not affected.",
                "{count} applications are damaged and cannot be opened (DAMAGED); the others are not affected.",
                damaged,
            ).format(count=damaged)
        )
    _note_refused(args, lang)
    return 0


def _note_refused(args: argparse.Namespace, lang: str) -> None:
    """Staff must hear of applications refused as ``reference_conflict``: a citizen holds a
    receipt whose application is not here (it waits at its kiosk)."""
    from sync.server.storage import open_storage

    with open_storage(townhall_dir(args)) as storage:
        refused = storage.counts().refused
    if refused:
        print(
            ntranslator(lang)(
                "Note: {count} application was refused because another one with the same receipt code "
                "from the same kiosk is already here. It waits at its kiosk; the server log names it "
                "(reference_conflict).",
                "Note: {count} applications were refused because others with the same receipt codes "
                "from the same kiosks are already here. They wait at their kiosks; the server log names "
                "them (reference_conflict).",
                refused,
            ).format(count=refused)
        )


def run_show(args: argparse.Namespace) -> int:
    from sync.inbox import local_time, status_label

    lang = language_from_environment()
    _ = translator(lang)
    with _open_inbox(args, lang) as inbox:
        opened = inbox.open(args.reference, args.kiosk)
    meta = opened.meta
    _record_access(args, "open", [(meta.code, meta.kiosk_id, meta.form_id)])
    lines = [
        f"{meta.service} — {meta.reference}",
        _("Filled in at kiosk {kiosk} on {moment}").format(kiosk=meta.kiosk_id, moment=local_time(meta.captured_at, lang)),
        _("Received by the town hall on {moment}").format(moment=local_time(meta.received_at, lang)),
        _("Status: {status}").format(status=status_label(meta.status, _)),
    ]
    if opened.origin is not None:
        note = opened.origin.note(lang)
        lines.append(note if opened.origin.kind == "signed" else _("Attention: {note}").format(note=note))
    lines.extend(_assistance_lines(args, opened, lang))
    if meta.on_paper:
        lines.append(_("Handed in on paper: the answers are in the paper file."))
    elif opened.form is None:
        lines.append(
            _("The exact form definition ({id}, version {version}) is not at hand: questions are shown by their field names.").format(
                id=meta.form_id, version=meta.form_version
            )
        )
    lines.append("")
    for row in opened.rows(lang):
        lines.append(row.label)
        answer = row.answer or "-"
        for paragraph in answer.split("\n"):
            lines.extend(textwrap.wrap(paragraph, _WIDTH - 4, initial_indent="    ", subsequent_indent="    ") or ["    "])
    if opened.history:
        lines.append("")
        lines.append(_("Answers so far:"))
        for update in opened.history:
            text = f"  {local_time(update.updated_at, lang)}  {status_label(update.status, _)}"
            if update.message:
                text += f": {update.message}"
            if update.staff_note:
                text += "  [" + _("note: {note}").format(note=update.staff_note) + "]"
            lines.append(text)
    print(_for_terminal("\n".join(lines)))
    return 0


def _assistance_lines(args: argparse.Namespace, opened, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Who helped, and the town hall's check of the volunteer or power of attorney."""
    from sync.assistance import open_registry
    from sync.assistance.inbox_view import describe_assistance

    with open_registry(townhall_dir(args)) as registry:
        view = describe_assistance(opened, registry, lang)
    return [] if view is None else view.lines()


def _for_terminal(text: str) -> str:
    """Control characters shown as "?": answers come from a kiosk, and a stolen kiosk signs
    whatever it likes until it is revoked; an escape code must never act on the staff's terminal."""
    return "".join(ch if ch == "\n" or unicodedata.category(ch) != "Cc" else "?" for ch in text)


def run_export(args: argparse.Namespace) -> int:
    from sync.inbox.export import check_output_path

    lang = language_from_environment()
    n_ = ntranslator(lang)
    if not _to_stdout(args.out):
        check_output_path(args.out, lang)  # before anything is decrypted or marked as exported
    with _open_inbox(args, lang) as inbox:
        if _to_stdout(args.out):
            data, report = inbox.export_bytes(args.service, args.format)
            _record_access(args, "export", [(code, kiosk_id, args.service) for kiosk_id, code in report.exported])
            _write_stdout(data)
            count = report.count
            print(n_("{count} application exported.", "{count} applications exported.", count).format(count=count), file=sys.stderr)
            _name_skipped(report.skipped, lang)
            return 0
        report = inbox.export_file(args.service, args.format, args.out)
    _record_access(args, "export", [(code, kiosk_id, args.service) for kiosk_id, code in report.exported])
    count = report.count
    print(n_("{count} application written to {path}.", "{count} applications written to {path}.", count).format(count=count, path=args.out))
    _name_skipped(report.skipped, lang)
    return 0


def _name_skipped(skipped: list, lang: str) -> None:
    """Damaged applications left out of an export, each by its code, on standard error."""
    if not skipped:
        return
    n_ = ntranslator(lang)
    print(
        n_(
            "{count} damaged application was left out:",
            "{count} damaged applications were left out:",
            len(skipped),
        ).format(count=len(skipped)),
        file=sys.stderr,
    )
    for item in skipped:
        print("  " + item.describe(lang), file=sys.stderr)


def run_pdf(args: argparse.Namespace) -> int:
    from sync.inbox.export import check_output_path, write_private_file

    lang = language_from_environment()
    _ = translator(lang)
    if not _to_stdout(args.out):
        check_output_path(args.out, lang)  # before the application is opened and marked as opened
    with _open_inbox(args, lang) as inbox:
        data = inbox.pdf(args.reference, args.kiosk)
        entry = inbox.entry(args.reference, args.kiosk)
    _record_access(args, "pdf", [(entry.code, entry.kiosk_id, entry.form_id)])
    if _to_stdout(args.out):
        _write_stdout(data)
        return 0
    write_private_file(args.out, data, lang)
    print(_("PDF written to {path}.").format(path=args.out))
    return 0


def _record_access(args: argparse.Namespace, action: str, items: list[tuple[str, str, str]]) -> None:
    """The same access log as the workplace's: who opened which application when, never what it says."""
    from sync.workplace.accounts import record_command_line_access

    record_command_line_access(townhall_dir(args), action, items)


def _to_stdout(out: Path) -> bool:
    return str(out) == "-"


def _write_stdout(data: bytes) -> None:
    """For ``--out -``: the file goes where the shell sends it, e.g. into the staff's own folder."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def run_status(args: argparse.Namespace) -> int:
    from kiosk import refcode
    from sync.inbox import status_label

    lang = language_from_environment()
    _ = translator(lang)
    with _open_inbox(args, lang) as inbox:
        update = inbox.set_status(args.reference, args.status, args.message, note=args.note, kiosk_id=args.kiosk)
        entry = inbox.entry(update.reference, update.kiosk_id)
    _record_access(args, "status", [(entry.code, entry.kiosk_id, entry.form_id)])
    print(
        _("{code}: status is now '{status}' (no. {serial}). The kiosk shows it after its next sync.").format(
            code=refcode.display(update.reference), status=status_label(update.status, _), serial=update.serial
        )
    )
    return 0


def run_audit(args: argparse.Namespace) -> int:
    """Exit code 1 when a chain has a problem, so a nightly job can raise the alarm."""
    from sync.assistance.audit_check import check_audit

    lang = language_from_environment()
    _ = translator(lang)
    results = check_audit(townhall_dir(args))
    if not results:
        print(_("No kiosk has sent an audit chain yet."))
        return 0
    for result in results:
        if result.intact:
            print(_("{kiosk}: {count} entries, chain intact.").format(kiosk=result.kiosk_id, count=result.entries))
            continue
        print(_("{kiosk}: {count} entries, PROBLEMS:").format(kiosk=result.kiosk_id, count=result.entries))
        for text in result.problem_texts(lang):
            print(f"  - {text}")
    return 0 if all(result.intact for result in results) else 1
