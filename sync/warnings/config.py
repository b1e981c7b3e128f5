"""The town hall's warnings settings: ``warnings.toml`` in its data directory.

::

    # Official warnings for the kiosks (docs/warnings.md)
    areas = ["15090535"]                  # AGS or ARS of the municipalities the kiosks stand in
    points = ["52.4297,11.8069"]          # optional: coordinates tried against warning polygons
    feeds = ["https://opendata.dwd.de/…/Z_CAP_C_EDZW_LATEST_PVW_STATUS_PREMIUMDWD_COMMUNEUNION_DE.zip"]
    incoming = "warnings/incoming"        # where CAP files are dropped: a folder inside warnings/
    feed_timeout_seconds = 30

Without ``areas`` the town hall sends its kiosks no warnings at all (and they say that warnings
could not be fetched), since a whole country's warnings would neither fit nor mean anything there.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator
from sync.warnings.area import AreaKey, AreaKeyError, Point, parse_area_key, parse_point

CONFIG_NAME = "warnings.toml"
WARNINGS_DIR = "warnings"
DEFAULT_INCOMING = "warnings/incoming"
MAX_FEEDS = 16


@dataclass(frozen=True)
class WarningsConfig:
    areas: tuple[AreaKey, ...] = ()
    points: tuple[Point, ...] = ()
    feeds: tuple[str, ...] = ()
    incoming: Path = Path(DEFAULT_INCOMING)
    feed_timeout_seconds: float = 30.0
    data_dir: Path = field(default=Path("."))

    @property
    def folder(self) -> Path:
        return self.data_dir / WARNINGS_DIR

    def keys(self) -> tuple[AreaKey, ...]:
        """What a warning must concern to reach the kiosks: each area by its codes, and each
        configured point against polygons."""
        extra = tuple(AreaKey(ags=key.ags, ars=key.ars, point=p) for key in self.areas[:1] for p in self.points)
        return self.areas + extra


def load_warnings_config(data_dir: Path) -> WarningsConfig:
    """Read ``warnings.toml``; a missing file means nothing configured."""
    data_dir = Path(data_dir)
    path = data_dir / CONFIG_NAME
    _ = translator(language_from_environment())
    if not path.exists():
        return WarningsConfig(incoming=data_dir / DEFAULT_INCOMING, data_dir=data_dir)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RathausError(
            _("The warnings settings {path} cannot be read: {reason}").format(path=path, reason=exc)
        ) from exc
    unknown = sorted(set(raw) - {"areas", "points", "feeds", "incoming", "feed_timeout_seconds"})
    if unknown:
        raise RathausError(_("Unknown setting(s) in {path}: {names}").format(path=path, names=", ".join(unknown)))
    try:
        areas = tuple(parse_area_key(str(a)) for a in _strings(raw.get("areas", [])))
        points = tuple(parse_point(str(p)) for p in _strings(raw.get("points", [])))
    except (AreaKeyError, ValueError) as exc:
        raise RathausError(
            _("The warnings settings {path} name an area or coordinates that are not valid: {reason}").format(
                path=path, reason=exc
            )
        ) from exc
    feeds = _strings(raw.get("feeds", []))
    bad = [url for url in feeds if not _allowed_feed(url)]
    if bad or len(feeds) > MAX_FEEDS:
        raise RathausError(
            _("Warning feeds must be at most {count} addresses starting with https:// ({path}).").format(
                count=MAX_FEEDS, path=path
            )
        )
    incoming = Path(str(raw.get("incoming", DEFAULT_INCOMING)))
    incoming = incoming if incoming.is_absolute() else data_dir / incoming
    if not _inside_warnings(incoming, data_dir / WARNINGS_DIR):
        raise RathausError(
            _("incoming in {path} must be a folder inside {folder} (not done or refused): the import moves every file it finds there.").format(
                path=path, folder=data_dir / WARNINGS_DIR
            )
        )
    timeout = raw.get("feed_timeout_seconds", 30)
    if type(timeout) not in (int, float) or not 1 <= timeout <= 300:
        raise RathausError(_("feed_timeout_seconds in {path} must be from 1 to 300.").format(path=path))
    return WarningsConfig(
        areas=areas,
        points=points,
        feeds=tuple(feeds),
        incoming=incoming,
        feed_timeout_seconds=float(timeout),
        data_dir=data_dir,
    )


def _allowed_feed(url: str) -> bool:
    """https to anywhere; plain http only to this machine (tests, a local relay), told by the
    parsed host, not by how the address begins ("http://127.0.0.1.example.org" is elsewhere)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if not host or "@" in parts.netloc or any(c.isspace() for c in url):
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and host in ("127.0.0.1", "localhost", "::1")


def _inside_warnings(incoming: Path, warnings_folder: Path) -> bool:
    """A folder of its own inside ``warnings/``: never the record's folder itself, its done or
    refused folders, the data directory or anything above it (links resolved)."""
    try:
        place = incoming.resolve().relative_to(warnings_folder.resolve())
    except ValueError:
        return False
    return bool(place.parts) and place.parts[0] not in ("done", "refused")


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        _ = translator(language_from_environment())
        raise RathausError(_("areas, points and feeds in warnings.toml are lists of texts."))
    return [str(v).strip() for v in value]
