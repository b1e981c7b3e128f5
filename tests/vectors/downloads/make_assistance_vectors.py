"""Make ``assistance.json``: entries of the ``volunteers`` and ``powers`` download channels
(docs/downloads.md 5.1, 5.2) with the badge, PIN and power codes they hash, and entries a reader
must refuse. Deterministic: the Argon2id salts are fixed here (real ones are random), so running
it again gives the same file: ``python tests/vectors/downloads/make_assistance_vectors.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from argon2.low_level import Type, hash_secret

HERE = Path(__file__).parent
COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1, "hash_len": 32, "type": Type.ID}
BADGE_SECRET = "31415926535897932384626433832795"
PIN = "271828"
POWER_SECRET = "14142135623730950488016887242096"


def _hash(secret: str, salt: bytes) -> str:
    return hash_secret(secret.encode(), salt, **COST).decode()


def main() -> None:
    volunteer = {
        "id": "V0007", "name": "Anna M.", "valid_until": "2027-06-30", "revoked_at": "",
        "badge": _hash(BADGE_SECRET, b"vector-badge-salt"), "pin": _hash(PIN, b"vector-pin-salt0"),
    }
    revoked = {
        "id": "V0008", "name": "Bernd K.", "valid_until": "2027-06-30", "revoked_at": "2026-11-02T08:00:00Z",
        "badge": "", "pin": "",
    }
    power = {
        "id": "P0003", "services": ["nachricht", "termin_buergerbuero"], "valid_from": "2026-12-01",
        "valid_until": "2027-03-31", "revoked_at": "", "code": _hash(POWER_SECRET, b"vector-power-salt"),
        "agent": "Karl S.", "principal": "Maria S.",
    }
    refused_volunteers = [
        ("id_pattern", {**volunteer, "id": "v7"}),
        ("name_two_lines", {**volunteer, "name": "Anna\nM."}),
        ("name_too_long", {**volunteer, "name": "A" * 41}),
        ("not_a_day", {**volunteer, "valid_until": "30.06.2027"}),
        ("not_argon2id", {**volunteer, "pin": "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"}),
        ("unknown_key", {**volunteer, "email": "anna@example.org"}),
        ("missing_key", {k: v for k, v in volunteer.items() if k != "revoked_at"}),
    ]
    refused_powers = [
        ("no_service", {**power, "services": []}),
        ("service_twice", {**power, "services": ["nachricht", "nachricht"]}),
        ("id_pattern", {**power, "id": "V0003"}),
        ("revoked_at_not_a_timestamp", {**power, "revoked_at": "yesterday"}),
    ]
    vectors = {
        "description": "Entries of the volunteers and powers channels. The volunteer V0007's badge code is "
        "RKB.V0007.<badge_secret> and their PIN is pin; the power P0003's code is RKP.P0003.<power_secret>. "
        "Argon2id costs are low here to keep checks fast; the format carries the costs in the hash.",
        "badge_secret": BADGE_SECRET,
        "pin": PIN,
        "power_secret": POWER_SECRET,
        "volunteers": [volunteer, revoked],
        "powers": [power],
        "refused_volunteers": [{"name": n, "entry": e} for n, e in refused_volunteers],
        "refused_powers": [{"name": n, "entry": e} for n, e in refused_powers],
    }
    (HERE / "assistance.json").write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
