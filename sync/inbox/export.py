"""Exports for the back office: one row per submission of a service, one column per question.

CSV is for people: German labels as headings, answers in words, ``;`` as separator and a UTF-8
byte-order mark so a German spreadsheet opens it with umlauts intact; a cell a spreadsheet would
run as a formula (``=``, ``+``, ``-``, ``@`` ...) is prefixed with ``'``, because answers are typed
by anyone at a kiosk. JSON is for programs: field ids as keys and the answers exactly as sealed.
Both files hold personal data, so they are written readable by their owner only (mode 0600).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Sequence

from kiosk.errors import RathausError
from kiosk.i18n import translator
from sync.envelope import utc_timestamp
from sync.inbox.catalogue import FormCatalogue
from sync.inbox.reader import OpenedSubmission, local_time
from sync.inbox.status import status_label
from sync.keys import atomic_write

FORMATS = ("csv", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")


def _columns(
    submissions: Sequence[OpenedSubmission], form_id: str, catalogue: FormCatalogue, lang: str
) -> list[tuple[str, str]]:
    """``(field id, heading)`` in question order: the service's current definition first, then
    questions only older versions asked, then answers no known definition describes."""
    columns: dict[str, str] = {}
    known = [s.form for s in submissions if s.form is not None]
    current = catalogue.current(form_id)
    for form in ([current] if current is not None else []) + known:
        for question in form.fields:
            columns.setdefault(question.id, question.text("label", lang))
    for submission in submissions:
        for field_id in sorted(submission.answers):
            # A field id no definition knows comes from the kiosk as it is: a heading it makes is
            # as hostile as an answer.
            columns.setdefault(field_id, _safe_cell(field_id))
    return list(columns.items())


def _safe_cell(text: str) -> str:
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def export_csv(
    submissions: Sequence[OpenedSubmission], form_id: str, *, catalogue: FormCatalogue, lang: str
) -> bytes:
    _ = translator(lang)
    columns = _columns(submissions, form_id, catalogue, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Reference code"),
            _("Service"),
            _("Form version"),
            _("Kiosk"),
            _("Filled in"),
            _("Received"),
            _("Status"),
            *(heading for _id, heading in columns),
        ]
    )
    for submission in submissions:
        meta = submission.meta
        answers = {row.field_id: row.answer for row in submission.rows(lang)}
        writer.writerow(
            [
                meta.reference,
                meta.service,
                meta.form_version,
                meta.kiosk_id,
                local_time(meta.captured_at, lang),
                local_time(meta.received_at, lang),
                status_label(meta.status, _),
                *(_safe_cell(answers.get(field_id, "")) for field_id, _heading in columns),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def export_json(
    submissions: Sequence[OpenedSubmission], form_id: str, *, catalogue: FormCatalogue, lang: str
) -> bytes:
    columns = _columns(submissions, form_id, catalogue, lang)
    document: dict[str, Any] = {
        "service": form_id,
        "title": catalogue.title(form_id, lang),
        "exported_at": utc_timestamp(),
        "fields": [{"id": field_id, "label": heading} for field_id, heading in columns],
        "submissions": [
            {
                "reference": s.meta.code,
                "form_version": s.meta.form_version,
                "kiosk_id": s.meta.kiosk_id,
                "captured_at": s.meta.captured_at,
                "received_at": s.meta.received_at,
                "status": s.meta.status,
                "answers": s.answers,
            }
            for s in submissions
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def build_export(
    submissions: Sequence[OpenedSubmission],
    form_id: str,
    fmt: str,
    *,
    catalogue: FormCatalogue,
    lang: str,
) -> bytes:
    """The export file's bytes in ``fmt`` (``csv`` or ``json``)."""
    build = export_csv if check_format(fmt, lang) == "csv" else export_json
    return build(submissions, form_id, catalogue=catalogue, lang=lang)


def check_format(fmt: str, lang: str) -> str:
    """``csv`` or ``json``, or a plain ``RathausError`` before any application is opened."""
    _ = translator(lang)
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise RathausError(
            _("Unknown export format '{format}'. Possible: {formats}").format(format=fmt, formats=", ".join(FORMATS))
        )
    return fmt


def check_output_path(path: Path, lang: str) -> Path:
    """Refuse an output path before anything is opened: a folder is never created (a typo must not
    put personal data somewhere unexpected), and a folder is no file name."""
    _ = translator(lang)
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise RathausError(
            _("The folder {folder} does not exist. Please check the path; no folder is created for files with personal data.").format(
                folder=folder
            )
        )
    if path.is_dir():
        raise RathausError(
            _("{path} is a folder. Please give the name of a file to write (--out).").format(path=path)
        )
    return path


def write_private_file(path: Path, data: bytes, lang: str) -> None:
    """Write a file with personal data: atomically (a crash leaves the old file or the whole new
    one) and readable by its owner only (mode 0600), into a folder that already exists."""
    _ = translator(lang)
    path = check_output_path(Path(path), lang)
    try:
        atomic_write(path, data, mode=0o600, overwrite=True)
    except PermissionError as exc:
        raise RathausError(
            _("The file {path} cannot be written: you are not allowed to write there.").format(path=path),
            detail=repr(exc),
        ) from exc
    except IsADirectoryError as exc:
        raise RathausError(
            _("{path} is a folder. Please give the name of a file to write (--out).").format(path=path),
            detail=repr(exc),
        ) from exc
    except OSError as exc:
        raise RathausError(
            _("The file {path} cannot be written: {reason}").format(path=path, reason=exc.strerror or exc),
            detail=repr(exc),
        ) from exc
