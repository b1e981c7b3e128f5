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


DISTRICT = UNIT.parents[1] / "server"


def _district_settings(unit: str, name: str) -> list[str]:
    return [
        line.split("=", 1)[1].strip().lstrip("-")
        for line in (DISTRICT / unit).read_text(encoding="utf-8").splitlines()
        if line.startswith(name + "=")
    ]


def test_the_district_server_runs_as_the_role_that_cannot_enrol_kiosks_and_writes_no_file():
    """On PostgreSQL the server's database role only reads kiosk_approvals (roles.sql); its
    system user is that role, and every town's folder (keys, server.toml) is read-only to it."""
    assert _district_settings("rathaus-district.service", "User") == ["rathaus_server"]
    assert "/var/lib/rathaus/towns" in _district_settings("rathaus-district.service", "ReadOnlyPaths")
    assert _district_settings("rathaus-district.service", "ReadWritePaths") == []
    start = _district_settings("rathaus-district.service", "ExecStart")[0]
    assert "--towns /var/lib/rathaus/towns" in start and "--workers" in start
    assert "RATHAUS_LOG_FORMAT=json" in _district_settings("rathaus-district.service", "Environment")
    roles = (DISTRICT / "roles.sql").read_text(encoding="utf-8")
    assert "GRANT SELECT ON kiosk_approvals, schema_migrations TO rathaus_server;" in roles
    assert "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON kiosk_approvals" in roles


def test_backups_are_made_by_the_administrators_role_and_the_setup_script_is_valid_shell():
    import subprocess

    assert _district_settings("rathaus-backup.service", "User") == ["rathaus_admin"]
    assert "rathaus database backup" in _district_settings("rathaus-backup.service", "ExecStart")[0]
    assert subprocess.run(["sh", "-n", str(DISTRICT / "setup-postgres.sh")]).returncode == 0
    script = (DISTRICT / "setup-postgres.sh").read_text(encoding="utf-8")
    assert "database migrate" in script and "roles.sql" in script
