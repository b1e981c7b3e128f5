"""Whatever a feed sends, reading it yields alerts or a refusal naming why: CAP XML with bytes
changed, cut or inserted, NINA JSON with values swapped, zip files with bytes flipped, and warning
entries of a download with fields replaced. Nothing else is ever raised."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kiosk.errors import EnvelopeError
from sync.warnings.alerts import alert_from_json, alert_to_json
from sync.warnings.cap import CapError, parse_cap_xml
from sync.warnings.sources import read_document
from tests.fuzz.support import fuzz_settings

SAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "warnings"
XML = [(SAMPLES / n).read_bytes() for n in ("dwd-severe-gusts.xml", "mowas-fire-smoke.xml", "flood-update.xml")]
NINA = (SAMPLES / "nina-drinking-water.json").read_bytes()
ENTRY = alert_to_json(parse_cap_xml(XML[0]))


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", data)
    return buffer.getvalue()


ZIPPED = _zip(XML[0])


@st.composite
def mangled(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["flip", "cut", "insert"]))
        if kind == "flip" and data:
            data[where] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[where : where + draw(st.integers(1, 200))]
        else:
            data[where:where] = draw(st.binary(min_size=1, max_size=40))
    return bytes(data)


@fuzz_settings(40)
@given(st.sampled_from(XML).flatmap(mangled))
def test_mangled_cap_xml_is_an_alert_or_a_cap_error(data):
    try:
        alert = parse_cap_xml(data)
    except CapError:
        return
    assert alert_from_json(json.loads(json.dumps(alert_to_json(alert), ensure_ascii=False))) == alert


@fuzz_settings(40)
@given(st.one_of(mangled(NINA), mangled(ZIPPED)))
def test_mangled_json_and_zip_files_are_read_or_refused(data):
    harvest = read_document("feed", data)
    assert all(refusal.reason for refusal in harvest.refused)
    for _name, alert in harvest.alerts:  # whatever is imported, a kiosk accepts on the wire
        wire = json.dumps(alert_to_json(alert), ensure_ascii=False).encode("utf-8")
        assert alert_from_json(json.loads(wire)) == alert


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@fuzz_settings(40)
@given(st.sampled_from(sorted(ENTRY)), JSONISH)
def test_a_warning_entry_with_a_field_replaced_is_read_or_refused_as_malformed(key, value):
    entry = copy.deepcopy(ENTRY)
    entry[key] = value
    try:
        alert_from_json(json.loads(json.dumps(entry, allow_nan=True)))
    except EnvelopeError as exc:
        assert exc.code in ("malformed", "too_large")
