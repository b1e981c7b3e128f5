"""Type the code from the receipt, see where the application is, in plain words.

Only the service, the state and the town hall's message are shown: nothing of what was filled in
(the kiosk does not have it any more). With a link, the kiosk first asks the town hall for news
(for at most ``FETCH_WAIT_SECONDS``), so an answer given a moment ago shows at once; without one
it shows what it holds, and always how recent that is ("As of …").
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from assisted_mode.pause import looks_like_pause_code, read_pause_code
from kiosk.errors import RathausError
from kiosk.i18n import format_datetime, translator
from kiosk.receipt import parse_moment
from kiosk.pause import resume_application
from kiosk.ui.assisted_wording import resume_problem
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.wording import status_sentence

FETCH_WAIT_SECONDS = 3.0


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
        yield Static(status_sentence(view, kind, lang, by_stick=by_stick), id="status-words")
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

    def on_mount(self) -> None:
        self.focus_default()

    def focus_default(self) -> None:
        self.query_one("#code", Input).focus()

    async def apply_language(self) -> None:
        self._typed = self.query_one("#code", Input).value
        if self._problem:
            self._lookup_quietly()
        await super().apply_language()

    def _lookup_quietly(self) -> None:
        """Look the typed code up again (after a language switch the message must change too)."""
        try:
            self._view = self.app.runtime.lookup(self._typed, self.app.lang)
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
