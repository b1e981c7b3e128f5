"""The kiosk's colours: high contrast on a modern terminal, and a set a Linux text console can show.

The kiosk usually runs on tty1, a Linux console (``TERM=linux``). That console has only eight
background colours (console_codes(4): the "bright" backgrounds ESC[100m..107m are not shown), so
the usual paper-white page would come out black and the yellow focus mark brown. Where the terminal
offers only 16 colours the kiosk therefore uses a theme built from exactly those eight background
colours (the VGA palette every Linux console starts with), and bright colours only for text and
frames, which that console does show.

The stylesheets never name a colour themselves: they use the theme's variables (``$rk-...`` for the
kiosk's own), so both themes colour every widget.
"""

from __future__ import annotations

from textual.theme import Theme

# The eight background colours of the Linux console (and of Rich's 16-colour palette).
CONSOLE_BLACK = "#000000"
CONSOLE_RED = "#aa0000"
CONSOLE_GREEN = "#00aa00"
CONSOLE_BLUE = "#0000aa"
CONSOLE_CYAN = "#00aaaa"
CONSOLE_GREY = "#aaaaaa"
CONSOLE_BACKGROUNDS = (
    CONSOLE_BLACK,
    CONSOLE_RED,
    CONSOLE_GREEN,
    "#aa5500",
    CONSOLE_BLUE,
    "#aa00aa",
    CONSOLE_CYAN,
    CONSOLE_GREY,
)
# Text may be bright: the console shows bright foreground colours.
CONSOLE_WHITE = "#ffffff"
CONSOLE_YELLOW = "#ffff55"

# Black on white like paper, dark blue buttons, an amber mark on whatever has the focus. Amber, not
# bright yellow: yellow on the white page has 1.4:1, too faint for a focus mark (WCAG 2.2 asks 3:1);
# this amber has 3.3:1 against white, 3.5:1 against the blue buttons and 6.5:1 with black text on it
# (tests/functional/test_ui_contrast.py measures every pair on the running kiosk).
HIGH_CONTRAST = Theme(
    name="rathaus-high-contrast",
    primary="#003a70",
    secondary="#1f4e79",
    accent="#d97400",
    warning="#8a4b00",
    error="#a4000f",
    success="#0b6b1f",
    foreground="#000000",
    background="#ffffff",
    surface="#ffffff",
    panel="#e6edf5",
    boost="#00000010",
    dark=False,
    variables={
        "rk-paper": "#ffffff",  # inputs and lists: white like a form on paper
        "rk-paper-light": "#ffffff",  # behind the QR code: the lightest colour there is
        "rk-heading": "#003a70",  # titles in the colour of the buttons
        "rk-backdrop": "#00000066",  # the screen behind a window, darkened
        "rk-ink": "#000000",  # text on paper, on the focus mark and on panels
        "rk-on-button": "#ffffff",  # text on the dark buttons and on messages
        "rk-on-success": "#ffffff",
        "rk-focus": "#d97400",  # the mark on what has the focus
        "rk-focus-frame": "#000000",
        "rk-input-focus": "#fff4e5",  # a focused input, tinted like the mark
        "rk-box": "#c8c8c8",  # an empty tick box
        "rk-disabled-text": "#555555",
        "rk-placeholder": "#595959",  # an example in an empty input: 7:1 on white, yet clearly not typed
        "rk-disabled-frame": "#888888",
        "rk-frame": "#000000",
        "rk-scrollbar": "#003a70",
        "rk-scrollbar-back": "#e6edf5",
    },
)

# Light grey text on a black console, blue buttons with white text, cyan for the focus.
LINUX_CONSOLE = Theme(
    name="rathaus-linux-console",
    primary=CONSOLE_BLUE,
    secondary=CONSOLE_BLUE,
    accent=CONSOLE_CYAN,
    warning=CONSOLE_RED,
    error=CONSOLE_RED,
    success=CONSOLE_GREEN,
    foreground=CONSOLE_WHITE,
    background=CONSOLE_BLACK,
    surface=CONSOLE_BLACK,
    panel=CONSOLE_GREY,
    boost="#00000000",
    dark=True,
    variables={
        "rk-paper": CONSOLE_BLACK,
        "rk-paper-light": CONSOLE_GREY,
        "rk-heading": "#55ffff",
        "rk-backdrop": "#00000000",  # darkening would make greys the console cannot show
        "rk-ink": CONSOLE_BLACK,
        "rk-on-button": CONSOLE_WHITE,
        "rk-on-success": CONSOLE_BLACK,
        "rk-focus": CONSOLE_CYAN,
        "rk-focus-frame": CONSOLE_YELLOW,
        "rk-input-focus": CONSOLE_BLACK,
        "rk-box": CONSOLE_GREY,
        "rk-disabled-text": CONSOLE_BLACK,
        "rk-placeholder": CONSOLE_GREY,
        "rk-disabled-frame": CONSOLE_GREY,
        "rk-frame": CONSOLE_WHITE,
        "rk-scrollbar": CONSOLE_GREY,
        "rk-scrollbar-back": CONSOLE_BLACK,
        # Textual's own widgets (cursor, selection, scroll bars), from the eight colours too.
        "scrollbar": CONSOLE_GREY,
        "scrollbar-hover": CONSOLE_GREY,
        "scrollbar-active": CONSOLE_CYAN,
        "scrollbar-background": CONSOLE_BLACK,
        "scrollbar-background-hover": CONSOLE_BLACK,
        "scrollbar-background-active": CONSOLE_BLACK,
        "scrollbar-corner-color": CONSOLE_BLACK,
        "input-cursor-background": CONSOLE_GREY,
        "input-cursor-foreground": CONSOLE_BLACK,
        "input-selection-background": CONSOLE_CYAN,
        "block-cursor-background": CONSOLE_CYAN,
        "block-cursor-foreground": CONSOLE_BLACK,
        "block-cursor-blurred-background": CONSOLE_BLACK,
        "block-cursor-blurred-foreground": CONSOLE_WHITE,
        "border": CONSOLE_YELLOW,
        "border-blurred": CONSOLE_WHITE,
        "surface-active": CONSOLE_BLACK,
        "foreground-muted": CONSOLE_GREY,
        "foreground-darken-1": CONSOLE_GREY,
        "text-muted": CONSOLE_GREY,
    },
)

THEMES = (HIGH_CONTRAST, LINUX_CONSOLE)


def theme_for(color_system: str | None) -> Theme:
    """The theme for a terminal with this colour system (Rich's name for it: ``standard`` is
    16 colours, as on the Linux console; ``windows`` is the old Windows console)."""
    if color_system in ("standard", "windows"):
        return LINUX_CONSOLE
    return HIGH_CONTRAST
