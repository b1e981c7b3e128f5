"""The town-hall server's systemd unit keeps what the server must not change out of its reach."""

from __future__ import annotations

from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "townhall" / "rathaus-server.service"


def _settings(name: str) -> list[str]:
    return [
        line.split("=", 1)[1].strip().lstrip("-")
        for line in UNIT.read_text(encoding="utf-8").splitlines()
        if line.startswith(name + "=")
    ]


def test_the_server_cannot_write_the_list_of_enrolled_kiosks_that_staff_trust():
    """A taken-over server adding its own kiosk to kiosks.json could sign forged applications."""
    assert "/var/lib/rathaus/townhall/keys" in _settings("ReadOnlyPaths")
    assert "/var/lib/rathaus/townhall" in _settings("ReadWritePaths")


def test_the_server_never_sees_a_private_encryption_key():
    hidden = _settings("InaccessiblePaths")
    assert "/var/lib/rathaus/townhall/keys/townhall-encryption.key" in hidden
    assert "/var/lib/rathaus/townhall/keys/previous-encryption" in hidden
