"""Colour pairs that meet WCAG 2.2 AA, measured on the running kiosk.

The colours are the ones Textual resolves for each widget from the theme and the stylesheets (not a
list of colours written down here): every text on the screens a visitor meets, in every state a
widget can be in (normal, focused, under the mouse, disabled) and every button variant (primary,
success, error, secondary, quiet), on a modern terminal and on the Linux console. Text needs 4.5:1
(1.4.3); a focus mark (the frame or fill that shows where the focus is) needs 3:1 against what
surrounds it (1.4.11, 2.4.7).
"""

from __future__ import annotations

import pytest
from rich.color import Color as RichColor
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Input, Label, RadioButton, SelectionList, Static, TextArea
from textual.widgets._toast import Toast

from kiosk.ui.app import KioskApp
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.screens.still_there import StillThereScreen
from kiosk.ui.theme import CONSOLE_BACKGROUNDS, HIGH_CONTRAST, LINUX_CONSOLE
from kiosk.ui.widgets.key_hints import KeyHints
from kiosk.ui.widgets.qr_code import QrCode
from kiosk.ui.widgets.service_button import ServiceButton

TEXT = 4.5
MARK = 3.0
TEXT_WIDGETS = (Static, Label, Button, Input, TextArea, KeyHints, RadioButton)
VARIANTS = [("default", ""), ("primary", ""), ("success", ""), ("error", ""), ("default", "-secondary"), ("default", "-quiet")]


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.2 relative luminance."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(colour: RichColor | None, app) -> tuple[int, int, int]:
    assert colour is not None
    triplet = colour.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


def text_pair(widget: Widget, component: str | None = None):
    """Foreground and background of the widget's text (of one of its parts)."""
    style = widget.rich_style
    if component is not None:
        style = style + widget.get_component_rich_style(component, partial=True)
    return rgb(style.color, widget.app), rgb(style.bgcolor, widget.app)


def background_of(widget: Widget) -> tuple[int, int, int]:
    return rgb(widget.rich_style.bgcolor, widget.app)


class Findings:
    """Every pair below its minimum, with where and in which state it was seen."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.checked = 0

    def text(self, widget: Widget, where: str, component: str | None = None) -> None:
        fg, bg = text_pair(widget, component)
        self.checked += 1
        if ratio(fg, bg) < TEXT:
            self.failures.append(f"{where}: {widget!r} {component or ''} text {fg} on {bg}: {ratio(fg, bg):.2f}")

    def mark(self, widget: Widget, where: str) -> None:
        """The focus mark: the frame of the focused widget, or its fill, against the colour around
        it; and a frame of another shape than without the focus, so colour is not all that shows it."""
        assert widget.has_focus, where
        self.checked += 1
        edge = widget.styles.border_top
        if edge[0] in ("", "none", "hidden", "blank"):  # a bar without frame above: its sides
            edge = widget.styles.border_left
        if edge[0] != "thick":
            self.failures.append(f"{where}: {widget!r} focus frame is {edge[0]!r}, not thick")
        around = background_of(widget.parent)
        border = edge[1]
        fill = background_of(widget)
        frame = (border.r, border.g, border.b) if edge[0] not in ("", "none", "hidden", "blank") else fill
        best = max(ratio(frame, around), ratio(fill, around))
        self.checked += 1
        if best < MARK:
            self.failures.append(f"{where}: {widget!r} focus mark {frame}/{fill} on {around}: {best:.2f}")

    def row_mark(self, widget: Widget, where: str) -> None:
        """The bar on the highlighted answer of a focused list, against the list around it."""
        _fg, bar = text_pair(widget, "toggle--label")
        around = background_of(widget.parent)
        self.checked += 1
        if ratio(bar, around) < MARK:
            self.failures.append(f"{where}: {widget!r} bar {bar} on {around}: {ratio(bar, around):.2f}")

    def screen_texts(self, app, where: str, only: type = Widget, component: str | None = None) -> None:
        for widget in app.screen.query("*"):
            if not isinstance(widget, only):
                continue
            if component is not None:
                if widget.display and widget.region.area:
                    self.text(widget, where, component)
                continue
            if not isinstance(widget, TEXT_WIDGETS) or isinstance(widget, QrCode):
                continue
            if not widget.display or not widget.visible or not widget.region.area:
                continue
            if isinstance(widget, Static) and not isinstance(widget, Button) and not str(widget.content).strip():
                continue
            if isinstance(widget, RadioButton):
                self.text(widget, where, "toggle--label")
                self.text(widget, where, "toggle--button")
            else:
                self.text(widget, where)
            if isinstance(widget, Input) and not widget.value:
                self.text(widget, f"{where} (placeholder)", "input--placeholder")


TERMINALS = {"truecolor": HIGH_CONTRAST, "linux": LINUX_CONSOLE}


def use_terminal(monkeypatch, terminal: str) -> None:
    for name in ("COLORTERM", "TEXTUAL_COLOR_SYSTEM", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    if terminal == "linux":
        monkeypatch.setenv("TERM", "linux")
    else:
        monkeypatch.setenv("TERM", "xterm-256color")
        monkeypatch.setenv("COLORTERM", "truecolor")


@pytest.mark.parametrize("terminal", sorted(TERMINALS))
async def test_every_colour_pair_meets_wcag_aa(open_kiosk, visitor_for, monkeypatch, terminal):
    use_terminal(monkeypatch, terminal)
    runtime = open_kiosk(warning_area="15090535")  # the warnings banner on the start screen too
    found = Findings()
    app = KioskApp(runtime, kiosk_mode=True, lang="de")
    # With the short messages F3, F4, F5 and F7 give (Textual's notifications), measured like any text.
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        visitor = visitor_for(pilot)
        assert app.theme == TERMINALS[terminal].name

        # The start screen: every text, then every button focused and under the mouse.
        assert app.screen.query_one("#warning-banner").display
        found.screen_texts(app, "start")
        for button in [b for b in app.screen.query(Button) if b.display]:
            button.focus()
            await pilot.pause()
            found.text(button, "start, focused")
            found.mark(button, "start, focused")
        app.screen.query_one(ServiceButton).focus()
        for button in list(app.screen.query(Button)):
            await pilot.hover(button)
            found.text(button, "start, hover" + (" and focused" if button.has_focus else ""))

        # Every button variant in every state, with the kiosk's stylesheet.
        row = Horizontal(id="variants")
        await app.screen.query_one("#services").mount(row)
        buttons = [Button(f"{variant}{classes}", variant=variant, classes=classes) for variant, classes in VARIANTS]
        await row.mount_all(buttons)
        row.styles.height = 3
        await pilot.pause()
        for button in buttons:
            name = str(button.label)
            button.scroll_visible(animate=False)
            await pilot.pause()
            found.text(button, f"{name}, normal")
            assert button.styles.border_top[0] == "tall", name  # thin until it has the focus
            button.focus()
            await pilot.pause()
            found.text(button, f"{name}, focused")
            found.mark(button, f"{name}, focused")
            await pilot.hover(button)
            found.text(button, f"{name}, focused and hover")
            app.screen.query_one(ServiceButton).focus()
            await pilot.hover(button)
            await pilot.pause()
            found.text(button, f"{name}, hover")
            button.disabled = True
            await pilot.pause()
            found.text(button, f"{name}, disabled")
        await row.remove()

        # A question with choices: the highlighted and the chosen answer, focused and not.
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
        await visitor.press("enter")
        assert isinstance(app.screen, QuestionScreen)
        found.screen_texts(app, "choice")
        found.mark(visitor.focused, "choice list, focused")
        highlighted = next(b for b in app.screen.query(RadioButton) if b.has_class("-selected"))
        found.row_mark(highlighted, "choice list, highlighted answer")
        await visitor.press("down", "enter")  # chosen; goes on
        await visitor.press("escape")  # back: the chosen answer shown
        await pilot.pause()
        found.screen_texts(app, "choice, chosen")
        await visitor.press("tab")
        found.screen_texts(app, "choice, chosen, list not focused")

        # A text answer: the input focused and not, its placeholder, the error message, plain language.
        app.return_to_start()
        await pilot.pause()
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "kita_erstattung")
        await visitor.press("enter")
        found.mark(visitor.focused, "text answer, focused")
        found.screen_texts(app, "text answer")
        await visitor.type("12345")
        await visitor.press("enter")  # a number where a name belongs: the error message
        await visitor.press("f3")
        await pilot.pause()
        assert app.screen.query_one("#problem").display
        found.screen_texts(app, "error message, plain language")
        await visitor.press("tab")
        found.screen_texts(app, "input not focused")

        # A window over the screen: "Do you need more time?"
        app.idle_seconds = 0.1
        for _ in range(100):
            if isinstance(app.screen, StillThereScreen):
                break
            await pilot.pause(0.05)
        app.idle_seconds = 600
        await pilot.pause()
        found.screen_texts(app, "more time?")
        found.mark(app.screen.query_one("#more-time"), "more time?, focused")
        await visitor.press("f1")

        # Larger text changes weight and width, never the colours: checked once more, with the
        # message that says it is on, and the one that says reading aloud is not set up.
        await visitor.press("f4")
        monkeypatch.setenv("PATH", "")
        await visitor.press("f5")
        await pilot.pause(0.3)
        assert {"-information", "-warning"} <= {c for t in app.screen.query(Toast) for c in t.classes}
        found.screen_texts(app, "larger text")
        found.screen_texts(app, "larger text, messages", Toast)
        found.screen_texts(app, "larger text, message titles", Toast, "toast--title")

    assert found.checked > 60
    assert not found.failures, "\n".join(found.failures)


def test_the_linux_console_theme_uses_only_backgrounds_that_console_shows():
    """console_codes(4): only the eight normal background colours; bright ones are foreground only."""
    for name in ("background", "surface", "panel", "primary", "secondary", "accent", "error", "success"):
        assert getattr(LINUX_CONSOLE, name) in CONSOLE_BACKGROUNDS, name
    for name in ("rk-paper", "rk-paper-light", "rk-focus", "rk-input-focus", "rk-box"):
        assert LINUX_CONSOLE.variables[name] in CONSOLE_BACKGROUNDS, name
