"""What the kiosk tells citizens about official warnings, from the snapshot it holds.

The town hall sends the warnings for its areas (channel ``warnings``); the kiosk applies the same
rules again for its own place (``sync.warnings.alerts``, ``sync.warnings.area``): only messages
meant for citizens, not expired at this moment, concerning its municipality key (or, given only
as a polygon, its coordinates). Most severe first.

It never says "no warnings" unless it knows: only a snapshot younger than
``warnings_stale_hours`` (default 6) allows "No current warnings known – as of …". An older one
says plainly how old it is (warnings in it are still shown); without any snapshot the kiosk says
that warnings could not be fetched. The as-of time is always shown.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from kiosk.config import KioskConfig
from kiosk.errors import EnvelopeError
from kiosk.i18n import N_, format_datetime, ntranslator, translator
from kiosk.store import Store
from sync.warnings.alerts import (
    Alert,
    alert_from_json,
    concerns,
    is_active,
    is_all_clear,
    never_shown_because,
    parse_utc,
    shown_order,
)
from sync.warnings.area import AreaKey, AreaKeyError, parse_area_key, parse_point

log = logging.getLogger("rathaus.kiosk")

State = Literal["off", "never", "stale", "fresh"]

SEVERITY_WORDS = {
    "Extreme": N_("Extreme danger"),
    "Severe": N_("Severe danger"),
    "Moderate": N_("Danger"),
    "Minor": N_("Caution"),
    "Unknown": N_("Warning"),
}


@dataclass(frozen=True)
class ShownWarning:
    """One warning as a citizen reads it, in one language."""

    identifier: str
    severity: str
    headline: str
    event: str
    description: str
    instruction: str
    sender: str
    onset: str | None
    expires: str | None


@dataclass(frozen=True)
class WarningsView:
    state: State
    as_of: str | None = None
    warnings: tuple[ShownWarning, ...] = ()
    stale_hours: int = 6
    clock_behind: bool = False  # the data is from the kiosk's future: its age is not known


# The town hall's clock and the kiosk's may differ by a few minutes; data further in the kiosk's
# future means the kiosk's clock is wrong (a flat battery sets it years back).
CLOCK_TOLERANCE = dt.timedelta(minutes=15)


def area_key(config: KioskConfig) -> AreaKey | None:
    """The kiosk's place from its settings; ``None`` when no warning area is set (or it is not valid)."""
    if not config.warning_area:
        return None
    try:
        point = parse_point(config.warning_coordinates) if config.warning_coordinates else None
        return parse_area_key(config.warning_area, point)
    except (AreaKeyError, ValueError) as exc:
        log.warning("warning area in kiosk.toml not usable: %s", exc)
        return None


def _shown(alert: Alert, lang: str) -> ShownWarning:
    text = alert.text(lang)
    return ShownWarning(
        identifier=alert.identifier,
        severity=alert.severity,
        headline=text.headline or text.event,
        event=text.event,
        description=text.description,
        instruction=text.instruction,
        sender=text.sender_name or dict(alert.parameters).get("sender_langname") or alert.sender,
        onset=alert.onset,
        expires=alert.expires,
    )


DEFAULT_STALE_HOURS = 6
MAX_STALE_HOURS = 168


def stale_limit(config: KioskConfig) -> int:
    """``warnings_stale_hours`` from kiosk.toml, a whole number of hours from 1 to a week; anything
    else (the file is edited by hand) is logged and the default used, never a crash."""
    hours = config.warnings_stale_hours
    if type(hours) is int and 1 <= hours <= MAX_STALE_HOURS:
        return hours
    log.warning("warnings_stale_hours in kiosk.toml is not 1 to %d: %r; using %d", MAX_STALE_HOURS, hours, DEFAULT_STALE_HOURS)
    return DEFAULT_STALE_HOURS


def warnings_view(config: KioskConfig, store: Store, lang: str, *, now: dt.datetime | None = None) -> WarningsView:
    """What the start screen and the warnings screen show at ``now``."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    hours = stale_limit(config)
    if not config.warning_area:
        return WarningsView("off", stale_hours=hours)
    key = area_key(config)
    if key is None:  # set but not usable (kiosk.toml edited by hand): say that we do not know
        return WarningsView("never", stale_hours=hours)
    entries, state = store.warnings_snapshot()
    if state.version == 0 or state.as_of is None:
        return WarningsView("never", stale_hours=hours)
    alerts = []
    for position, entry in enumerate(entries):
        try:
            alerts.append(alert_from_json(entry, position))
        except EnvelopeError as exc:  # stored from a checked download; a damaged row is skipped
            log.warning("stored warning %d not readable: %s", position, exc.detail)
    visible = [
        a for a in alerts
        if never_shown_because(a) is None and not is_all_clear(a) and is_active(a, moment) and concerns(a, key)
    ]
    age = moment - parse_utc(state.as_of)
    behind = age < -CLOCK_TOLERANCE
    if behind:
        log.warning("warnings data as of %s lies ahead of the kiosk's clock (%s): one of the clocks is wrong", state.as_of, moment)
    fresh = not behind and age <= dt.timedelta(hours=hours)
    return WarningsView(
        "fresh" if fresh else "stale",
        as_of=state.as_of,
        warnings=tuple(_shown(a, lang) for a in shown_order(visible)),
        stale_hours=hours,
        clock_behind=behind,
    )


def when(timestamp: str, lang: str) -> str:
    return format_datetime(parse_utc(timestamp), lang)


def severity_word(severity: str, lang: str) -> str:
    return translator(lang)(SEVERITY_WORDS.get(severity, SEVERITY_WORDS["Unknown"]))


def summary_line(view: WarningsView, lang: str, *, short: bool = False, headline_chars: int | None = None) -> str:
    """The banner's text; empty when the kiosk shows no warnings at all ("off").

    ``short`` says "not up to date" in a few words instead of the whole sentence about the data's
    age, and ``headline_chars`` cuts the first headline (with "…"): the banner uses them, in that
    order, where the screen is too small for the whole text. The severity, the number of further
    warnings, the as-of time and that the data is old are never left out."""
    _ = translator(lang)
    ngettext = ntranslator(lang)
    if view.state == "off":
        return ""
    if view.state == "never" or view.as_of is None:
        return _("Official warnings could not be fetched. Please also pay attention to radio, sirens and warning apps.")
    as_of = when(view.as_of, lang)
    if view.warnings:
        first = view.warnings[0]
        headline = " ".join(first.headline.split())  # one line of text: no line breaks from the issuer
        if headline_chars is not None and len(headline) > headline_chars:
            headline = headline[: max(1, headline_chars - 1)].rstrip() + "…"
        text = f"{severity_word(first.severity, lang)}: {headline}"
        others = len(view.warnings) - 1
        if others:
            text += " " + ngettext("(and {count} more warning)", "(and {count} more warnings)", others).format(count=others)
        if short and view.state == "stale":
            return text + " – " + _("not up to date, as of {when}").format(when=as_of)
        text += " – " + _("as of {when}").format(when=as_of)
    elif view.state == "fresh":
        return _("No current warnings known – as of {when}").format(when=as_of)
    else:
        text = _("Warnings are not up to date – as of {when}").format(when=as_of)
        if short:
            return text
    if view.state == "stale":
        text += ". " + stale_sentence(view, lang)
    return text


def stale_sentence(view: WarningsView, lang: str) -> str:
    """Why the data may not be current: its age, or that the kiosk's clock cannot tell it."""
    if view.clock_behind:
        return translator(lang)("The clocks of this kiosk and of the town hall do not agree, so how old this information is is not known.")
    ngettext = ntranslator(lang)
    return ngettext(
        "This information is more than {hours} hour old and may not be current.",
        "This information is more than {hours} hours old and may not be current.",
        view.stale_hours,
    ).format(hours=view.stale_hours)
