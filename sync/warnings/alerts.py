"""An official warning as both sides hold it, and the rules for what reaches citizens.

The town hall reads CAP 1.2 (``sync.warnings.cap``) into ``Alert``: one per CAP ``<alert>``, its
``<info>`` blocks folded together (the highest severity, the latest ``expires``, every language's
texts, every area), since German warning systems repeat the same warning per language. The same
``Alert`` travels to the kiosks as an entry of the ``warnings`` download channel
(``alert_to_json`` / ``alert_from_json``, docs/downloads.md §11), so both sides apply the same
rules from this module:

- only ``status`` **Actual** and ``scope`` **Public** reach citizens: Test, Exercise, System and
  Draft messages never do (CAP 1.2 §3.2.1), nor restricted or private ones;
- nor DWD's test warnings: event code ``II`` 98 or 99 (TEST-WARNUNG, TEST-UNWETTERWARNUNG,
  TEST-VORABINFORMATION), or DWD's ``responseType`` ``Monitor`` ("Testmeldung", CAP DWD profile);
- ``Cancel`` messages and ``Update`` messages whose every info says ``AllClear`` end the warnings
  they reference and are not shown themselves (only when they are ``Actual``: a drill's Cancel
  ends nothing); ``Ack`` and ``Error`` are never shown;
- a warning is active until its ``expires`` (none given: until an Update or Cancel ends it);
- most severe first: Extreme, Severe, Moderate, Minor, Unknown; then the newest.

Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sync.envelope.failures import MALFORMED, envelope_error
from sync.warnings.area import AreaKey, AreaShape, area_matches, code_matches, verwaltungsbereiche

KIND_WARNING = "The official warning"

SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
SEVERITY_RANK = {name: len(SEVERITIES) - 1 - index for index, name in enumerate(SEVERITIES)}
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
DWD_TEST_EVENT_CODES = frozenset({"98", "99"})

# Bounds of one warning on the wire (and at import: longer texts are cut with an ellipsis).
MAX_ID = 256
MAX_SHORT = 300
MAX_LONG = 5000
MAX_LANGUAGES = 8
MAX_AREAS = 64
MAX_CODES = 32
MAX_SHAPES = 8
MAX_POINTS = 2000

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass(frozen=True)
class AlertText:
    """The words of one ``<info>`` in one language."""

    language: str
    event: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    sender_name: str = ""
    web: str = ""
    contact: str = ""


@dataclass(frozen=True)
class AlertArea:
    description: str
    shape: AreaShape = field(default_factory=AreaShape)


@dataclass(frozen=True)
class Alert:
    """One CAP alert, its infos folded together (see the module text)."""

    identifier: str
    sender: str
    sent: str  # UTC, YYYY-MM-DDTHH:MM:SSZ
    status: str
    msg_type: str
    scope: str
    severity: str = "Unknown"
    urgency: str = "Unknown"
    onset: str | None = None
    expires: str | None = None
    references: tuple[tuple[str, str, str], ...] = ()  # (sender, identifier, sent)
    texts: tuple[AlertText, ...] = ()
    areas: tuple[AlertArea, ...] = ()
    event_codes: tuple[tuple[str, str], ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()
    response_types: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """CAP's identity of a message: sender and identifier together."""
        return (self.sender, self.identifier)

    @property
    def rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, 0)

    def text(self, lang: str) -> AlertText:
        """The texts in ``lang`` (``de``/``en``), else German, else the first given."""
        for wanted in (lang, "de"):
            for text in self.texts:
                if text.language.lower().split("-")[0] == wanted:
                    return text
        return self.texts[0] if self.texts else AlertText(language=lang)


# -- what citizens may see -----------------------------------------------------------------------


def is_dwd(alert: Alert) -> bool:
    return alert.sender.lower().endswith("dwd.de") or ".DWD." in alert.identifier


def never_shown_because(alert: Alert) -> str | None:
    """Why this message never reaches a citizen (for the log and ``rathaus warnings list``), or
    ``None`` for a message that may be shown while active."""
    if alert.status != "Actual":
        return f"status {alert.status}"
    if alert.scope != "Public":
        return f"scope {alert.scope}"
    if alert.msg_type not in ("Alert", "Update"):
        return f"msgType {alert.msg_type}"
    codes = {value.strip() for name, value in alert.event_codes if name.strip().upper() == "II"}
    if codes & DWD_TEST_EVENT_CODES:
        return "DWD test event code " + ",".join(sorted(codes & DWD_TEST_EVENT_CODES))
    if is_dwd(alert) and "Monitor" in alert.response_types:
        return "DWD test message (responseType Monitor)"
    return None


def ends_referenced(alert: Alert) -> bool:
    """Does this message end the alerts it references (an Update replaces, a Cancel removes)?
    Only a real one (``status`` Actual): a drill's or a test's Cancel that names a real warning by
    mistake must not take that warning off the kiosks (CAP 1.2 §3.2.1: Test and Exercise are
    to be ignored by the public)."""
    return alert.status == "Actual" and alert.msg_type in ("Update", "Cancel") and bool(alert.references)


def is_all_clear(alert: Alert) -> bool:
    return alert.msg_type == "Update" and bool(alert.response_types) and set(alert.response_types) == {"AllClear"}


def is_active(alert: Alert, at: dt.datetime) -> bool:
    """Not yet expired at ``at`` (an alert without ``expires`` stays until it is ended)."""
    if alert.expires is None:
        return True
    return parse_utc(alert.expires) > at


def concerns(alert: Alert, key: AreaKey) -> bool:
    """Does any area of the alert cover the kiosk's place (``sync.warnings.area``)?"""
    extra = tuple(
        code for name, value in alert.parameters if name == "warnVerwaltungsbereiche" for code in verwaltungsbereiche(value)
    )
    if any(code_matches(name, value, key) for name, value in extra):
        return True
    return any(area_matches(area.shape, key) for area in alert.areas)


def shown_order(alerts: list[Alert]) -> list[Alert]:
    """Most severe first, then the most recently sent."""
    return sorted(alerts, key=lambda a: (-a.rank, _negated(a.sent), a.identifier))


def _negated(timestamp: str) -> float:
    return -parse_utc(timestamp).timestamp()


# -- times ---------------------------------------------------------------------------------------


def parse_utc(text: str) -> dt.datetime:
    """``YYYY-MM-DDTHH:MM:SSZ`` as an aware datetime."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cap_time(text: str) -> str:
    """A CAP dateTime (``2026-12-05T14:00:00+01:00``; ``-00:00`` means UTC) in UTC;
    ``ValueError`` for one without a time zone."""
    value = text.strip()
    if value.endswith("-00:00"):
        value = value[:-6] + "+00:00"
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a CAP time needs its offset from UTC")
    # Only years the wire format can hold (four digits) and UTC can reach: year 1 at +14:00 lies
    # before the calendar, and year 100 would be written "100-…", which no reader accepts.
    if not 1970 <= moment.year <= 9998:
        raise ValueError(f"the year {moment.year} is outside 1970 to 9998")
    return utc_text(moment)


# -- on the wire ---------------------------------------------------------------------------------


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """The entry of the ``warnings`` channel (docs/downloads.md §11)."""
    return {
        "areas": [
            {
                "circles": [[c[0][0], c[0][1], c[1]] for c in area.shape.circles],
                "description": area.description,
                "excluded": [[list(p) for p in ring] for ring in area.shape.excluded],
                "geocodes": [[name, value] for name, value in area.shape.geocodes],
                "polygons": [[list(p) for p in ring] for ring in area.shape.polygons],
            }
            for area in alert.areas
        ],
        "event_codes": [[name, value] for name, value in alert.event_codes],
        "expires": alert.expires,
        "identifier": alert.identifier,
        "msg_type": alert.msg_type,
        "onset": alert.onset,
        "parameters": [[name, value] for name, value in alert.parameters],
        "references": [list(ref) for ref in alert.references],
        "response_types": list(alert.response_types),
        "scope": alert.scope,
        "sender": alert.sender,
        "sent": alert.sent,
        "severity": alert.severity,
        "status": alert.status,
        "texts": [
            {
                "contact": t.contact,
                "description": t.description,
                "event": t.event,
                "headline": t.headline,
                "instruction": t.instruction,
                "language": t.language,
                "sender_name": t.sender_name,
                "web": t.web,
            }
            for t in alert.texts
        ],
        "urgency": alert.urgency,
    }


_ALERT_KEYS = frozenset(alert_to_json(Alert("x", "x", "2026-01-01T00:00:00Z", "Actual", "Alert", "Public")))
_TEXT_KEYS = frozenset({"contact", "description", "event", "headline", "instruction", "language", "sender_name", "web"})
_AREA_KEYS = frozenset({"circles", "description", "excluded", "geocodes", "polygons"})


class _Reader:
    def __init__(self, position: int) -> None:
        self.where = f"warning {position}"

    def fail(self, reason: str) -> Exception:
        return envelope_error(MALFORMED, KIND_WARNING, detail=f"{self.where}: {reason}")

    def obj(self, value: object, keys: frozenset[str], what: str) -> dict[str, Any]:
        if not isinstance(value, dict) or set(value) != keys:
            raise self.fail(f"{what} is not an object with exactly the keys {sorted(keys)}")
        return value

    def text(self, value: object, what: str, limit: int, *, empty: bool = True) -> str:
        if not isinstance(value, str) or len(value) > limit or (not empty and not value) or _CONTROL.search(value):
            raise self.fail(f"{what} is not a text of at most {limit} characters without control characters")
        return value

    def choice(self, value: object, what: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(f"{what} is not one of {', '.join(choices)}")
        return str(value)

    def time(self, value: object, what: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        try:
            parse_utc(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise self.fail(f"{what} is not a UTC timestamp") from None
        return str(value)

    def items(self, value: object, what: str, limit: int) -> list[Any]:
        if not isinstance(value, list) or len(value) > limit:
            raise self.fail(f"{what} is not a list of at most {limit} entries")
        return value

    def pairs(self, value: object, what: str) -> tuple[tuple[str, str], ...]:
        pairs = []
        for pair in self.items(value, what, MAX_CODES):
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.fail(f"{what} holds something other than [name, value]")
            pairs.append((self.text(pair[0], what, MAX_SHORT), self.text(pair[1], what, MAX_LONG)))
        return tuple(pairs)

    def number(self, value: object, what: str, low: float, high: float) -> float:
        if type(value) not in (int, float) or not low <= value <= high:  # type: ignore[operator]
            raise self.fail(f"{what} is not a number from {low} to {high}")
        return float(value)  # type: ignore[arg-type]

    def ring(self, value: object, what: str) -> tuple[tuple[float, float], ...]:
        points = self.items(value, what, MAX_POINTS)
        if len(points) < 4:
            raise self.fail(f"{what} has fewer than 4 points")
        ring = []
        for point in points:
            if not isinstance(point, list) or len(point) != 2:
                raise self.fail(f"{what} holds something other than [lat, lon]")
            ring.append((self.number(point[0], what, -90, 90), self.number(point[1], what, -180, 180)))
        return tuple(ring)


def alert_from_json(value: object, position: int = 0) -> Alert:
    """Check one entry of the ``warnings`` channel; ``EnvelopeError`` (``malformed``) otherwise."""
    r = _Reader(position)
    v = r.obj(value, _ALERT_KEYS, "the warning")
    texts = []
    for t in r.items(v["texts"], "texts", MAX_LANGUAGES):
        t = r.obj(t, _TEXT_KEYS, "a text")
        texts.append(
            AlertText(
                language=r.text(t["language"], "language", 35),
                event=r.text(t["event"], "event", MAX_SHORT),
                headline=r.text(t["headline"], "headline", MAX_SHORT),
                description=r.text(t["description"], "description", MAX_LONG),
                instruction=r.text(t["instruction"], "instruction", MAX_LONG),
                sender_name=r.text(t["sender_name"], "sender_name", MAX_SHORT),
                web=r.text(t["web"], "web", MAX_SHORT),
                contact=r.text(t["contact"], "contact", MAX_SHORT),
            )
        )
    areas = []
    for a in r.items(v["areas"], "areas", MAX_AREAS):
        a = r.obj(a, _AREA_KEYS, "an area")
        circles = []
        for c in r.items(a["circles"], "circles", MAX_SHAPES):
            if not isinstance(c, list) or len(c) != 3:
                raise r.fail("a circle is [lat, lon, radius_km]")
            circles.append(((r.number(c[0], "circle", -90, 90), r.number(c[1], "circle", -180, 180)), r.number(c[2], "circle", 0, 20000)))
        areas.append(
            AlertArea(
                description=r.text(a["description"], "area description", MAX_SHORT),
                shape=AreaShape(
                    geocodes=r.pairs(a["geocodes"], "geocodes"),
                    polygons=tuple(r.ring(p, "polygon") for p in r.items(a["polygons"], "polygons", MAX_SHAPES)),
                    circles=tuple(circles),
                    excluded=tuple(r.ring(p, "excluded polygon") for p in r.items(a["excluded"], "excluded", MAX_SHAPES)),
                ),
            )
        )
    references = []
    for ref in r.items(v["references"], "references", MAX_CODES):
        if not isinstance(ref, list) or len(ref) != 3:
            raise r.fail("a reference is [sender, identifier, sent]")
        references.append(tuple(r.text(part, "reference", MAX_ID) for part in ref))
    return Alert(
        identifier=r.text(v["identifier"], "identifier", MAX_ID, empty=False),
        sender=r.text(v["sender"], "sender", MAX_ID, empty=False),
        sent=r.time(v["sent"], "sent"),  # type: ignore[arg-type]
        status=r.choice(v["status"], "status", STATUSES),
        msg_type=r.choice(v["msg_type"], "msg_type", MSG_TYPES),
        scope=r.choice(v["scope"], "scope", SCOPES),
        severity=r.choice(v["severity"], "severity", SEVERITIES),
        urgency=r.text(v["urgency"], "urgency", 20),
        onset=r.time(v["onset"], "onset", optional=True),
        expires=r.time(v["expires"], "expires", optional=True),
        references=tuple(references),  # type: ignore[arg-type]
        texts=tuple(texts),
        areas=tuple(areas),
        event_codes=r.pairs(v["event_codes"], "event_codes"),
        parameters=r.pairs(v["parameters"], "parameters"),
        response_types=tuple(r.text(x, "response_types", 20) for x in r.items(v["response_types"], "response_types", 8)),
    )
