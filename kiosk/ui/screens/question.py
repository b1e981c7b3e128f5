"""One question per screen: the question in bold, the input, Back, Help and Next.

Nothing typed is ever lost here: an answer that does not fit stays in the input with a plain
message right below it, a switch of language keeps the input, and going Back keeps what was typed
on this question for when the person returns to it.

With plain language on (F3) the form's plain-language question stands below the official one (its
plain help is in the help window, F1), and a message below the answer comes in plain language. A question about the visitor that they
already answered in this visit (their name, address ...) starts with that answer, to confirm or
change.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, RadioSet, Static

from kiosk.errors import AnswerError
from kiosk.forms import AddressPartError, Field, FormSession, parse_answer
from kiosk.i18n import N_, translator
from kiosk.ui.answer_examples import example_for, type_example
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.help import HelpScreen
from kiosk.ui.widgets.address_answer import AddressAnswer
from kiosk.ui.widgets.answer_input import AnswerInput
from kiosk.ui.widgets.answer_radio_set import AnswerRadioSet
from kiosk.ui.widgets.choice_answer import ChoiceAnswer
from kiosk.ui.widgets.assistance_bar import AssistanceBar
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.widgets.multi_choice_answer import MultiChoiceAnswer
from kiosk.ui.widgets.multiline_answer import MultilineAnswer
from kiosk.ui.widgets.text_answer import TextAnswer
from kiosk.ui.widgets.yesno_answer import YesNoAnswer
from kiosk.ui.wording import word

# How to type an answer of each type. Examples are not part of these sentences: the form's own
# example (or the type's, below) follows on its own line, so an example is never shown twice.
_TYPE_HINTS = {
    "date": N_("Please type the date as day.month.year (DD.MM.YYYY)."),
    "money": N_("The amount in euros."),
    "number": N_("Please type digits."),
    "iban": N_("You find the IBAN on your bank card or a bank statement."),
    "phone": N_("With the area code."),
    "choice": N_("Choose with the arrow keys and Enter."),
    "yesno": N_("Choose with the arrow keys and Enter."),
    "multiline": N_("Enter starts a new line. Tab goes on to the buttons."),
}
_MULTIPLE_HINT = N_(
    "Tick every answer that fits. Space ticks or unticks, Tab goes on to “Next”."
)


def input_for(field: Field, initial: Any, lang: str) -> AnswerInput:
    """The input that fits the question's type."""
    if field.type == "multiline":
        return MultilineAnswer(field, initial, lang, id="answer")
    if field.type == "choice":
        cls = MultiChoiceAnswer if field.multiple else ChoiceAnswer
        return cls(field, initial, lang, id="answer")
    if field.type == "yesno":
        return YesNoAnswer(field, initial, lang, id="answer")
    if field.type == "address":
        return AddressAnswer(field, initial, lang, id="answer")
    return TextAnswer(field, initial, lang, id="answer")


def hint_for(field: Field, lang: str) -> str:
    """How to type the answer: the form's example, otherwise a hint for the type."""
    _ = translator(lang)
    lines = []
    if field.type == "choice" and field.multiple:
        lines.append(_(_MULTIPLE_HINT))
    elif field.type in _TYPE_HINTS:
        lines.append(_(_TYPE_HINTS[field.type]))
    example = example_for(field, lang) or type_example(field.type, lang)
    if example:
        lines.append(_("Example: {example}").format(example=example))
    if not field.required:
        lines.append(_("You may leave this empty and press Next."))
    return "\n".join(lines)


def key_hints_for(field: Field, lang: str) -> list[tuple[str, str]]:
    """The keys that matter for this kind of input, in the footer."""
    _ = translator(lang)
    if field.type == "multiline":
        first = [("Tab", _("to the buttons"))]
    elif field.type == "choice" and field.multiple:
        first = [("↑ ↓", _("move")), (_("Space"), _("tick")), ("Tab", _("to the buttons"))]
    elif field.type in ("choice", "yesno"):
        first = [("↑ ↓", _("move")), ("Enter", _("choose"))]
    else:
        first = [("Enter", _("Next")), ("Tab", _("next field"))]
    return first + [
        ("Esc", _("Back")),
        ("F1", _("Help")),
        ("F2", "English" if lang == "de" else "Deutsch"),
        ("F5", _("Read aloud")),
        ("F3", _("Plain language")),
        ("F4", _("Larger text")),
    ]


def plain_texts(field: Field, lang: str) -> str:
    """The question and its explanation in plain language, as the form file has them."""
    parts = [field.plain_text("label", lang), field.plain_text("help", lang)]
    return "\n".join(part for part in parts if part)


class QuestionScreen(LanguageAware, Screen):
    CSS_PATH = "question.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", show=False),
        Binding("f1", "help", "Help", show=False),
        Binding("question_mark", "help", "Help", show=False),  # where no text is being typed
    ]

    def __init__(self) -> None:
        super().__init__()
        self._drafts: dict[str, Any] = {}  # typed but not yet confirmed, per question
        self._problem = ""
        self._problem_plain = ""
        self._problem_part: str | None = None
        self._offered = False  # the input starts with an answer given earlier in this visit

    @property
    def session(self) -> FormSession:
        session = self.app.session
        assert session is not None, "a question screen is only shown while a form is filled in"
        return session

    def compose(self) -> ComposeResult:
        _ = self.app.gettext
        lang = self.app.lang
        session = self.session
        field = session.current
        assert field is not None
        number, total, certain = session.progress()
        if certain:
            progress = _("Question {number} of {total}").format(number=number, total=total)
        else:  # some questions depend on answers still to come: never promise fewer than may come
            progress = _("Question {number} of at most {total}").format(number=number, total=total)
        initial = self._drafts.get(field.id, session.raw(field.id))
        self._offered = False
        if initial is None:
            initial = self.app.visit.offer(field)
            self._offered = initial is not None
        label = field.text("label", lang)
        plain = field.plain_text("label", lang) if self.app.visit.plain_language else ""
        with Vertical(id="question-page"):
            if self.app.assisted is not None:
                yield AssistanceBar(self.app.assisted, lang)
            with Horizontal(id="question-top"):
                yield Static(session.form.text("title", lang), id="service-title")
                yield Static(progress, id="progress")
            yield Static(label, id="question-label", markup=False)  # never scrolled away
            if plain:  # beside the official question, never scrolled away either
                yield Static(
                    Content.assemble((_("In plain language:"), "bold"), " ", plain),
                    id="question-plain",
                )
            if not field.required:
                yield Static(_("(optional)"), id="optional")
            with VerticalScroll(id="question-body", can_focus=False):  # only the answer takes the focus
                if self._offered:
                    yield Static(
                        _("You gave this answer earlier in this visit. Check it, change it if "
                          "needed, and go on."),
                        id="question-known",
                    )
                hint = hint_for(field, lang)
                if hint:
                    yield Static(hint, id="question-hint", markup=False)
                yield input_for(field, initial, lang)
                yield Static(
                    self._problem_shown(),
                    id="problem",
                    markup=False,
                    classes="" if self._problem else "-empty",
                )
            with Horizontal(id="question-buttons"):  # Tab from the input reaches Next first
                yield Button(_("Next"), id="next", variant="primary")
                yield Button(_("Back"), id="back")
                yield Button(_("Help (F1)"), id="help")
                yield Static(classes="button-gap")
                yield Button(word(session.form.kind, "cancel", lang), id="cancel", classes="-quiet")
            yield KeyHints(  # F1 and Esc are buttons too; F1's help lists F3 to F7; pause goes first where space is short
                key_hints_for(field, lang) + [("F8", _("pause"))], spare=("F8", "F4", "F3", "F5", "F1", "Esc")
            )

    def on_mount(self) -> None:
        self.focus_default()

    def focus_default(self) -> None:
        self.query_one(AnswerInput).focus_answer(self._problem_part)

    async def apply_language(self) -> None:
        self._remember_draft()
        if self._problem:  # the message was in the old language: check again in the new one
            self._problem, self._problem_plain = self._problem_in_current_language()
        await super().apply_language()

    # --- moving ----------------------------------------------------------------------------

    def _remember_draft(self) -> None:
        field = self.session.current
        if field is not None and self.query(AnswerInput):
            self._drafts[field.id] = self.query_one(AnswerInput).read_raw()

    def _problem_in_current_language(self) -> tuple[str, str]:
        field = self.session.current
        if field is None:
            return "", ""
        try:
            parse_answer(field, self._drafts.get(field.id), self.app.lang)
        except AnswerError as exc:
            return exc.message, exc.plain
        return "", ""

    def _problem_shown(self) -> str:
        """The message below the answer: in plain language when the visitor chose that."""
        if self.app.visit.plain_language and self._problem_plain:
            return self._problem_plain
        return self._problem

    async def _show_current(self) -> None:
        """After a move: the next question here, or the review."""
        self._problem, self._problem_plain, self._problem_part = "", "", None
        self.app.speaker.stop()  # the question read aloud is no longer on the screen
        if self.session.at_review:
            self.app.show_review()
            return
        await self.recompose()
        self.query_one("#question-body", VerticalScroll).scroll_home(animate=False)
        self.focus_default()

    async def action_next(self) -> None:
        field = self.session.current
        if field is None:
            return
        raw = self.query_one(AnswerInput).read_raw()
        try:
            self.session.answer(raw)
        except AddressPartError as exc:
            self._show_problem(exc.message, exc.part, exc.plain)
            return
        except AnswerError as exc:
            self._show_problem(exc.message, None, exc.plain)
            return
        self.app.visit.remember(field, raw)  # offered again in this visit's next service
        self._drafts.pop(field.id, None)
        await self._show_current()

    async def action_back(self) -> None:
        self._remember_draft()
        if self.session.back():
            await self._show_current()
        elif self.session.answers():
            self.app.ask_to_cancel()
        else:
            self.app.return_to_start()

    def action_help(self) -> None:
        field = self.session.current
        if field is not None:
            self.app.push_screen(HelpScreen(field))

    def reading(self) -> str:
        """What F5 reads: the question (and in plain language, if chosen), how to answer, the
        message below the answer, and the choices."""
        field = self.session.current
        if field is None:
            return ""
        lang = self.app.lang
        pieces = [field.text("label", lang)]
        if self.app.visit.plain_language:
            pieces.append(plain_texts(field, lang))
        pieces.append(field.text("help", lang))
        if self._problem:
            pieces.append(self._problem_shown())
        if field.options:
            _ = self.app.gettext
            pieces.append(_("The answers are:"))
            pieces.extend(option.text(lang) for option in field.options)
        elif field.type == "yesno":
            _ = self.app.gettext
            pieces.append(_("The answers are:"))
            pieces.extend([_("Yes"), _("No")])
        return "\n".join(piece for piece in pieces if piece)

    def _show_problem(self, message: str, part: str | None, plain: str = "") -> None:
        """The message right below the input; the input keeps what was typed."""
        self._problem, self._problem_part = message, part
        self._problem_plain = plain or message
        problem = self.query_one("#problem", Static)
        problem.update(self._problem_shown())
        problem.set_class(not message, "-empty")
        self.query_one(AnswerInput).focus_answer(part)
        # The message is the last thing in the body: scroll to the end once it has its height (a
        # message that was empty has none yet, and scrolled to at once it stayed below the visible
        # part, with only a scrollbar to hint at it: an address on a small console).
        body = self.query_one("#question-body", VerticalScroll)
        self.call_after_refresh(body.scroll_end, animate=False)

    # --- events ----------------------------------------------------------------------------

    @on(Button.Pressed, "#next")
    async def _next_pressed(self) -> None:
        await self.action_next()

    @on(Button.Pressed, "#back")
    async def _back_pressed(self) -> None:
        await self.action_back()

    @on(Button.Pressed, "#help")
    def _help_pressed(self) -> None:
        self.action_help()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.app.ask_to_cancel()

    @on(Input.Submitted)
    async def _enter_in_input(self, event: Input.Submitted) -> None:
        event.stop()
        await self.action_next()

    @on(AnswerRadioSet.Confirmed)
    async def _confirmed(self) -> None:
        await self.action_next()

    @on(RadioSet.Changed)
    def _chosen(self) -> None:
        """A choice made with Enter: the next Enter goes on."""
        self.query_one("#next", Button).focus()
