"""What the town hall hands its kiosks: the warnings citizens may see in the configured areas.

At each download the record (``sync.warnings.store``) is read at that moment: alerts ended by an
Update or Cancel, expired ones and those never meant for citizens (``never_shown_because``) are
left out, and so are alerts for other places. Each alert keeps only its areas that concern one of
the configured areas; an area found by its code loses its polygons (the kiosk matches the code
first), so the snapshot stays small. Should it still exceed ``SNAPSHOT_BUDGET`` (a whole answer is
at most 1 MiB), polygons are dropped, then the least severe warnings, each with a log line.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import replace

from sync.warnings.alerts import (
    MAX_AREAS,
    Alert,
    alert_from_json,
    alert_to_json,
    concerns,
    is_all_clear,
    never_shown_because,
    shown_order,
)
from kiosk.errors import EnvelopeError
from sync.warnings.area import AreaKey, AreaShape, area_matches, code_matches
from sync.warnings.config import WarningsConfig
from sync.warnings.store import WarningsStore

log = logging.getLogger("rathaus.warnings")

SNAPSHOT_BUDGET = 600 * 1024
MAX_SNAPSHOT_ALERTS = 50


def for_citizens(alerts: list[Alert], keys: tuple[AreaKey, ...]) -> list[Alert]:
    """The alerts citizens in ``keys`` may see, trimmed to their areas, most severe first."""
    kept = []
    for alert in alerts:
        if never_shown_because(alert) is not None or is_all_clear(alert):
            continue
        if not any(concerns(alert, key) for key in keys):
            continue
        kept.append(trimmed(alert, keys))
    return shown_order(kept)


def trimmed(alert: Alert, keys: tuple[AreaKey, ...]) -> Alert:
    """Only the areas that concern ``keys``; those found by a code without their polygons."""
    areas = []
    for area in alert.areas:
        by_code = any(code_matches(n, v, key) for n, v in area.shape.geocodes for key in keys)
        if by_code:
            areas.append(replace(area, shape=AreaShape(geocodes=area.shape.geocodes)))
        elif any(area_matches(area.shape, key) for key in keys):
            areas.append(area)
    return replace(alert, areas=tuple(areas[:MAX_AREAS]))


def _size(alerts: list[Alert]) -> int:
    return len(json.dumps([alert_to_json(a) for a in alerts], ensure_ascii=False, separators=(",", ":")).encode())


def within_budget(alerts: list[Alert], budget: int = SNAPSHOT_BUDGET) -> list[Alert]:
    """Most severe first as given; polygons go first, then the least severe warnings."""
    alerts = alerts[:MAX_SNAPSHOT_ALERTS]
    if _size(alerts) <= budget:
        return alerts
    log.warning("warnings snapshot over %d bytes: polygons left out", budget)
    alerts = [
        replace(a, areas=tuple(replace(area, shape=AreaShape(geocodes=area.shape.geocodes)) for area in a.areas))
        for a in alerts
    ]
    while alerts and _size(alerts) > budget:
        dropped = alerts.pop()
        log.warning("warnings snapshot too large: %s (%s) left out", dropped.identifier, dropped.severity)
    return alerts


def _sendable(alerts: list[Alert]) -> list[Alert]:
    """Only what a kiosk will accept: one entry it would refuse would refuse the whole answer,
    status and keys included (the import already keeps within the limits; this is the net)."""
    kept = []
    for alert in alerts:
        try:
            alert_from_json(json.loads(json.dumps(alert_to_json(alert), ensure_ascii=False)))
            kept.append(alert)
        except (EnvelopeError, ValueError) as exc:
            log.warning("warning %s not sent: %s", alert.identifier, getattr(exc, "detail", None) or exc)
    return kept


def kiosk_snapshot(config: WarningsConfig, at: dt.datetime) -> tuple[list[Alert], str | None]:
    """The warnings for the kiosks at ``at`` and the record's as-of time (``None``: never complete,
    or no areas configured: the kiosks then say warnings could not be fetched)."""
    alerts, as_of, _version = kiosk_snapshot_versioned(config, at)
    return alerts, as_of


def kiosk_snapshot_versioned(config: WarningsConfig, at: dt.datetime) -> tuple[list[Alert], str | None, int]:
    """``kiosk_snapshot`` and the channel version of the record it was read from (0: never)."""
    if not config.areas:
        return [], None, 0
    if not (config.folder / "warnings.db").exists():
        return [], None, 0
    with WarningsStore(config.folder) as store:
        alerts, as_of, version = store.snapshot(at)
    return within_budget(_sendable(for_citizens(alerts, config.keys()))), as_of, version
