"""The staff's inbox: list what arrived, open one submission, answer it.

Listing needs no private key: it shows only the routing data every sealed item carries in the
clear (service, kiosk, times, receipt code) and the status staff set. Opening first checks the
kiosk's signature against the enrolled kiosks (``sync.inbox.origin``: a forged item is refused),
then decrypts with whichever of the town hall's encryption keys the item names (the keyring keeps
earlier keys after a rotation), read only when needed and only on the machine where the inbox
runs. Opened answers live in memory; nothing decrypted is written anywhere except the export or
paper file staff ask for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from assisted_mode.record import ASSISTANCE_KEY, AssistanceRecord, split_assistance
from kiosk import refcode
from kiosk.errors import EnvelopeError, RathausError
from kiosk.forms import Field, FormDefinition, display_answer
from kiosk.i18n import format_datetime, language_from_environment, translator
from sync.allowlist import Allowlist
from sync.envelope import open_item, parse_timestamp, utc_timestamp
from sync.envelope.failures import BAD_SIGNATURE, KIND_ITEM, REVOKED_KIOSK, WRONG_RECIPIENT, envelope_error
from sync.envelope.items import item_recipient_key_id
from sync.inbox.catalogue import FormCatalogue
from sync.inbox.damage import NOT_TEXT, DamagedApplicationError, DamagedItem, holds_only_text
from sync.inbox.origin import Origin, check_origin
from sync.inbox.status import NO_STATUS, check_status, clean_note, status_label
from sync.keys import (
    EncryptionKeyring,
    load_encryption_keyring,
    load_townhall_public,
    require_townhall_keys,
    townhall_is_initialised,
    townhall_public_keys_path,
)
from sync.server.storage import PAPER_KIOSK_ID, ItemKey, ItemRecord, StatusRecord, Storage, open_storage

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    _LOCAL_ZONE: dt.tzinfo | None = ZoneInfo("Europe/Berlin")
except (ImportError, ZoneInfoNotFoundError):  # pragma: no cover - system without time zone data
    _LOCAL_ZONE = None

STATES = ("new", "all")


def local_time(timestamp: str, lang: str) -> str:
    """A stored UTC time as staff read it: German local time, to the minute."""
    try:
        moment = parse_timestamp(timestamp)
    except ValueError:
        return timestamp
    local = moment.astimezone(_LOCAL_ZONE) if _LOCAL_ZONE is not None else moment.astimezone()
    return format_datetime(local, lang)


@dataclass(frozen=True)
class InboxEntry:
    """One submission in the list; routing data only, nothing from the sealed answers."""

    reference: str  # as printed on the receipt: 7KQ-M2X-9TJ
    code: str  # compact: 7KQM2X9TJ
    form_id: str
    form_version: str
    service: str
    kiosk_id: str
    captured_at: str
    received_at: str
    status: str
    opened: bool
    damaged: str | None = None
    """Why it does not open (an error code), when staff found out or its signature shows it."""
    on_paper: bool = False
    """Handed in on paper and recorded by staff: the answers are in the paper file."""


@dataclass(frozen=True)
class ExportReport:
    """What an export held, and the damaged applications it had to leave out (by name)."""

    count: int
    skipped: list[DamagedItem]
    exported: tuple[ItemKey, ...] = ()
    """``(kiosk id, code)`` of every application in the export: the access log names each one."""


@dataclass(frozen=True)
class AnswerRow:
    """One question and its answer in words, as shown, exported and printed."""

    field_id: str
    label: str
    answer: str


@dataclass(frozen=True)
class OpenedSubmission:
    """A decrypted submission; ``form`` is ``None`` when its exact definition is not known.

    ``origin`` says whether the kiosk's signature was checked (``origin.note(lang)`` in words)."""

    meta: InboxEntry
    answers: dict[str, Any]
    form: FormDefinition | None
    history: list[StatusRecord] = field(default_factory=list)
    origin: Origin | None = None
    assistance: AssistanceRecord | None = None
    """Who helped, sealed beside the answers (``@assistance``); ``None`` when nobody did."""
    assistance_unreadable: bool = False

    def rows(self, lang: str) -> list[AnswerRow]:
        """Every question that was asked, in form order, with the answer in words."""
        return answer_rows(self.form, self.answers, lang)


def answer_rows(form: FormDefinition | None, answers: dict[str, Any], lang: str) -> list[AnswerRow]:
    """Labels from the exact definition; raw field ids for anything it does not describe."""
    rows: list[AnswerRow] = []
    described: set[str] = set()
    if form is not None:
        for question in form.fields:
            asked = question.when is None or question.when.holds(answers)
            if question.id not in answers and not asked:
                continue  # hidden by an earlier answer: never shown to the citizen
            described.add(question.id)
            rows.append(
                AnswerRow(question.id, question.text("label", lang), _in_words(question, answers.get(question.id), lang))
            )
    for field_id in sorted(set(answers) - described):
        rows.append(AnswerRow(field_id, field_id, raw_answer(answers[field_id])))
    return rows


def _in_words(question: Field, value: Any, lang: str) -> str:
    try:
        return display_answer(question, value, lang)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return raw_answer(value)  # an answer that does not fit its question is still shown


def raw_answer(value: Any) -> str:
    """An answer without a definition to explain it: plain text, lists and parts joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {raw_answer(part)}" for key, part in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(raw_answer(part) for part in value)
    return str(value)


class Inbox:
    """What town-hall staff work with; one per data directory (use it as a context manager)."""

    def __init__(
        self,
        townhall_dir: Path,
        *,
        storage: Storage | None = None,
        forms_dirs: Iterable[Path] = (),
        lang: str | None = None,
    ) -> None:
        self.townhall_dir = Path(townhall_dir)
        self.lang = lang or language_from_environment()
        self._ = translator(self.lang)
        self._owns_storage = storage is None
        if storage is None:
            # A mistyped data directory must not quietly become a new, empty town hall.
            if not townhall_is_initialised(self.townhall_dir):
                raise RathausError(
                    self._(
                        "No town hall is set up in {path}. Is the data directory right "
                        "(--data-dir or RATHAUS_TOWNHALL_DIR)?"
                    ).format(path=self.townhall_dir)
                )
            # Half a key set is restored from the backup; the encryption key is checked on opening.
            require_townhall_keys(self.townhall_dir, need_encryption=False)
        self.storage: Storage = storage if storage is not None else open_storage(self.townhall_dir)
        self.catalogue = FormCatalogue.for_townhall(self.townhall_dir, forms_dirs)
        self._keys: EncryptionKeyring | None = None
        self.allowlist = Allowlist(self.townhall_dir)
        self._signature_checks: dict[str, str | None] = {}

    # -- reading ---------------------------------------------------------------------------------

    def list(self, state: str = "new", form_id: str | None = None) -> list[InboxEntry]:
        """Submissions in the order they arrived: ``new`` (not opened yet) or ``all``."""
        if state not in STATES:
            raise RathausError(
                self._("Unknown list '{state}'. Possible: {states}").format(state=state, states=", ".join(STATES))
            )
        if form_id is not None:
            self._check_service(form_id)
        statuses = self.storage.current_statuses()
        items = self.storage.items(form_id=form_id, unopened_only=state == "new")
        return [self._entry(item, statuses.get((item.kiosk_id, item.reference))) for item in items]

    def entry(self, reference: str, kiosk_id: str | None = None) -> InboxEntry:
        """One submission's routing data and status, found by its typed receipt code; opens nothing."""
        item = self._item(reference, kiosk_id)
        history = self.storage.status_history(item.reference, item.kiosk_id)
        return self._entry(item, history[-1] if history else None)

    def open(self, reference: str, kiosk_id: str | None = None) -> OpenedSubmission:
        """Decrypt one submission (typed receipt code, typos caught) and note that it was opened.

        ``kiosk_id`` is needed only in the rare case that two kiosks drew the same code. A damaged
        submission raises ``DamagedApplicationError`` naming it, and is marked so lists show it."""
        item = self._item(reference, kiosk_id)
        try:
            submission = self._decrypt(item)
        except EnvelopeError as exc:
            damaged = self._note_damage(item, exc)
            raise DamagedApplicationError(
                damaged, self.lang, message=exc.message if exc.code in (BAD_SIGNATURE, REVOKED_KIOSK) else None
            ) from None
        self.storage.mark_opened([(item.kiosk_id, item.reference)], utc_timestamp())
        return submission

    def read_item(self, item: ItemRecord) -> OpenedSubmission:
        """Decrypt one stored item for a program that acts on it (the appointment desk), without
        marking it opened: staff still see it as new."""
        return self._decrypt(item)

    def submissions(self, form_id: str) -> list[OpenedSubmission]:
        """Every submission of one service that opens, decrypted, in the order they arrived."""
        return self.checked_submissions(form_id)[0]

    def checked_submissions(self, form_id: str) -> tuple[list[OpenedSubmission], list[DamagedItem]]:
        """Every submission of one service, and apart from them the damaged ones, by name: one
        planted item never stops the others."""
        opened: list[OpenedSubmission] = []
        damaged: list[DamagedItem] = []
        for item in self.storage.items(form_id=form_id):
            try:
                opened.append(self._decrypt(item))
            except EnvelopeError as exc:
                damaged.append(self._note_damage(item, exc))
        return opened, damaged

    # -- answering -------------------------------------------------------------------------------

    def set_status(
        self, reference: str, status: str, message: str = "", *, note: str = "", kiosk_id: str | None = None
    ) -> StatusRecord:
        """Record an answer; it goes to the kiosk with its next sync (or USB stick)."""
        item = self._item(reference, kiosk_id)
        status, message = check_status(status, message, self._)
        return self.storage.add_status(
            item.reference, status, message, utc_timestamp(), clean_note(note), kiosk_id=item.kiosk_id
        )

    def record_paper(self, form_id: str, received_at: str, *, note: str = "") -> InboxEntry:
        """Keep an application handed in on paper, so one list holds digital and paper ones.

        It gets a receipt code of its own (to write on the paper); the answers stay on paper, so
        nothing personal is typed in here but the staff's own ``note`` (e.g. the file number)."""
        self._check_service(form_id)
        form = self.catalogue.current(form_id)
        version = form.version if form is not None else ""
        form_hash = form.content_hash if form is not None else ""
        for _attempt in range(20):
            code = refcode.new_reference()
            if self.storage.items_with_reference(code):
                continue
            try:
                item = self.storage.record_paper_item(code, form_id, version, form_hash, received_at)
            except KeyError:
                continue
            break
        else:  # pragma: no cover - 20 collisions in a space of 32**8 codes
            raise RathausError(self._("No free receipt code was found; please try again."))
        record = self.storage.add_status(
            item.reference, NO_STATUS, "", utc_timestamp(), clean_note(note), kiosk_id=PAPER_KIOSK_ID
        )
        return self._entry(item, record)

    def history(self, reference: str, kiosk_id: str | None = None) -> list[StatusRecord]:
        item = self._item(reference, kiosk_id)
        return self.storage.status_history(item.reference, item.kiosk_id)

    # -- output ----------------------------------------------------------------------------------

    def export(self, form_id: str, fmt: str, out: Path) -> int:
        """Write one row per submission of a service, a column per question; returns the count."""
        return self.export_file(form_id, fmt, out).count

    def export_file(self, form_id: str, fmt: str, out: Path) -> ExportReport:
        """Like ``export``, naming the damaged submissions that were left out."""
        from sync.inbox.export import write_private_file

        data, keys, skipped = self._export(form_id, fmt)
        write_private_file(Path(out), data, self.lang)
        self.storage.mark_exported(keys, utc_timestamp())
        return ExportReport(len(keys), skipped, tuple(keys))

    def export_data(self, form_id: str, fmt: str) -> tuple[bytes, int]:
        """The same export as bytes (for ``--out -``), with the number of submissions in it."""
        data, report = self.export_bytes(form_id, fmt)
        return data, report.count

    def export_bytes(self, form_id: str, fmt: str) -> tuple[bytes, ExportReport]:
        """The export as bytes (a download, standard output), naming what was left out."""
        data, keys, skipped = self._export(form_id, fmt)
        self.storage.mark_exported(keys, utc_timestamp())
        return data, ExportReport(len(keys), skipped, tuple(keys))

    def _export(self, form_id: str, fmt: str) -> tuple[bytes, list[ItemKey], list[DamagedItem]]:
        from sync.inbox.export import build_export, check_format

        check_format(fmt, self.lang)
        self._check_service(form_id)
        submissions, skipped = self.checked_submissions(form_id)
        data = build_export(submissions, form_id, fmt, catalogue=self.catalogue, lang=self.lang)
        return data, [(s.meta.kiosk_id, s.meta.code) for s in submissions], skipped

    def pdf(self, reference: str, kiosk_id: str | None = None) -> bytes:
        """An A4 page (or more) for the paper file: every question with its answer."""
        from sync.inbox.paper import submission_pdf

        submission = self.open(reference, kiosk_id)
        return submission_pdf(submission, municipality=self.municipality, lang=self.lang)

    @property
    def municipality(self) -> str:
        return load_townhall_public(townhall_public_keys_path(self.townhall_dir)).name

    # -- inside ----------------------------------------------------------------------------------

    def _check_service(self, form_id: str) -> None:
        """A mistyped service id is named as such; "no applications" would hide the typo."""
        if self.catalogue.knows(form_id) or self.storage.items(form_id=form_id):
            return
        known = set(self.catalogue.ids()) | {item.form_id for item in self.storage.items()}
        raise RathausError(
            self._("Unknown service '{id}'. Possible: {ids}").format(id=form_id, ids=", ".join(sorted(known)))
        )

    def _item(self, typed: str, kiosk_id: str | None) -> ItemRecord:
        code = refcode.parse(typed, self.lang)
        found = self.storage.items_with_reference(code)
        if kiosk_id is not None:
            found = [item for item in found if item.kiosk_id == kiosk_id]
        if not found:
            raise RathausError(
                self._("No application with the code {code} has arrived.").format(code=refcode.display(code))
            )
        if len(found) > 1:
            raise RathausError(
                self._(
                    "Two kiosks gave the same code {code} ({kiosks}). Please name the kiosk as well (--kiosk)."
                ).format(code=refcode.display(code), kiosks=", ".join(item.kiosk_id for item in found))
            )
        return found[0]

    def _signature_damage(self, item: ItemRecord) -> str | None:
        """A flipped byte shows without the private key: the kiosk's signature no longer fits.
        Checked once per item and process (items never change once stored)."""
        if item.on_paper:
            return None
        if item.damaged:
            return item.damaged
        cached = self._signature_checks.get(item.digest, "")
        if cached != "":
            return cached
        try:
            check_origin(item.sealed, self.allowlist.list(), self.lang)
            found: str | None = None
        except EnvelopeError as exc:
            found = exc.code
        self._signature_checks[item.digest] = found
        return found

    def _note_damage(self, item: ItemRecord, exc: EnvelopeError) -> DamagedItem:
        damaged = DamagedItem(item.reference, item.kiosk_id, item.form_id, item.received_at, exc.code)
        if item.damaged != exc.code:
            self.storage.mark_damaged((item.kiosk_id, item.reference), exc.code, utc_timestamp())
        return damaged

    def _entry(self, item: ItemRecord, status: StatusRecord | None) -> InboxEntry:
        return InboxEntry(
            reference=refcode.display(item.reference),
            code=item.reference,
            form_id=item.form_id,
            form_version=str(item.form_version),
            service=self.catalogue.title(item.form_id, self.lang),
            kiosk_id=item.kiosk_id,
            captured_at=item.captured_at,
            received_at=item.received_at,
            status=status.status if status is not None else NO_STATUS,
            opened=item.opened_at is not None,
            damaged=self._signature_damage(item),
            on_paper=item.on_paper,
        )

    def _keyring(self) -> EncryptionKeyring:
        if self._keys is None:
            self._keys = load_encryption_keyring(self.townhall_dir)
        return self._keys

    def _decrypt(self, item: ItemRecord) -> OpenedSubmission:
        history = self.storage.status_history(item.reference, item.kiosk_id)
        current = history[-1] if history else None
        if item.on_paper:
            return OpenedSubmission(
                meta=self._entry(item, current),
                answers={},
                form=self.catalogue.exact(item.form_id, item.form_hash) or self.catalogue.current(item.form_id),
                history=history,
            )
        origin = check_origin(item.sealed, self.allowlist.list(), self.lang)
        keyring = self._keyring()
        recipient = item_recipient_key_id(item.sealed)
        key = keyring.key_for(recipient)
        if key is None:
            raise envelope_error(WRONG_RECIPIENT, KIND_ITEM, expected=recipient, found=", ".join(keyring.key_ids))
        meta, answers = open_item(item.sealed, key)
        unreadable = False
        try:
            answers, assistance = split_assistance(answers)
        except EnvelopeError:  # shown as a warning; the answers stay readable
            answers = {k: v for k, v in answers.items() if k != ASSISTANCE_KEY}
            assistance, unreadable = None, True
        if (meta.reference, meta.form_id, meta.kiosk_id) != (item.reference, item.form_id, item.kiosk_id):
            raise EnvelopeError(
                "tampered",
                self._("The stored application {code} does not match its sealed contents.").format(
                    code=refcode.display(item.reference)
                ),
            )
        if not holds_only_text(answers):
            raise EnvelopeError(NOT_TEXT, self._("An answer holds characters that are not text."))
        if item.damaged:  # it opens after all (an earlier key restored, a kiosk enrolled again)
            self.storage.mark_damaged((item.kiosk_id, item.reference), None, utc_timestamp())
            self._signature_checks.pop(item.digest, None)
            item = replace(item, damaged=None)
        return OpenedSubmission(
            meta=self._entry(item, current),
            answers=answers,
            form=self.catalogue.exact(meta.form_id, meta.form_hash),
            history=history,
            origin=origin,
            assistance=assistance,
            assistance_unreadable=unreadable,
        )

    # -- lifetime --------------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_storage:
            self.storage.close()

    def __enter__(self) -> "Inbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "AnswerRow",
    "ExportReport",
    "Inbox",
    "InboxEntry",
    "OpenedSubmission",
    "answer_rows",
    "local_time",
    "raw_answer",
    "status_label",
]
