"""The workplace grows by areas: each brings its routes and its place in the navigation.

An area is registered once (``register_area``) and ``create_app`` mounts every registered area;
its views ask ``may()`` like all others and render templates that extend ``base.html``. Later
issues (assisted mode, booking calendars, warnings) add their pages this way, without editing the
app or the other areas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from starlette.routing import BaseRoute


@dataclass(frozen=True)
class Area:
    """One part of the workplace: ``routes(context)`` builds its routes; the navigation shows
    ``title`` (an English msgid) at ``path`` to whoever ``may`` do ``action``."""

    name: str
    title: str
    path: str
    action: str
    routes: Callable[["object"], Sequence[BaseRoute]]
    order: int = 100


_AREAS: dict[str, Area] = {}


def register_area(area: Area, *, replace: bool = False) -> Area:
    if area.name in _AREAS and not replace:
        raise ValueError(f"workplace area {area.name!r} is registered already")
    _AREAS[area.name] = area
    return area


def areas() -> list[Area]:
    """Every registered area, in navigation order."""
    return sorted(_AREAS.values(), key=lambda area: (area.order, area.name))
