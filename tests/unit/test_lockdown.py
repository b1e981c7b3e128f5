"""deploy/kiosk/lockdown.sh, run against a folder standing in for the machine (``ROOT=``): the
files it writes close each way out of the kiosk, and booting still needs nobody at the keyboard."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT_DIR = Path(__file__).resolve().parents[2]
SCRIPT = ROOT_DIR / "deploy" / "kiosk" / "lockdown.sh"
PASSWORD = "Rathaus-Tresor-2026"

# The start of Debian 12's /etc/grub.d/10_linux, as far as the script cares.
DEBIAN_10_LINUX = """#! /bin/sh
set -e
prefix="/usr"
CLASS="--class gnu-linux --class gnu --class os"

if [ "x${GRUB_DISTRIBUTOR}" = "x" ] ; then
  OS=GNU/Linux
else
  OS="${GRUB_DISTRIBUTOR} GNU/Linux"
  CLASS="--class $(echo ${GRUB_DISTRIBUTOR} | tr 'A-Z' 'a-z' | cut -d' ' -f1) ${CLASS}"
fi
"""

needs_systemctl = pytest.mark.skipif(shutil.which("systemctl") is None, reason="systemctl writes the unit links")


def test_the_script_is_valid_bash():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


@pytest.fixture
def machine(tmp_path):
    """A fake Debian root with GRUB, a console font setting, gdm as display manager and an older
    kiosk's 0644 settings file."""
    root = tmp_path / "root"
    (root / "etc" / "default").mkdir(parents=True)
    (root / "etc" / "default" / "grub").write_text('GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n')
    (root / "etc" / "default" / "console-setup").write_text('FONTFACE="Fixed"\nFONTSIZE="8x16"\n')
    (root / "etc" / "grub.d").mkdir()
    (root / "etc" / "grub.d" / "10_linux").write_text(DEBIAN_10_LINUX)
    units = root / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    (units / "display-manager.service").symlink_to("/lib/systemd/system/gdm3.service")
    data = root / "var" / "lib" / "rathaus" / "kiosk"
    data.mkdir(parents=True)
    (data / "kiosk.toml").write_text('staff_pin_hash = "scrypt$00$00"\n')
    (data / "kiosk.toml").chmod(0o644)
    return root


def lockdown(root: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    script_text = SCRIPT.read_text()
    # Never run a version that would change this machine instead of the folder.
    assert 'ROOT=${ROOT:-}' in script_text and "on_this_machine" in script_text, "no ROOT= support"
    environment = {"PATH": os.environ["PATH"], "ROOT": str(root), "PYTHON": sys.executable, **env}
    return subprocess.run(
        ["bash", str(SCRIPT)], env=environment, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )


def password_file(tmp_path: Path, password: str = PASSWORD) -> str:
    path = tmp_path / "grub-password"
    path.write_text(password + "\n")
    return str(path)


def grub_hash_matches(line_hash: str, password: str) -> bool:
    _grub, _pbkdf2, _sha512, rounds, salt, digest = line_hash.split(".")
    computed = hashlib.pbkdf2_hmac("sha512", password.encode(), bytes.fromhex(salt), int(rounds), 64)
    return computed.hex().upper() == digest


def link(root: Path, unit: str) -> str:
    return os.readlink(root / "etc" / "systemd" / "system" / unit)


@needs_systemctl
def test_every_way_out_from_the_keyboard_is_closed(machine, tmp_path):
    done = lockdown(machine, tmp_path, GRUB_PASSWORD_FILE=password_file(tmp_path))
    assert done.returncode == 0, done.stderr
    etc = machine / "etc"
    system_conf = (etc / "systemd" / "system.conf.d" / "rathaus-kiosk.conf").read_text()
    assert "[Manager]" in system_conf and "CtrlAltDelBurstAction=none" in system_conf
    assert link(machine, "ctrl-alt-del.target") == "/dev/null"
    logind = (etc / "systemd" / "logind.conf.d" / "rathaus-kiosk.conf").read_text()
    for key in ("HandlePowerKey", "HandlePowerKeyLongPress", "HandleRebootKey", "HandleSuspendKey",
                "HandleHibernateKey", "HandleLidSwitch"):
        assert f"\n{key}=ignore\n" in logind
    assert "NAutoVTs=0" in logind
    assert (etc / "sysctl.d" / "90-rathaus-kiosk.conf").read_text().strip() == "kernel.sysrq = 0"
    assert link(machine, "default.target").endswith("/multi-user.target")
    assert link(machine, "display-manager.service") == "/dev/null"
    for manager in ("gdm3.service", "lightdm.service", "sddm.service"):
        assert link(machine, manager) == "/dev/null"
    assert link(machine, "multi-user.target.wants/rathaus-kiosk.service") == "/etc/systemd/system/rathaus-kiosk.service"
    assert (etc / "systemd" / "system" / "rathaus-kiosk.service").read_text().startswith("# Rathaus-Kiosk")
    assert 'FONTSIZE="16x32"' in (etc / "default" / "console-setup").read_text()
    settings = machine / "var" / "lib" / "rathaus" / "kiosk" / "kiosk.toml"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600


@needs_systemctl
def test_grub_boots_without_a_password_but_editing_needs_one(machine, tmp_path):
    done = lockdown(machine, tmp_path, GRUB_PASSWORD_FILE=password_file(tmp_path))
    assert done.returncode == 0, done.stderr
    grub_d = machine / "etc" / "grub.d"
    password = grub_d / "01_rathaus-password"
    assert stat.S_IMODE(password.stat().st_mode) == 0o700  # executable for grub-mkconfig, root only
    text = password.read_text()
    assert 'set superusers="kioskadmin"' in text
    (line_hash,) = re.findall(r"^password_pbkdf2 kioskadmin (grub\.pbkdf2\.sha512\.\S+)$", text, re.M)
    assert grub_hash_matches(line_hash, PASSWORD)
    assert PASSWORD not in text and PASSWORD not in done.stdout + done.stderr
    generated = subprocess.run(["sh", str(password)], capture_output=True, text=True, check=True).stdout
    assert generated.splitlines() == ['set superusers="kioskadmin"', f"password_pbkdf2 kioskadmin {line_hash}"]

    class_line = next(line for line in (grub_d / "10_linux").read_text().splitlines() if line.startswith("CLASS=\"--class gnu-linux"))
    assert class_line == 'CLASS="--class gnu-linux --class gnu --class os --unrestricted"'
    defaults = (machine / "etc" / "default" / "grub.d" / "rathaus-kiosk.cfg").read_text()
    assert "GRUB_DISABLE_RECOVERY=true" in defaults  # recovery entries would be a root shell

    again = lockdown(machine, tmp_path)  # run again: nothing asked, nothing doubled
    assert again.returncode == 0, again.stderr
    assert password.read_text() == text
    assert (grub_d / "10_linux").read_text().count("--unrestricted") == 1


@needs_systemctl
def test_without_a_terminal_a_grub_password_is_generated_and_shown_once(machine, tmp_path):
    done = lockdown(machine, tmp_path)
    assert done.returncode == 0, done.stderr
    shown = re.search(r"shown only now\):\n\s+(\S+)\n", done.stderr)
    assert shown, done.stderr
    generated = shown.group(1)
    assert len(generated) >= 16
    line_hash = re.search(r"password_pbkdf2 kioskadmin (\S+)", (machine / "etc/grub.d/01_rathaus-password").read_text()).group(1)
    assert grub_hash_matches(line_hash, generated)


@needs_systemctl
def test_a_short_grub_password_changes_nothing_in_grub(machine, tmp_path):
    done = lockdown(machine, tmp_path, GRUB_PASSWORD_FILE=password_file(tmp_path, "kiosk"))
    assert done.returncode != 0
    assert "12" in done.stderr
    assert not (machine / "etc" / "grub.d" / "01_rathaus-password").exists()


@needs_systemctl
def test_a_grub_that_cannot_mark_entries_unrestricted_gets_no_password(machine, tmp_path):
    """A password on every entry would leave a kiosk that cannot start again after a power cut."""
    (machine / "etc" / "grub.d" / "10_linux").write_text("#! /bin/sh\necho something else\n")
    done = lockdown(machine, tmp_path, GRUB_PASSWORD_FILE=password_file(tmp_path))
    assert done.returncode != 0
    assert "--unrestricted" in done.stderr
    assert not (machine / "etc" / "grub.d" / "01_rathaus-password").exists()


@needs_systemctl
def test_speech_gets_the_same_loudness_after_every_boot(machine, tmp_path):
    done = lockdown(machine, tmp_path, GRUB_PASSWORD_FILE=password_file(tmp_path), RATHAUS_VOLUME="70")
    assert done.returncode == 0, done.stderr
    etc = machine / "etc"
    assert (etc / "default" / "rathaus-volume").read_text().splitlines()[-1] == "RATHAUS_VOLUME=70"
    unit = (etc / "systemd" / "system" / "rathaus-volume.service").read_text()
    assert "ExecStart=-/usr/bin/amixer -q sset Master ${RATHAUS_VOLUME}% unmute" in unit
    assert "EnvironmentFile=-/etc/default/rathaus-volume" in unit
    assert link(machine, "multi-user.target.wants/rathaus-volume.service") == "/etc/systemd/system/rathaus-volume.service"
    kiosk_unit = (etc / "systemd" / "system" / "rathaus-kiosk.service").read_text()
    assert "SupplementaryGroups=audio" in kiosk_unit  # amixer and espeak-ng reach the sound card
    script = SCRIPT.read_text()
    assert "apt-get install -y --no-install-recommends espeak-ng alsa-utils" in script


@needs_systemctl
def test_a_volume_that_is_no_percentage_changes_nothing(machine, tmp_path):
    done = lockdown(machine, tmp_path, GRUB_PASSWORD_FILE=password_file(tmp_path), RATHAUS_VOLUME="loud")
    assert done.returncode != 0
    assert "RATHAUS_VOLUME" in done.stderr
    assert not (machine / "etc" / "default" / "rathaus-volume").exists()
    assert not (machine / "etc" / "systemd" / "logind.conf.d").exists()
