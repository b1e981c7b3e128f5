"""``rathaus configure --warning-area / --warning-coordinates``: a key that is no municipality key
or coordinates outside Germany are refused and nothing changes; a good key is stored as given."""

from __future__ import annotations

from kiosk.cli import main
from kiosk.config import load_config


def test_a_municipality_key_and_coordinates_are_kept(enrol, capsys):
    kiosk_dir, _ = enrol("kiosk-area")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--warning-area", "1509 0535",
                 "--warning-coordinates", "52.4297, 11.8069"]) == 0
    config = load_config(kiosk_dir)
    assert (config.warning_area, config.warning_coordinates) == ("15090535", "52.4297,11.8069")
    assert main(["configure", "--data-dir", str(kiosk_dir), "--warning-area", "150900535535"]) == 0
    assert load_config(kiosk_dir).warning_area == "150900535535"


def test_a_wrong_key_or_a_place_abroad_changes_nothing(enrol, capsys):
    kiosk_dir, _ = enrol("kiosk-area")
    main(["configure", "--data-dir", str(kiosk_dir), "--warning-area", "15090535"])
    capsys.readouterr()
    assert main(["configure", "--data-dir", str(kiosk_dir), "--location", "Rathaus", "--warning-area", "1509053"]) == 1
    err = capsys.readouterr().err
    assert "8 Ziffern (AGS, z. B. 15090535 für Tangerhütte) oder 12 Ziffern (ARS" in err
    assert "es wurde nichts geändert" in err
    assert main(["configure", "--data-dir", str(kiosk_dir), "--warning-coordinates", "48.85,2.35"]) == 1  # Paris
    assert "Breite,Länge in Deutschland" in capsys.readouterr().err
    config = load_config(kiosk_dir)
    assert (config.warning_area, config.location, config.warning_coordinates) == ("15090535", "", "")
