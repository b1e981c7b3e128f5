"""Which official warnings concern a place: the one matching rule the town hall and the kiosk share.

A kiosk knows its municipality by its official key, the **AGS** (Amtlicher Gemeindeschlüssel, 8
digits) or the **ARS** (Amtlicher Regionalschlüssel, 12 digits), and optionally its coordinates.
Both keys are built from the same parts::

    AGS  LL R KK GGG          Land, Regierungsbezirk, Kreis, Gemeinde           15 0 90 535
    ARS  LL R KK VVVV GGG     ... with the Gemeindeverband (4 digits) before G   15 0 90 0535 535

so ``AGS = ARS[0:5] + ARS[9:12]``. A municipality that belongs to no Verband (an Einheitsgemeinde
such as Tangerhütte) has ``VVVV = "0" + GGG``: Tangerhütte is AGS ``15090535``, ARS
``150900535535``. Given only an AGS, the Verband of a municipality that does belong to one is
unknown; a warning for that Verband alone then falls back to the polygon (below).

A CAP ``<area>`` names places by ``<geocode>``:

- ``WARNCELLID`` (DWD, 9 digits): a type digit and an AGS-shaped number. Type 8 is a municipality
  (``815090535`` = AGS 15090535), type 1 a Kreis (``115090000``: the whole Kreis Stendal), type 7
  a part of a city (matches a kiosk in that kreisfreie city). Lakes, sea, coast, customer objects
  and type 9 regions have no municipality in their number: only their polygon can match.
- ``ARS`` / ``SHN`` (MoWaS, 12 digits) and the ``warnVerwaltungsbereiche`` parameter: trailing
  zeros widen the area: ``150000000000`` is all of Sachsen-Anhalt, ``150900000000`` the Kreis
  Stendal, ``150900535000`` a Verband, ``000000000000`` all of Germany.
- ``AGS`` (8 digits), read the same way (``15090000``: the whole Kreis).

When no code of an area fits, the area's ``<polygon>`` (CAP: "lat,lon" pairs, first equal to last)
or ``<circle>`` ("lat,lon radius-in-km") is tested against the kiosk's coordinates, if it has any.
The polygon test is an even-odd ray cast in the plane of latitude and longitude: at the scale of a
municipality the error against the sphere is metres, far below the precision of warning areas. DWD
cuts holes into event polygons with ``EXCLUDE_POLYGON`` geocodes: a point inside one is outside.

Pure: no I/O, no imports beyond the standard library.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

LANDS = frozenset(f"{n:02d}" for n in range(1, 17))
_DIGITS = re.compile(r"[0-9]+")

Point = tuple[float, float]  # (latitude, longitude)
Ring = tuple[Point, ...]

CODE_NAMES = frozenset({"WARNCELLID", "ARS", "SHN", "AGS"})
EXCLUDE_POLYGON = "EXCLUDE_POLYGON"
MAX_POLYGON_POINTS = 5000


class AreaKeyError(ValueError):
    """A municipality key that is not 8 (AGS) or 12 (ARS) digits of a German Land."""


@dataclass(frozen=True)
class AreaKey:
    """The kiosk's place: its AGS, its ARS when known, and optionally its coordinates."""

    ags: str
    ars: str | None = None
    point: Point | None = None

    @property
    def land(self) -> str:
        return self.ags[:2]

    @property
    def kreis(self) -> str:
        return self.ags[:5]


def parse_area_key(text: str, point: Point | None = None) -> AreaKey:
    """``"15090535"`` or ``"150900535535"`` (spaces allowed) as an ``AreaKey``."""
    digits = "".join(str(text).split())
    if not _DIGITS.fullmatch(digits) or len(digits) not in (8, 12):
        raise AreaKeyError("an official municipality key has 8 digits (AGS) or 12 digits (ARS)")
    if digits[:2] not in LANDS:
        raise AreaKeyError("the first two digits of a municipality key name a Land, 01 to 16")
    if len(digits) == 8:
        if digits[5:] == "000" and digits[2:5] == "000":
            raise AreaKeyError("this is the key of a whole Land, not of a municipality")
        return AreaKey(ags=digits, point=point)
    ags = digits[:5] + digits[9:]
    return AreaKey(ags=ags, ars=digits, point=point)


def parse_point(text: str) -> Point:
    """``"52.4297,11.8069"`` (latitude, longitude in degrees) as a point; ``ValueError`` otherwise."""
    parts = str(text).replace(" ", "").split(",")
    if len(parts) != 2:
        raise ValueError("coordinates are 'latitude,longitude', e.g. 52.4297,11.8069")
    lat, lon = float(parts[0]), float(parts[1])
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be between -90 and 90, longitude between -180 and 180")
    return (lat, lon)


# -- codes ---------------------------------------------------------------------------------------


def _zeros(text: str) -> bool:
    return set(text) <= {"0"}


def ars_matches(code: str, key: AreaKey) -> bool:
    """A 12-digit ARS (trailing zeros: a wider unit) covers the kiosk's municipality."""
    if len(code) != 12 or not code.isdigit():
        return False
    if _zeros(code):
        return True  # the whole of Germany
    if _zeros(code[2:]):
        return code[:2] == key.land
    if _zeros(code[3:]):
        return code[:3] == key.ags[:3]
    if _zeros(code[5:]):
        return code[:5] == key.kreis
    if code[:5] != key.kreis:
        return False
    if _zeros(code[9:]):  # a Gemeindeverband
        if key.ars is not None:
            return code[:9] == key.ars[:9]
        return code[5:9] == "0" + key.ags[5:]  # the AGS's own Verband if it belongs to none
    if key.ars is not None:
        return code == key.ars
    return code[:5] + code[9:] == key.ags


def ags_matches(code: str, key: AreaKey) -> bool:
    """An 8-digit AGS (``LL000000`` a Land, ``LLRKK000`` a whole Kreis) covers the municipality."""
    if len(code) != 8 or not code.isdigit():
        return False
    if _zeros(code[2:]):
        return code[:2] == key.land
    if code[5:] == "000":
        return code[:5] == key.kreis
    return code == key.ags


def warncell_matches(code: str, key: AreaKey) -> bool:
    """A DWD WARNCELLID covers the municipality (see the module text for the types)."""
    if len(code) != 9 or not code.isdigit():
        return False
    kind, rest = code[0], code[1:]
    if kind == "8":
        return rest == key.ags
    if kind == "1":
        return rest[5:] == "000" and rest[:5] == key.kreis
    if kind == "7":
        return rest[:5] == key.kreis and key.ags[5:] == "000"
    return False


def code_matches(name: str, value: str, key: AreaKey) -> bool:
    """One geocode (or ``warnVerwaltungsbereiche`` entry) against the kiosk's key: the code
    covers the key's place, or, for a key of a wider unit, lies within it (``code_within``)."""
    kind = name.strip().upper()
    code = value.strip()
    if kind == "WARNCELLID":
        return warncell_matches(code, key) or code_within(kind, code, key)
    if kind in ("ARS", "SHN"):
        return ars_matches(code, key) or code_within(kind, code, key)
    if kind == "AGS":
        return ags_matches(code, key) or code_within(kind, code, key)
    return False


def code_within(kind: str, code: str, key: AreaKey) -> bool:
    """For a key of a wider unit (a Kreis ``LLRKK000`` / ``LLRKK0000000``, which is also how a
    kreisfreie Stadt is written, or a Gemeindeverband ``LLRKKVVVV000``): does the code's place
    lie inside it? A town hall whose ``areas`` names its Kreis (as NINA's dashboard is asked)
    then keeps the warnings of each of its municipalities, instead of saying there are none."""
    if not code.isdigit():
        return False
    verband = key.ars is not None and key.ars[9:] == "000" and key.ars[5:9] != "0000"
    if verband:  # only ARS codes name the Verband a municipality belongs to
        assert key.ars is not None
        return kind in ("ARS", "SHN") and len(code) == 12 and code[:9] == key.ars[:9]
    if key.ags[5:] != "000":
        return False  # a municipality's key: only codes that cover it (above)
    kreis = key.ags[:5]
    if kind == "WARNCELLID":
        return len(code) == 9 and code[0] in "178" and code[1:6] == kreis
    if kind in ("ARS", "SHN"):
        return len(code) == 12 and code[:5] == kreis
    return len(code) == 8 and code[:5] == kreis


# -- shapes --------------------------------------------------------------------------------------


def parse_polygon(text: str) -> Ring:
    """A CAP polygon ``"lat,lon lat,lon …"``; ``ValueError`` for anything else."""
    pairs = str(text).split()
    if not 4 <= len(pairs) <= MAX_POLYGON_POINTS:
        raise ValueError("a polygon has 4 to 5000 points")
    ring = tuple(parse_point(pair) for pair in pairs)
    return ring


def parse_circle(text: str) -> tuple[Point, float]:
    """A CAP circle ``"lat,lon radius"`` (radius in kilometres)."""
    parts = str(text).split()
    if len(parts) != 2:
        raise ValueError("a circle is 'lat,lon radius'")
    radius = float(parts[1])
    if not math.isfinite(radius) or radius < 0:
        raise ValueError("a circle's radius is a distance in km")
    return parse_point(parts[0]), radius


def point_in_ring(point: Point, ring: Sequence[Point]) -> bool:
    """Even-odd ray cast in the (longitude, latitude) plane."""
    lat, lon = point
    inside = False
    count = len(ring)
    for index in range(count):
        lat1, lon1 = ring[index]
        lat2, lon2 = ring[(index + 1) % count]
        if (lat1 > lat) != (lat2 > lat):
            crossing = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if lon < crossing:
                inside = not inside
    return inside


def point_in_circle(point: Point, centre: Point, radius_km: float) -> bool:
    """Great-circle distance (haversine, mean earth radius) at most ``radius_km``."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*point, *centre))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0088 * 2 * math.asin(min(1.0, math.sqrt(a))) <= radius_km


@dataclass(frozen=True)
class AreaShape:
    """What the matching rule needs of one CAP ``<area>``."""

    geocodes: tuple[tuple[str, str], ...] = ()
    polygons: tuple[Ring, ...] = ()
    circles: tuple[tuple[Point, float], ...] = ()
    excluded: tuple[Ring, ...] = ()


def area_matches(area: AreaShape, key: AreaKey, *, extra_codes: Iterable[tuple[str, str]] = ()) -> bool:
    """Codes first; when none fits, the polygons and circles against the kiosk's coordinates."""
    for name, value in (*area.geocodes, *extra_codes):
        if code_matches(name, value, key):
            return True
    if key.point is None:
        return False
    if any(point_in_ring(key.point, ring) for ring in area.excluded):
        return False
    if any(point_in_ring(key.point, ring) for ring in area.polygons):
        return True
    return any(point_in_circle(key.point, centre, radius) for centre, radius in area.circles)


def verwaltungsbereiche(value: str) -> tuple[tuple[str, str], ...]:
    """MoWaS's ``warnVerwaltungsbereiche`` parameter (ARS, separated by commas or spaces) as codes."""
    return tuple(("ARS", code) for code in re.split(r"[,;\s]+", value.strip()) if code)
