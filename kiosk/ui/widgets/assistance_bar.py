"""One line on every screen of an assisted visit: who helps, and the key that stops the help.

The citizen must always see that someone helps them and how to stop it (F9), in plain words.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from kiosk.i18n import translator
from kiosk.ui.widgets.styles import stylesheet_next_to


def helper_sentence(visit: Any, lang: str) -> str:
    """``Anna M. (volunteer V0007) is helping you.`` or ``Karl S. acts for Maria S.``"""
    _ = translator(lang)
    if visit.power is not None:
        return _("{agent} acts for {principal} (power of attorney {power}).").format(
            agent=visit.helper.name, principal=visit.principal, power=visit.power.terms.power_id
        )
    if visit.helper.id:
        return _("{name} (volunteer {id}) is helping you.").format(name=visit.helper.name, id=visit.helper.id)
    return _("{name} is helping you.").format(name=visit.helper.name)


class AssistanceBar(Static):
    DEFAULT_CSS = stylesheet_next_to(__file__)

    def __init__(self, visit: Any, lang: str, **kwargs: Any) -> None:
        _ = translator(lang)
        text = f"{helper_sentence(visit, lang)}  " + _("F9: stop the help")
        super().__init__(text, markup=False, **kwargs)
