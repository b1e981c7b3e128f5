"""The ``warnings`` channel's vectors (tests/vectors/warnings/channel.json, docs/downloads.md §11):
the generator still writes exactly them, a kiosk reads the part, and refuses every negative entry
(and with it the whole answer)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError
from sync.envelope.downloads import build_download, read_download
from sync.envelope.downloads import ChannelPart
from sync.warnings.alerts import alert_from_json, alert_to_json
from sync.warnings.channel import CHANNEL

HERE = Path(__file__).resolve().parents[1] / "vectors" / "warnings"
VECTORS = json.loads((HERE / "channel.json").read_text(encoding="utf-8"))


def test_the_generator_writes_exactly_these_vectors(tmp_path):
    spec = importlib.util.spec_from_file_location("make_warning_vectors", HERE / "make_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build(tmp_path) == VECTORS


def test_a_kiosk_reads_the_part_entry_by_entry():
    entries = VECTORS["part"]["snapshot"]
    alerts = [alert_from_json(entry, n) for n, entry in enumerate(entries)]
    assert [alert_to_json(a) for a in alerts] == entries
    assert [a.severity for a in alerts] == ["Extreme", "Severe", "Moderate", "Minor"]
    assert alerts[0].areas[0].shape.polygons == ()  # found by its code: the polygon stays at the town hall
    assert alerts[2].areas[0].shape.polygons  # found only by its polygon: it travels


@pytest.mark.parametrize("case", VECTORS["negative"], ids=lambda c: c["name"])
def test_every_negative_entry_is_refused(case):
    with pytest.raises(EnvelopeError) as refused:
        alert_from_json(case["entry"])
    assert refused.value.code == case["expected"]


def test_a_signed_answer_round_trips():
    alerts = tuple(alert_from_json(e, n) for n, e in enumerate(VECTORS["part"]["snapshot"]))
    part = ChannelPart(CHANNEL, "snapshot", 0, VECTORS["part"]["version"], VECTORS["part"]["as_of"], alerts)
    data = build_download({CHANNEL: part}, kiosk_id="kiosk-a", signing_key=Ed25519PrivateKey.generate(), created_at="2026-12-05T10:00:00Z")
    read = read_download(data)
    assert read.parts[CHANNEL].entries == alerts
    assert read.parts[CHANNEL].to_json() == VECTORS["part"]
