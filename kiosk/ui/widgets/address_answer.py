"""An address in four labelled boxes; Enter moves from one box to the next."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from kiosk.forms.model import ADDRESS_PARTS
from kiosk.i18n import N_, translator
from kiosk.ui.widgets.answer_input import AnswerInput
from kiosk.ui.widgets.styles import stylesheet_next_to

PART_LABELS = {
    "street": N_("Street"),
    "number": N_("House number"),
    "postcode": N_("Postcode"),
    "town": N_("Town"),
}
_PART_LIMITS = {"street": 100, "number": 12, "postcode": 10, "town": 100}


class AddressAnswer(AnswerInput):
    DEFAULT_CSS = stylesheet_next_to(__file__)

    def compose(self) -> ComposeResult:
        _ = translator(self.lang)
        initial = self.initial if isinstance(self.initial, dict) else {}
        rows = (("street", "number"), ("postcode", "town"))
        for row in rows:
            with Horizontal(classes="address-row"):
                for part in row:
                    with Vertical(classes=f"address-part -{part}"):
                        yield Label(_(PART_LABELS[part]), classes="address-label")
                        yield Input(
                            value=str(initial.get(part) or ""),
                            max_length=_PART_LIMITS[part],
                            id=f"answer-{part}",
                        )

    def read_raw(self) -> dict[str, str]:
        return {part: self.query_one(f"#answer-{part}", Input).value for part in ADDRESS_PARTS}

    def focus_answer(self, part: str | None = None) -> None:
        if part not in ADDRESS_PARTS:
            values = self.read_raw()
            part = next((p for p in ADDRESS_PARTS if not values[p].strip()), ADDRESS_PARTS[0])
        self.query_one(f"#answer-{part}", Input).focus()

    @on(Input.Submitted)
    def _next_box(self, event: Input.Submitted) -> None:
        """Enter in street, number or postcode goes to the next box; in the town it goes on."""
        part = (event.input.id or "").removeprefix("answer-")
        if part in ADDRESS_PARTS and part != ADDRESS_PARTS[-1]:
            event.stop()
            self.query_one(f"#answer-{ADDRESS_PARTS[ADDRESS_PARTS.index(part) + 1]}", Input).focus()
