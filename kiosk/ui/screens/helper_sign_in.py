"""A volunteer signs in, or a person acting under a power of attorney opens it.

The badge's QR code is read by a USB barcode scanner, which types the code and Enter into the
focused field like a keyboard; the code on the town hall's power-of-attorney letter can be scanned
or typed the same way. Volunteers without their badge type their volunteer number and PIN
instead (WCAG 2.2, 3.3.8: the badge is the alternative to remembering a PIN). Wrong tries count
towards the kiosk's lock-out (``kiosk.assistance``); the check runs in a thread, because an
Argon2id check takes a moment.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from kiosk.assistance import LOCKED, NOT_YET, SignIn, sign_in_with_code, sign_in_with_pin
from kiosk.i18n import ntranslator
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.widgets.key_hints import KeyHints


def sign_in_problem(result: SignIn, power: bool, lang: str, gettext) -> str:  # type: ignore[no-untyped-def]
    """The problem in plain words; a wait in whole minutes from a minute on."""
    _ = gettext
    if result.problem == "revoked":
        return _("This power of attorney has been withdrawn. Please ask the town hall.") if power else _(
            "This volunteer badge is no longer valid. Please ask the town hall."
        )
    if result.problem == "expired":
        return _("This power of attorney is no longer valid: its last day has passed.") if power else _(
            "This volunteer's enrolment has ended. Please ask the town hall."
        )
    if result.problem == NOT_YET:
        return _("This power of attorney is not valid yet.")
    text = _("This was not recognised. Please scan again, or check the number and PIN.") if not power else _(
        "This code was not recognised. Please scan it again or check what you typed."
    )
    if result.wait_seconds:
        ngettext = ntranslator(lang)
        minutes = max(1, -(-result.wait_seconds // 60))
        wait = ngettext(
            "Too many wrong tries. Please wait {count} minute.",
            "Too many wrong tries. Please wait {count} minutes.",
            minutes,
        ).format(count=minutes)
        return wait if result.problem == LOCKED else f"{text} {wait}"
    return text


class HelperSignInScreen(LanguageAware, Screen):
    CSS_PATH = "helper_sign_in.tcss"
    BINDINGS = [Binding("escape", "back", "Back", show=False)]

    def __init__(self, *, power: bool, outreach: bool = False) -> None:
        super().__init__()
        self.power = power
        self.outreach = outreach  # a volunteer opening an outreach day
        self._checking = False

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        with Vertical(id="sign-in-page"):
            if self.power:
                yield Static(_("Please scan the code on the town hall's letter about the power of attorney, or type it."), id="sign-in-title")
            else:
                yield Static(_("Volunteers: please scan your badge."), id="sign-in-title")
            yield Input(max_length=64, id="code", placeholder="RKB.V0000.…" if not self.power else "RKP.P0000.…")
            if not self.power:
                yield Static(_("No badge at hand? Your volunteer number and PIN:"), id="pin-title")
                with Horizontal(id="pin-row"):
                    yield Input(max_length=8, id="volunteer-id", placeholder="V0000")
                    yield Input(max_length=12, password=True, id="volunteer-pin", placeholder="PIN")
                    yield Button(_("Sign in"), id="sign-in", variant="primary")
            yield Static("", id="sign-in-problem", classes="-empty")
            yield Button(_("Back"), id="back", classes="-secondary")
            yield KeyHints([("Enter", _("confirm")), ("Tab", _("next field")), ("Esc", _("Back"))])

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    def _scanned(self) -> None:
        code_input = self.query_one("#code", Input)
        typed, code_input.value = code_input.value, ""
        if typed.strip():
            self._check(typed, None)

    @on(Input.Submitted, "#volunteer-id")
    def _to_pin(self) -> None:
        self.query_one("#volunteer-pin", Input).focus()

    @on(Input.Submitted, "#volunteer-pin")
    @on(Button.Pressed, "#sign-in")
    def _pin(self) -> None:
        pin_input = self.query_one("#volunteer-pin", Input)
        volunteer_id = self.query_one("#volunteer-id", Input).value
        pin, pin_input.value = pin_input.value, ""
        self._check(volunteer_id, pin)

    @work(thread=True, exclusive=True, group="sign-in", exit_on_error=False)
    def _check(self, typed: str, pin: str | None) -> None:
        runtime = self.app.runtime
        result = sign_in_with_code(runtime, typed) if pin is None else sign_in_with_pin(runtime, typed, pin)
        self.app.call_from_thread(self._answered, result)

    def _answered(self, result: SignIn) -> None:
        if result.visit is not None:
            if self.outreach:
                self.app.begin_outreach(result.visit)
            else:
                self.app.ask_consent(result.visit)
            return
        problem = self.query_one("#sign-in-problem", Static)
        problem.update(sign_in_problem(result, self.power, self.app.lang, self.app.gettext))
        problem.remove_class("-empty")
        self.query_one("#code", Input).focus()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.app.pop_screen()


__all__ = ["HelperSignInScreen", "sign_in_problem"]
