"""Write ``channel.json``: the ``warnings`` part a town hall with areas 15090535 (Tangerhütte)
sends at 2026-12-05T10:00:00Z after importing the CAP samples of this folder (docs/downloads.md
§11), and entries a kiosk must refuse. Run: ``python tests/vectors/warnings/make_vectors.py``."""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from sync.warnings.alerts import alert_to_json  # noqa: E402
from sync.warnings.area import parse_area_key  # noqa: E402
from sync.warnings.channel import version_of  # noqa: E402
from sync.warnings.snapshot import for_citizens  # noqa: E402
from sync.warnings.sources import read_document  # noqa: E402
from sync.warnings.store import WarningsStore  # noqa: E402

NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)
AS_OF = "2026-12-05T09:55:00Z"


def build(folder: Path) -> dict:
    with WarningsStore(folder) as store:
        for path in sorted(HERE.glob("*.xml")) + sorted(HERE.glob("*.json")):
            if path.name == "channel.json":
                continue
            for _, alert in read_document(path.name, path.read_bytes()).alerts:
                store.add(alert, source=path.name, now=NOW)
        alerts = for_citizens(store.current(NOW), (parse_area_key("15090535", (52.4297, 11.8069)),))
    entries = [alert_to_json(a) for a in alerts]
    bad = []
    for name, change in NEGATIVE.items():
        entry = copy.deepcopy(entries[0])
        change(entry)
        bad.append({"name": name, "entry": entry, "expected": "malformed"})
    return {
        "description": "channel 'warnings' for areas ['15090535'] with point 52.4297,11.8069 at 2026-12-05T10:00:00Z",
        "part": {"as_of": AS_OF, "from_version": 0, "more": False, "snapshot": entries, "version": version_of(AS_OF)},
        "negative": bad,
    }


NEGATIVE = {
    "unknown_key": lambda e: e.update(colour="red"),
    "severity_not_in_cap": lambda e: e.update(severity="Catastrophic"),
    "status_not_in_cap": lambda e: e.update(status="Real"),
    "sent_not_utc": lambda e: e.update(sent="2026-12-05T10:40:00+01:00"),
    "headline_with_control_character": lambda e: e["texts"][0].update(headline="Gro\x1b[2Jbrand"),
    "headline_too_long": lambda e: e["texts"][0].update(headline="x" * 301),
    "polygon_of_three_points": lambda e: e["areas"][0].update(polygons=[[[52.4, 11.8], [52.5, 11.8], [52.4, 11.8]]]),
    "latitude_out_of_range": lambda e: e["areas"][0].update(polygons=[[[95.0, 11.8], [52.5, 11.8], [52.5, 11.9], [95.0, 11.8]]]),
    "geocode_not_a_pair": lambda e: e["areas"][0].update(geocodes=[["SHN"]]),
}


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        data = build(Path(folder))
    (HERE / "channel.json").write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
