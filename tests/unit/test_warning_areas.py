"""Which warnings concern the kiosk's place: municipality keys, DWD warn cells, MoWaS ARS, polygons."""

from __future__ import annotations

import pytest

from sync.warnings.area import (
    AreaKeyError,
    AreaShape,
    area_matches,
    code_matches,
    parse_area_key,
    parse_polygon,
)

TANGERHUETTE = parse_area_key("15090535")
TANGERHUETTE_ARS = parse_area_key("150900535535")
IN_TANGERHUETTE = (52.4297, 11.8069)


def test_ars_and_ags_name_the_same_municipality():
    assert TANGERHUETTE_ARS.ags == "15090535"
    assert TANGERHUETTE_ARS.ars == "150900535535"


@pytest.mark.parametrize("text", ["1509053", "15090535x", "990905350000", "15000000", ""])
def test_keys_that_are_no_municipality_are_refused(text):
    with pytest.raises(AreaKeyError):
        parse_area_key(text)


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("WARNCELLID", "815090535", True),  # the municipality cell
        ("WARNCELLID", "815090520", False),  # Stendal, the neighbour
        ("WARNCELLID", "115090000", True),  # the whole Kreis Stendal
        ("WARNCELLID", "115081000", False),  # Altmarkkreis Salzwedel
        ("WARNCELLID", "501000005", False),  # a coast: only its polygon could match
        ("SHN", "150900535535", True),
        ("ARS", "150900000000", True),  # the Kreis
        ("ARS", "150000000000", True),  # Sachsen-Anhalt
        ("ARS", "000000000000", True),  # Germany
        ("ARS", "150900535000", True),  # its own Verband (an Einheitsgemeinde)
        ("ARS", "150905005000", False),  # another Verband
        ("ARS", "160000000000", False),  # Thüringen
        ("AGS", "15090000", True),
        ("AreaId", "0", False),  # NINA's placeholder says nothing
    ],
)
def test_codes(name, value, expected):
    assert code_matches(name, value, TANGERHUETTE) is expected
    assert code_matches(name, value, TANGERHUETTE_ARS) is expected


def test_polygon_is_the_fallback_when_no_code_fits():
    box = parse_polygon("52.35,11.70 52.35,11.95 52.50,11.95 52.50,11.70 52.35,11.70")
    area = AreaShape(geocodes=(("WARNCELLID", "815090520"),), polygons=(box,))
    assert not area_matches(area, TANGERHUETTE)  # no coordinates: codes only
    assert area_matches(area, parse_area_key("15090535", IN_TANGERHUETTE))
    hole = parse_polygon("52.42,11.80 52.42,11.81 52.44,11.81 52.44,11.80 52.42,11.80")
    assert not area_matches(AreaShape(polygons=(box,), excluded=(hole,)), parse_area_key("15090535", IN_TANGERHUETTE))
    elsewhere = parse_area_key("15090535", (52.60, 11.85))
    assert not area_matches(AreaShape(polygons=(box,)), elsewhere)


def test_circle():
    area = AreaShape(circles=(((52.43, 11.80), 2.0),))
    assert area_matches(area, parse_area_key("15090535", IN_TANGERHUETTE))
    assert not area_matches(area, parse_area_key("15090535", (52.60, 11.80)))
