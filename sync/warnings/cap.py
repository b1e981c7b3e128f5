"""Reading one CAP 1.2 alert, as XML or as NINA's JSON rendering, as hostile input.

XML goes through ``defusedxml``: a document type declaration, an entity declaration or an
external reference is refused outright (no "billion laughs", no file or network access from the
parser), and the document is bounded in bytes before it is parsed. NINA (warnung.bund.de,
``/api31/warnings/<id>.json``) serves the same CAP fields as JSON: ``info``, ``area``,
``eventCode``, ``parameter`` and ``geocode`` as lists, ``valueName``/``value`` pairs; its areas
carry ``geocode`` ``AreaId`` only, the municipality keys travel in the ``warnVerwaltungsbereiche``
parameter.

Anything that is not a CAP 1.2 alert raises ``CapError`` with a sentence for the log; the caller
names the file or feed.
"""

from __future__ import annotations

import json
from typing import Any, Iterable
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from sync.warnings.alerts import (
    MAX_ID,
    MAX_LANGUAGES,
    MAX_LONG,
    MAX_SHAPES,
    MAX_SHORT,
    MSG_TYPES,
    SCOPES,
    SEVERITY_RANK,
    STATUSES,
    Alert,
    AlertArea,
    AlertText,
    cap_time,
)
from sync.warnings.area import EXCLUDE_POLYGON, AreaShape, Ring, parse_circle, parse_polygon

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
MAX_CAP_BYTES = 4 * 1024 * 1024
"""One alert: DWD's largest (hundreds of municipalities with polygons) stay well below."""
MAX_AREAS_READ = 5000
MAX_INFOS = 16
MAX_POLYGON_POINTS_KEPT = 2000


class CapError(ValueError):
    """Not a CAP 1.2 alert this kiosk system can use; the text says why (for the log)."""


def _cut(text: str | None, limit: int) -> str:
    """Trimmed, tabs as spaces, without control characters (a terminal would act on them) and
    lone surrogates (JSON can carry them, UTF-8 cannot), at most ``limit`` characters."""
    text = (text or "").strip().replace("\t", " ")
    cleaned = "".join(
        ch for ch in text if ch == "\n" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF)
    ).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _thin(ring: Ring) -> Ring:
    """Keep at most ``MAX_POLYGON_POINTS_KEPT`` points (every n-th, closed again)."""
    if len(ring) <= MAX_POLYGON_POINTS_KEPT:
        return ring
    step = -(-len(ring) // (MAX_POLYGON_POINTS_KEPT - 1))
    kept = ring[::step]
    return kept + (ring[0],) if kept[-1] != ring[0] else kept


# -- one neutral shape for XML and JSON ------------------------------------------------------------


def _alert_from_fields(get: Any, infos: list[Any], info_fields: Any) -> Alert:
    identifier = _required(get("identifier"), "identifier", MAX_ID)
    sender = _required(get("sender"), "sender", MAX_ID)
    try:
        sent = cap_time(_required(get("sent"), "sent", 64))
    except ValueError as exc:
        raise CapError(f"<sent> is not a CAP date and time: {exc}") from None
    status = _enumerated(get("status"), "status", STATUSES)
    msg_type = _enumerated(get("msgType"), "msgType", MSG_TYPES)
    scope = _enumerated(get("scope") or "Public", "scope", SCOPES)
    references = _references(get("references") or "")
    if len(infos) > MAX_INFOS:
        raise CapError(f"{len(infos)} <info> blocks, at most {MAX_INFOS}")
    texts: list[AlertText] = []
    areas: list[AlertArea] = []
    seen_shapes: set[AreaShape] = set()
    codes: list[tuple[str, str]] = []
    params: list[tuple[str, str]] = []
    responses: list[str] = []
    severity, urgency, onsets, expiries = "Unknown", "Unknown", [], []
    for info in infos:
        f = info_fields(info)
        sev = f["severity"] or "Unknown"
        if sev not in SEVERITY_RANK:
            raise CapError(f"<severity> {sev!r} is not a CAP severity")
        if SEVERITY_RANK[sev] >= SEVERITY_RANK[severity]:
            severity, urgency = sev, _cut(f["urgency"], 20) or "Unknown"
        for key in ("onset", "effective"):
            if f[key]:
                onsets.append(_time(f[key], key))
                break
        expiries.append(_time(f["expires"], "expires") if f["expires"] else None)
        texts.append(
            AlertText(
                language=_cut(f["language"] or "en-US", 35),
                event=_cut(f["event"], MAX_SHORT),
                headline=_cut(f["headline"], MAX_SHORT),
                description=_cut(f["description"], MAX_LONG),
                instruction=_cut(f["instruction"], MAX_LONG),
                sender_name=_cut(f["senderName"], MAX_SHORT),
                web=_cut(f["web"], MAX_SHORT),
                contact=_cut(f["contact"], MAX_SHORT),
            )
        )
        codes.extend(f["eventCode"])
        params.extend(f["parameter"])
        responses.extend(f["responseType"])
        for description, geocodes, polygons, circles in f["area"]:
            if len(areas) >= MAX_AREAS_READ:
                raise CapError(f"more than {MAX_AREAS_READ} areas")
            shape = _shape(geocodes, polygons, circles)
            if shape in seen_shapes and (shape.geocodes or shape.polygons or shape.circles):
                continue  # the same area in another language
            seen_shapes.add(shape)
            areas.append(AlertArea(description=_cut(description, MAX_SHORT), shape=shape))
    return Alert(
        identifier=identifier,
        sender=sender,
        sent=sent,
        status=status,
        msg_type=msg_type,
        scope=scope,
        severity=severity,
        urgency=urgency,
        onset=min(onsets) if onsets else None,
        expires=None if (not expiries or None in expiries) else max(e for e in expiries if e),
        references=references,
        texts=tuple(texts[:MAX_LANGUAGES]),
        areas=tuple(areas),
        event_codes=_unique(codes),
        parameters=_unique(params),
        response_types=tuple(dict.fromkeys(_cut(r, 20) for r in responses))[:8],
    )


def _unique(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((_cut(n, MAX_SHORT), _cut(v, MAX_LONG)) for n, v in pairs))[:32]


def _required(value: str | None, name: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise CapError(f"<{name}> is missing or empty")
    if len(text) > limit or _cut(text, limit) != text or "\n" in text:
        raise CapError(f"<{name}> is longer than {limit} characters or holds control characters")
    return text


def _enumerated(value: str | None, name: str, choices: tuple[str, ...]) -> str:
    text = (value or "").strip()
    if text not in choices:
        raise CapError(f"<{name}> {text!r} is not one of {', '.join(choices)}")
    return text


def _time(value: str, name: str) -> str:
    try:
        return cap_time(value)
    except ValueError as exc:
        raise CapError(f"<{name}> is not a CAP date and time: {exc}") from None


def _references(text: str) -> tuple[tuple[str, str, str], ...]:
    """CAP ``references``: space-separated ``sender,identifier,sent`` triplets."""
    found = []
    for triplet in text.split():
        parts = triplet.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapError(f"<references> holds {triplet[:80]!r}, not sender,identifier,sent")
        found.append((_cut(parts[0], MAX_ID), _cut(parts[1], MAX_ID), _cut(parts[2], 64)))
    return tuple(found[:32])


def _shape(geocodes: list[tuple[str, str]], polygons: list[str], circles: list[str]) -> AreaShape:
    codes, excluded = [], []
    for name, value in geocodes:
        if name.strip().upper() == EXCLUDE_POLYGON:
            try:
                excluded.append(_thin(parse_polygon(value)))
            except ValueError as exc:
                raise CapError(f"an EXCLUDE_POLYGON is not a polygon: {exc}") from None
        else:
            codes.append((_cut(name, MAX_SHORT), _cut(value, MAX_SHORT)))
    try:
        rings = tuple(_thin(parse_polygon(p)) for p in polygons[:MAX_SHAPES])
        round_ones = tuple(parse_circle(c) for c in circles[:MAX_SHAPES])
        if any(radius > 20000 for _, radius in round_ones):
            raise ValueError("a circle larger than the earth")
    except ValueError as exc:
        raise CapError(f"an area's polygon or circle is not valid: {exc}") from None
    return AreaShape(
        geocodes=tuple(codes[:32]), polygons=rings, circles=round_ones, excluded=tuple(excluded[:MAX_SHAPES])
    )


# -- XML -----------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{name}"


def _child_text(element: Element, name: str) -> str | None:
    child = element.find(_q(name))
    return None if child is None else (child.text or "")


def _children_text(element: Element, name: str) -> list[str]:
    return [child.text or "" for child in element.findall(_q(name))]


def _value_pairs(element: Element, name: str) -> list[tuple[str, str]]:
    return [
        ((child.findtext(_q("valueName")) or "").strip(), (child.findtext(_q("value")) or "").strip())
        for child in element.findall(_q(name))
    ]


def _xml_info(info: Element) -> dict[str, Any]:
    fields: dict[str, Any] = {
        name: _child_text(info, name)
        for name in (
            "language", "event", "urgency", "severity", "effective", "onset", "expires", "senderName",
            "headline", "description", "instruction", "web", "contact",
        )
    }
    fields["responseType"] = [t.strip() for t in _children_text(info, "responseType")]
    fields["eventCode"] = _value_pairs(info, "eventCode")
    fields["parameter"] = _value_pairs(info, "parameter")
    fields["area"] = [
        (
            area.findtext(_q("areaDesc")) or "",
            _value_pairs(area, "geocode"),
            _children_text(area, "polygon"),
            _children_text(area, "circle"),
        )
        for area in info.findall(_q("area"))
    ]
    return fields


def parse_cap_xml(data: bytes) -> Alert:
    """One CAP 1.2 ``<alert>`` document; ``CapError`` for anything else (never an entity expanded,
    never a DTD or external resource read)."""
    if len(data) > MAX_CAP_BYTES:
        raise CapError(f"{len(data)} bytes, more than the {MAX_CAP_BYTES} allowed for one alert")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CapError(f"refused XML construct ({type(exc).__name__}): DTDs and entities are not allowed") from None
    except (ParseError, ValueError, LookupError) as exc:  # LookupError: an unknown encoding declared
        raise CapError(f"not well-formed XML: {exc}") from None
    if root.tag != _q("alert"):
        raise CapError(f"the document is <{root.tag}>, not a CAP 1.2 <alert> ({CAP_NAMESPACE})")
    return _alert_from_fields(lambda name: _child_text(root, name), root.findall(_q("info")), _xml_info)


# -- NINA's JSON rendering -----------------------------------------------------------------------


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise CapError("a CAP field holds a list or object where a text belongs")


def _json_list(value: object) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _json_pairs(value: object) -> list[tuple[str, str]]:
    pairs = []
    for item in _json_list(value):
        if not isinstance(item, dict):
            raise CapError("a valueName/value list holds something else")
        pairs.append(((_json_text(item.get("valueName")) or "").strip(), (_json_text(item.get("value")) or "").strip()))
    return pairs


def _json_info(info: object) -> dict[str, Any]:
    if not isinstance(info, dict):
        raise CapError("an info is not an object")
    fields: dict[str, Any] = {
        name: _json_text(info.get(name))
        for name in (
            "language", "event", "urgency", "severity", "effective", "onset", "expires", "senderName",
            "headline", "description", "instruction", "web", "contact",
        )
    }
    fields["responseType"] = [str(_json_text(t)).strip() for t in _json_list(info.get("responseType"))]
    fields["eventCode"] = _json_pairs(info.get("eventCode"))
    fields["parameter"] = _json_pairs(info.get("parameter"))
    areas = []
    for area in _json_list(info.get("area")):
        if not isinstance(area, dict):
            raise CapError("an area is not an object")
        areas.append(
            (
                _json_text(area.get("areaDesc")) or "",
                _json_pairs(area.get("geocode")),
                [str(_json_text(p)) for p in _json_list(area.get("polygon"))],
                [str(_json_text(c)) for c in _json_list(area.get("circle"))],
            )
        )
    fields["area"] = areas
    return fields


def is_nina_warning(value: object) -> bool:
    """A JSON object shaped like one CAP alert (as ``/api31/warnings/<id>.json`` serves it)."""
    return isinstance(value, dict) and "identifier" in value and "info" in value


def parse_nina_json(value: object) -> Alert:
    """One alert in NINA's JSON rendering of CAP."""
    if not is_nina_warning(value):
        raise CapError("the JSON is not a CAP alert (no 'identifier' and 'info')")
    assert isinstance(value, dict)
    return _alert_from_fields(lambda name: _json_text(value.get(name)), _json_list(value.get("info")), _json_info)


def parse_json_bytes(data: bytes) -> object:
    """JSON text bounded like a CAP document; ``CapError`` when it is not JSON."""
    if len(data) > MAX_CAP_BYTES:
        raise CapError(f"{len(data)} bytes, more than the {MAX_CAP_BYTES} allowed")
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CapError(f"not valid JSON: {exc}") from None
