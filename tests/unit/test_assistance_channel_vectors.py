"""The volunteers and powers channel vectors (docs/downloads.md 5.1, 5.2): what a kiosk must accept,
check a badge, PIN or power code against, and refuse."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from assisted_mode import credentials
from kiosk.errors import EnvelopeError
from sync.envelope.assistance_channels import check_power_entry, check_volunteer, power_to_json, volunteer_to_json

FOLDER = Path(__file__).parents[1] / "vectors" / "downloads"
VECTORS = json.loads((FOLDER / "assistance.json").read_text())


def test_entries_are_read_back_exactly_and_the_codes_match_their_hashes():
    active, revoked = (check_volunteer(entry, n) for n, entry in enumerate(VECTORS["volunteers"]))
    power = check_power_entry(VECTORS["powers"][0], 0)
    assert [volunteer_to_json(active), volunteer_to_json(revoked)] == VECTORS["volunteers"]
    assert power_to_json(power) == VECTORS["powers"][0]
    badge = credentials.read_code(credentials.badge_code("V0007", VECTORS["badge_secret"]))
    assert credentials.secret_matches(badge.secret, active.badge_hash)
    assert credentials.secret_matches(VECTORS["pin"], active.pin_hash)
    assert not credentials.secret_matches(VECTORS["pin"], active.badge_hash)
    assert credentials.secret_matches(VECTORS["power_secret"], power.code_hash)
    assert revoked.revoked_at and not revoked.badge_hash and not revoked.pin_hash


@pytest.mark.parametrize("case", VECTORS["refused_volunteers"], ids=lambda c: c["name"])
def test_a_bad_volunteer_entry_is_refused(case):
    with pytest.raises(EnvelopeError):
        check_volunteer(case["entry"], 0)


@pytest.mark.parametrize("case", VECTORS["refused_powers"], ids=lambda c: c["name"])
def test_a_bad_power_entry_is_refused(case):
    with pytest.raises(EnvelopeError):
        check_power_entry(case["entry"], 0)


def test_the_generator_writes_exactly_the_committed_vectors(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_assistance_vectors", FOLDER / "make_assistance_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    assert json.loads((tmp_path / "assistance.json").read_text()) == VECTORS
