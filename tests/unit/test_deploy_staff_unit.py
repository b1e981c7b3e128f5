"""The staff workplace's systemd unit: next to the private key, apart from the kiosk-facing server,
hardened like it; and the server's unit keeps the workplace's folder out of its sight."""

from __future__ import annotations

from pathlib import Path

TOWNHALL = Path(__file__).resolve().parents[2] / "deploy" / "townhall"
STAFF_UNIT = TOWNHALL / "rathaus-staff.service"
SERVER_UNIT = TOWNHALL / "rathaus-server.service"


def _settings(unit: Path, name: str) -> list[str]:
    return [
        line.split("=", 1)[1].strip().lstrip("-")
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line.startswith(name + "=")
    ]


def test_the_workplace_listens_on_loopback_only_as_the_service_user():
    (start,) = _settings(STAFF_UNIT, "ExecStart")
    assert start.split()[1:4] == ["staff", "serve", "--host"] and "--host 127.0.0.1" in start
    assert _settings(STAFF_UNIT, "User") == ["rathaus"]
    assert "RATHAUS_TOWNHALL_DIR=/var/lib/rathaus/townhall" in _settings(STAFF_UNIT, "Environment")


def test_the_workplace_is_hardened_like_the_server():
    for setting in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
                    "RestrictNamespaces", "CapabilityBoundingSet", "SystemCallFilter", "UMask", "ProtectProc"):
        assert _settings(STAFF_UNIT, setting) == _settings(SERVER_UNIT, setting), setting
    assert _settings(STAFF_UNIT, "ReadWritePaths") == ["/var/lib/rathaus/townhall"]


def test_the_workplace_can_read_the_private_key_and_the_server_cannot():
    hidden_from_workplace = _settings(STAFF_UNIT, "InaccessiblePaths")
    assert not any("encryption" in path for path in hidden_from_workplace)
    assert "/var/lib/rathaus/townhall/keys/townhall-encryption.key" in _settings(SERVER_UNIT, "InaccessiblePaths")


def test_the_server_cannot_see_the_workplace_accounts_or_session_key():
    assert "/var/lib/rathaus/townhall/staff" in _settings(SERVER_UNIT, "InaccessiblePaths")
