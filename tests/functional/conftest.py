"""A real kiosk for the screen tests, and a driver that uses it the way a person does: by keys.

The ``runtime`` fixture sets up keys, settings and an empty queue in a temporary folder. The
``KeyboardVisitor`` types and presses keys on a running ``KioskApp`` (through Textual's Pilot)
and reads back what the screen shows; it never calls the session or the store behind the screen.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, SelectionList, Static, TextArea

from kiosk.config import KioskConfig, save_config
from kiosk.forms.model import ADDRESS_PARTS
from kiosk.runtime import open_runtime
from sync.keys import init_kiosk, init_townhall, townhall_public_keys_path

STAFF_PIN = "246813"
SCREEN_SIZE = (100, 40)


@pytest.fixture(scope="session")
def _townhall_keys(tmp_path_factory):
    """One town hall for all screen tests (making keys is the slow part)."""
    townhall_dir = tmp_path_factory.mktemp("townhall")
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    return townhall_dir


@pytest.fixture(scope="session")
def _staff_pin_hash():
    return KioskConfig().with_staff_pin(STAFF_PIN).staff_pin_hash


@pytest.fixture
def open_kiosk(tmp_path, _townhall_keys, _staff_pin_hash):
    """``open_kiosk(**settings)``: a set-up kiosk in a temporary folder, opened as the app opens it."""
    opened = []

    def open_with(**settings: Any):
        kiosk_dir = tmp_path / f"kiosk-under-test-{len(opened)}"
        init_kiosk(
            kiosk_dir, kiosk_id="kiosk-test", townhall_public=townhall_public_keys_path(_townhall_keys)
        )
        config = {
            "municipality": "Einheitsgemeinde Tangerhütte",
            "location": "Bibliothek Lüderitz",
            "staff_pin_hash": _staff_pin_hash,
            **settings,
        }
        save_config(kiosk_dir, KioskConfig(**config))
        opened.append(open_runtime(kiosk_dir))
        return opened[-1]

    yield open_with
    for runtime in opened:
        runtime.close()


@pytest.fixture
def runtime(open_kiosk):
    """An opened kiosk with the shipped services and no network link (USB stick only)."""
    return open_kiosk()


@pytest.fixture
def submitted(runtime, monkeypatch):
    """Every (form id, answers) the screens hand to ``runtime.submit``, in order."""
    calls: list[tuple[str, dict[str, Any]]] = []
    real_submit = runtime.submit

    def recording_submit(form, answers, **options):
        calls.append((form.id, dict(answers)))
        return real_submit(form, answers, **options)

    monkeypatch.setattr(runtime, "submit", recording_submit)
    return calls


def screen_text(app) -> str:
    """Everything a person can read on the current screen, one piece per line."""
    pieces = []
    for widget in app.screen.query("*"):
        if not widget.display or not widget.visible:
            continue
        if isinstance(widget, Button):
            pieces.append(str(widget.label))
        elif isinstance(widget, (Static, Label)) and not isinstance(widget, (Button, RadioButton)):
            pieces.append(str(widget.content))
        elif isinstance(widget, RadioButton):
            pieces.append(str(widget.label))
        elif isinstance(widget, Input):
            pieces.append(widget.value)
        elif isinstance(widget, TextArea):
            pieces.append(widget.text)
    return "\n".join(pieces)


class KeyboardVisitor:
    """Presses keys on a running kiosk as a person would, and reads the screen."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.app = pilot.app

    @property
    def text(self) -> str:
        return screen_text(self.app)

    @property
    def focused(self):
        return self.app.focused

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        """Type characters as a quick typist does (no pause between keys); a line break is the
        Enter key."""
        for number, line in enumerate(text.split("\n")):
            if number:
                await self.pilot.press("enter")
            for character in line:
                key = character if character.isalnum() else _character_to_key(character)
                self.app.post_message(events.Key(key, character))
            await self.pilot.pause()

    async def settle(self) -> None:
        """Let background work (sealing, printing) finish and the screen follow."""
        await self.pilot.pause()
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()
        await self.pilot.pause()

    async def tab_to(self, predicate, limit: int = 60) -> None:
        """Tab until the focused widget satisfies ``predicate``."""
        for _ in range(limit):
            if self.focused is not None and predicate(self.focused):
                return
            await self.press("tab")
        raise AssertionError(f"never reached the wanted widget; focus is on {self.focused!r}")

    async def tab_to_button(self, label: str) -> None:
        await self.tab_to(lambda w: isinstance(w, Button) and str(w.label) == label)

    async def press_button(self, label: str) -> None:
        await self.tab_to_button(label)
        await self.press("enter")

    # --- answering the question on screen ----------------------------------------------------

    def question_label(self) -> str:
        return str(self.app.screen.query_one("#question-label", Static).content)

    def problem(self) -> str:
        problem = self.app.screen.query_one("#problem", Static)
        return str(problem.content) if problem.display else ""

    async def clear_text(self) -> None:
        """Empty the focused one-line input as a person would: to the start, delete the rest."""
        if isinstance(self.focused, Input) and self.focused.value:
            await self.press("home", "ctrl+k")

    async def answer(self, field, typed: Any, *, confirm: bool = True) -> None:
        """Enter ``typed`` for the question on screen with keys; ``confirm`` presses Next.

        ``typed`` is the text a person types (``None`` leaves an optional question empty), an
        option value (list of values for several), ``True``/``False`` for yes/no, or a dict of
        address parts.
        """
        kind = field.type
        if kind in ("choice", "yesno") and not (kind == "choice" and field.multiple):
            await self._choose(field, typed)  # Enter on the answer chooses it and goes on
        elif kind == "choice":
            await self._tick(field, set(typed or ()))
            if confirm:
                await self.press("tab")  # from the list to Next
                assert self.focused.id == "next"
                await self.press("enter")
        elif kind == "multiline":
            area = self.app.screen.query_one(TextArea)
            assert self.focused is area
            area.select_all()  # TextArea's own F7 is the kiosk's "more time" key here
            await self.press("backspace")
            await self.type(typed or "")
            if confirm:
                await self.press("tab")
                assert self.focused.id == "next"
                await self.press("enter")
        elif kind == "address":
            parts = typed or {}
            for part in ADDRESS_PARTS:
                box = self.app.screen.query_one(f"#answer-{part}", Input)
                if self.focused is not box:
                    box.focus()
                    await self.pilot.pause()
                await self.clear_text()
                await self.type(parts.get(part, ""))
                if part != ADDRESS_PARTS[-1] or confirm:
                    await self.press("enter")
        else:
            assert isinstance(self.focused, Input), f"focus is on {self.focused!r}"
            await self.clear_text()
            await self.type("" if typed is None else str(typed))
            if confirm:
                await self.press("enter")
        await self.pilot.pause()

    async def _choose(self, field, value: Any) -> None:
        """Move to the answer and press Enter (it chooses and goes on); ``None`` chooses nothing
        and presses Next."""
        radio_set = self.app.screen.query_one(RadioSet)
        assert self.focused is radio_set
        if value is None:
            await self.press("tab")
            assert self.focused.id == "next"
            await self.press("enter")
            return
        values = [True, False] if field.type == "yesno" else [o.value for o in field.options]
        buttons = list(radio_set.query(RadioButton))
        highlighted = next((i for i, b in enumerate(buttons) if b.has_class("-selected")), 0)
        wanted = values.index(value)
        step = "down" if wanted > highlighted else "up"
        for _ in range(abs(wanted - highlighted)):
            await self.press(step)
        await self.press("enter")

    async def _tick(self, field, wanted: set[str]) -> None:
        selection_list = self.app.screen.query_one(SelectionList)
        assert self.focused is selection_list
        position = selection_list.highlighted or 0
        for index, option in enumerate(field.options):
            ticked = option.value in selection_list.selected
            if ticked == (option.value in wanted):
                continue
            step = "down" if index > position else "up"
            for _ in range(abs(index - position)):
                await self.press(step)
            position = index
            await self.press("space")


@pytest.fixture
def visitor_for():
    """``visitor_for(pilot)``: a keyboard visitor on a running app."""
    return KeyboardVisitor
