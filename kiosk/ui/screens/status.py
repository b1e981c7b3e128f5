"""Type the code from the receipt, see where the application is, in plain words.

Only the service, the state and the town hall's message are shown: nothing of what was filled in
(the kiosk does not have it any more). With a link, the kiosk first asks the town hall for news
(for at most ``FETCH_WAIT_SECONDS``), so an answer given a moment ago shows at once; without one
it shows what it holds, and always how recent that is ("As of …").
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from assisted_mode.pause import looks_like_pause_code, read_pause_code
from kiosk.appointments.booking import read_calendar
from kiosk.appointments.wording import appointment_lines
from kiosk.errors import AnswerError, RathausError
from kiosk.forms.answers import parse_answer
from kiosk.forms.model import Field
from kiosk.i18n import N_, format_datetime, translator
from kiosk.receipt import parse_moment
from kiosk.store import OutboxState
from kiosk.pause import resume_application
from kiosk.ui.assisted_wording import resume_problem
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.birth_date import BirthDateScreen
from kiosk.ui.screens.confirm import ConfirmScreen
from kiosk.ui.screens.notice import NoticeScreen
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.wording import status_sentence

BOOKING_ARRIVED = N_("Your booking has arrived at the town hall.")

FETCH_WAIT_SECONDS = 3.0
BIRTH_DATE_QUESTION = Field(
    id="birth_date", type="date", required=True, label={}, help={}, example={}, earliest="-120y", latest="today"
)


class StatusScreen(LanguageAware, Screen):
    CSS_PATH = "status.tcss"
    BINDINGS = [Binding("escape", "close", "Back", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._typed = ""
        self._problem = ""
        self._view: Any = None

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        lang = self.app.lang
        with Vertical(id="status-page"):
            yield Static(_("Check the status of an application"), id="status-title")
            yield Static(
                _("Please type the code from your receipt, for example 7KQ-M2X-9TJ."), id="status-intro"
            )
            if getattr(self.app, "demo_codes", ()):  # the demo's full screen hides what it printed
                yield Static(
                    _("Demo: sample receipt codes to try: {codes}").format(codes=", ".join(self.app.demo_codes)),
                    id="status-demo",
                    markup=False,
                )
            yield Static(_("Or the code from your pause slip, to carry on with a paused application."), id="status-pause")
            with Horizontal(id="status-entry"):
                yield Input(value=self._typed, max_length=24, id="code")
                yield Button(_("Check"), id="check", variant="primary")
            yield Static(_("One moment, asking the town hall for news …"), id="status-wait", classes="-empty")
            yield Static(self._problem, id="status-problem", classes="" if self._problem else "-empty")
            with Vertical(id="status-result", classes="" if self._view else "-empty"):
                if self._view is not None:
                    yield from self._result(self._view, lang)
            with Horizontal(id="status-buttons"):
                yield Button(_("Back to the start"), id="close")
            yield KeyHints([("Enter", _("Check")), ("Esc", _("Back to the start"))])

    def _result(self, view: Any, lang: str) -> ComposeResult:
        _ = translator(lang)
        kind = None
        try:
            form = self.app.runtime.form(view.form_id)
            service, kind = form.text("title", lang), form.kind
        except (KeyError, RathausError):
            service = view.form_id
        by_stick = not self.app.runtime.config.server_url
        yield Static(f"{_('Service')}: {service}", id="status-service", markup=False)
        found = self.app.runtime.appointments.find(view.reference)
        words = status_sentence(view, kind, lang, by_stick=by_stick)
        if found is not None and found.info.state != "pending" and not view.status and view.state == OutboxState.ACKNOWLEDGED:
            # "no answer yet" beside "your appointment is confirmed" would contradict it
            words = _(BOOKING_ARRIVED)
        yield Static(words, id="status-words")
        if found is not None:
            yield from self._appointment(found, lang)
        if view.message:
            yield Static(_("Message from the town hall:"), classes="status-heading")
            yield Static(view.message, id="status-message", markup=False)
        if view.updated_at:
            yield Static(
                _("Last update: {when}").format(when=format_datetime(parse_moment(view.updated_at), lang)),
                id="status-updated",
            )
        as_of = self.app.runtime.answers_as_of()
        if as_of:
            yield Static(
                _("As of: {when}").format(when=format_datetime(parse_moment(as_of), lang)),
                id="status-as-of",
            )

    def _appointment(self, found: Any, lang: str) -> ComposeResult:
        """The appointment behind the code: its state, time and place, and what one can do."""
        _ = translator(lang)
        runtime = self.app.runtime
        calendar = read_calendar(runtime.store)
        yield Static(_("Your appointment"), classes="status-heading")
        yield Static("\n".join(appointment_lines(found.info, calendar, lang)), id="appointment", markup=False)
        as_of = runtime.appointments.as_of()
        if as_of:  # how fresh the town hall's answer is that the kiosk holds
            yield Static(
                _("As of: {when}").format(when=format_datetime(parse_moment(as_of), lang)), id="appointment-as-of"
            )
        with Horizontal(id="appointment-buttons"):
            if found.info.state in ("confirmed", "pending", "proposed", "moved"):
                yield Button(_("Cancel this appointment"), id="cancel-appointment", variant="warning")
            if found.info.vaccination and found.info.has_record:
                yield Button(_("Print my vaccination record"), id="print-record", variant="primary")

    def on_mount(self) -> None:
        self.focus_default()

    def focus_default(self) -> None:
        self.query_one("#code", Input).focus()

    async def apply_language(self) -> None:
        self._typed = self.query_one("#code", Input).value
        if self._problem:
            self._lookup_quietly(count_unknown=False)  # the same try in the other language
        await super().apply_language()

    def _lookup_quietly(self, *, count_unknown: bool = True) -> None:
        """Look the typed code up again (after a language switch the message must change too)."""
        try:
            self._view = self.app.runtime.lookup(self._typed, self.app.lang, count_unknown=count_unknown)
            self._problem = ""
        except RathausError as exc:
            self._view, self._problem = None, exc.message

    @on(Input.Submitted, "#code")
    @on(Button.Pressed, "#check")
    async def _check(self) -> None:
        self._typed = self.query_one("#code", Input).value
        if looks_like_pause_code(self._typed):  # a pause slip's code: carry on with it
            if read_pause_code(self._typed) is None:
                _ = self.app.gettext
                self._view = None
                self._problem = _("This pause code cannot be right: one character is probably mistyped. Please compare it with your pause slip.")
                await self.recompose()
                self.focus_default()
                return
            self._resume(self._typed)
            return
        await self._fetch_news()
        self._lookup_quietly()
        await self.recompose()
        # Also after an answer: someone with several receipts types the next code at once
        # (the code in the box is selected, so typing replaces it).
        self.focus_default()

    async def _fetch_news(self) -> None:
        """Ask the town hall for new answers first, but never keep the person waiting long: after
        ``FETCH_WAIT_SECONDS`` the kiosk shows what it holds (a late answer is applied anyway)."""
        runtime = self.app.runtime
        if not runtime.config.server_url:
            return
        note = self.query_one("#status-wait", Static)
        note.remove_class("-empty")
        try:
            await asyncio.wait_for(
                asyncio.shield(asyncio.to_thread(runtime.fetch_answers, lang=self.app.lang)),
                FETCH_WAIT_SECONDS,
            )
        except asyncio.TimeoutError:
            pass
        finally:
            note.add_class("-empty")

    @work(thread=True, exclusive=True, group="resume", exit_on_error=False)
    def _resume(self, typed: str) -> None:
        """Opening a draft takes an Argon2id moment: in a thread."""
        resumed = resume_application(self.app.runtime, typed, self.app.lang)
        self.app.call_from_thread(self._resumed, resumed)

    async def _resumed(self, resumed) -> None:  # type: ignore[no-untyped-def]
        if resumed.session is not None:
            self.app.resume_paused(resumed)
            return
        self._view, self._problem = None, resume_problem(resumed, self.app.lang)
        await self.recompose()
        self.focus_default()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.app.return_to_start()

    # --- appointments ---------------------------------------------------------------------------

    def _reference(self) -> str | None:
        return getattr(self._view, "reference", None)

    async def _ask_birth_date(self, purpose: str) -> dt.date | None:
        """The date of birth, typed and read like a date question; ``None`` when the person went
        back. A date that is no date at all is said at once and not counted as a wrong try."""
        typed = await self.app.push_screen_wait(BirthDateScreen(purpose))
        if typed is None:
            return None
        try:
            return dt.date.fromisoformat(parse_answer(BIRTH_DATE_QUESTION, typed, self.app.lang))
        except AnswerError as exc:
            await self._show_problem(exc.message)
            return None

    async def _show_problem(self, text: str) -> None:
        self._problem = text
        problem = self.query_one("#status-problem", Static)
        problem.update(text)
        problem.set_class(not text, "-empty")

    @on(Button.Pressed, "#cancel-appointment")
    @work(exclusive=True, group="appointment")
    async def _cancel_appointment(self) -> None:
        _ = self.app.gettext
        reference = self._reference()
        runtime = self.app.runtime
        found = runtime.appointments.find(reference) if reference else None
        if found is None:
            return
        birth = None
        if found.needs_birth_date:
            birth = await self._ask_birth_date(_("For a vaccination appointment, the code and your date of birth belong together."))
            if birth is None:
                return
            try:
                await asyncio.to_thread(runtime.appointments.check_birth_date, reference, birth, self.app.lang)
            except RathausError as exc:
                await self._show_problem(exc.message)
                return
        sure = await self.app.push_screen_wait(
            ConfirmScreen(
                _("Cancel this appointment?"),
                _("The time is given to someone else. You can choose a new time afterwards."),
                yes=_("Yes, cancel it"),
                no=_("No, keep it"),
            )
        )
        if not sure:
            return
        try:
            await asyncio.to_thread(runtime.appointments.cancel, reference, self.app.lang, birth=birth)
        except RathausError as exc:
            await self._show_problem(exc.message)
            return
        self.app.send_soon()
        self._problem = ""
        self._lookup_quietly()
        await self.recompose()
        form = self._booking_form()
        if form is not None:
            again = await self.app.push_screen_wait(
                ConfirmScreen(
                    _("Your appointment is cancelled."),
                    _("Would you like to choose a new time now?"),
                    yes=_("Yes, choose a new time"),
                    no=_("No, thank you"),
                )
            )
            if again:
                self.app.return_to_start()
                self.app.start_service(form)

    def _booking_form(self):  # type: ignore[no-untyped-def]
        try:
            return self.app.runtime.form(self._view.form_id)
        except (RathausError, AttributeError):
            return None

    @on(Button.Pressed, "#print-record")
    @work(exclusive=True, group="appointment")
    async def _print_record(self) -> None:
        from kiosk.appointments.record_print import print_record, record_lines  # fpdf: only when printing

        _ = self.app.gettext
        reference = self._reference()
        if reference is None:
            return
        birth = await self._ask_birth_date(_("Your vaccination record opens only with the code and your date of birth."))
        if birth is None:
            return
        runtime = self.app.runtime
        lang = self.app.lang
        try:
            record = await asyncio.to_thread(runtime.appointments.vaccination_record, reference, birth, lang)
            printed = await asyncio.to_thread(
                print_record, record, reference=reference, municipality=runtime.config.municipality,
                printer=runtime.config.printer, lang=lang,
            )
        except RathausError as exc:
            await self._show_problem(exc.message)
            return
        await self._show_problem("")
        lines = "\n".join(f"{label}: {value}" for label, value in record_lines(record, lang))
        note = _("It is being printed. Please take it from the printer.") if printed else _(
            "There is no printer at this kiosk. Please copy it, or ask at the town hall."
        )
        await self.app.push_screen_wait(NoticeScreen(_("Vaccination record"), f"{lines}\n\n{note}"))
