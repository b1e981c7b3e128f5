"""Before sending: every answer in words, each with its own Change button, then Send."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.forms import FormSession
from kiosk.ui.assisted_wording import service_refusal
from kiosk.ui.messages import ProblemOccurred, SubmissionQueued
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.notice import NoticeScreen
from kiosk.ui.widgets.assistance_bar import AssistanceBar
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.wording import word
from kiosk.ui.workers import reporting_problems


class ReviewScreen(LanguageAware, Screen):
    CSS_PATH = "review.tcss"
    BINDINGS = [Binding("escape", "back", "Back", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self._sending = False

    @property
    def session(self) -> FormSession:
        session = self.app.session
        assert session is not None, "the review is only shown while a form is filled in"
        return session

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        lang = self.app.lang
        session = self.session
        with Vertical(id="review-page"):
            if self.app.assisted is not None:
                yield AssistanceBar(self.app.assisted, lang)
            yield Static(session.form.text("title", lang), id="service-title")
            yield Static(
                _("Please check your answers. Change anything that is not right, then press Send."),
                id="review-intro",
            )
            with VerticalScroll(id="review-list", can_focus=False):  # the Change buttons take it
                for field, shown in session.review():
                    with Horizontal(classes="review-row"):
                        with Vertical(classes="review-text"):
                            yield Static(field.text("label", lang), classes="review-question", markup=False)
                            yield Static(shown, classes="review-answer", markup=False)
                        yield Button(_("Change"), name=field.id, classes="change")
            yield Static(
                word(session.form.kind, "sealing", lang) if self._sending else "",
                id="sending",
                classes="" if self._sending else "-empty",
            )
            with Horizontal(id="review-buttons"):
                yield Button(_("Send"), id="send", variant="success", disabled=self._sending)
                yield Button(_("Back"), id="back")
                yield Button(word(session.form.kind, "cancel", lang), id="cancel", classes="-quiet")
            yield KeyHints(
                [
                    ("Tab", _("next button")),
                    ("Enter", _("press the button")),
                    ("Esc", _("Back")),
                    ("F8", _("pause")),
                ],
                spare=("F8",),
            )

    def on_mount(self) -> None:
        self.focus_default()

    def focus_default(self) -> None:
        self.query_one("#send", Button).focus()

    def action_back(self) -> None:
        if self._sending:
            return
        self.session.back()
        self.app.show_question()

    @on(Button.Pressed, ".change")
    def _change(self, event: Button.Pressed) -> None:
        if self._sending or not event.button.name:
            return
        self.session.edit(event.button.name)
        self.app.show_question()

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        if not self._sending:
            self.app.ask_to_cancel()

    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        if self._sending:
            return
        if not self.session.is_complete():
            first_open = next(
                field for field, _ in self.session.review()
                if field.required and field.id not in self.session.answers()
            )
            self.session.edit(first_open.id)
            self.app.show_question()
            return
        if self.app.assisted is not None:
            # The help still holds (a download may have brought a revocation, a power may have
            # ended at midnight): otherwise the town hall would refuse what the receipt promises.
            refusal = service_refusal(self.app.assisted, self.session.form, self.app.lang, self.app.runtime.store)
            if refusal:
                _ = self.app.gettext
                self.app.push_screen(NoticeScreen(_("Not possible with this help"), refusal))
                return
        self._set_sending(True)
        self._seal_and_queue(self.session.form, self.session.answers())

    def _set_sending(self, sending: bool) -> None:
        _ = self.app.gettext
        self._sending = sending
        self.query_one("#send", Button).disabled = sending
        note = self.query_one("#sending", Static)
        note.update(word(self.session.form.kind, "sealing", self.app.lang) if sending else "")
        note.set_class(not sending, "-empty")

    @work(thread=True, exclusive=True, group="submit", exit_on_error=False)
    def _seal_and_queue(self, form, answers: dict) -> None:
        """Sealing takes a moment; the screen stays responsive meanwhile."""
        with reporting_problems(self, "sealing an application"):
            runtime = self.app.runtime
            options: dict = {}
            helper = self.app.assisted  # sealed with the answers; without help the call is as ever
            if helper is not None:
                options["assistance"] = helper
            if runtime.appointments.is_booking(form):  # its message (a time just taken) in the screen's language
                options["lang"] = self.app.lang
            queued = runtime.submit(form, answers, **options)
            self.post_message(SubmissionQueued(queued))

    def on_problem_occurred(self, message: ProblemOccurred) -> None:
        """Sending failed: the answers are still here, the person may try again."""
        self._set_sending(False)
