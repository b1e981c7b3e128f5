#!/usr/bin/env bash
# Lock a Debian machine down as a Rathaus-Kiosk terminal. Safe to run again.
# Run as root after installing the package to /opt/rathaus (see README.md in this folder).
#
# Environment:
#   ROOT=/path            write every file below /path instead of into the running system, and
#                         leave the running machine alone (no users, no systemctl on it, no
#                         sysctl, no update-grub): to prepare an image, or to look at the result.
#   GRUB_PASSWORD_FILE=f  the GRUB password is the first line of f (else it is asked for at the
#                         terminal, or generated and printed once when there is no terminal).
#   GRUB_PASSWORD_HASH=h  a ready grub.pbkdf2.sha512.… hash instead of a password.
#   PYTHON=python3        the Python that computes the GRUB hash (any Python 3).
#   RATHAUS_VOLUME=80     the loudspeaker's level in percent for reading aloud, set back after boot.
# The GRUB password is set once; a second run keeps it unless one of the GRUB_PASSWORD_* is given.
set -euo pipefail

ROOT=${ROOT:-}
ROOT=${ROOT%/}
PYTHON=${PYTHON:-python3}
RATHAUS_VOLUME=${RATHAUS_VOLUME:-80}
case "$RATHAUS_VOLUME" in
  [0-9]|[1-9][0-9]|100) ;;
  *) printf 'lockdown: RATHAUS_VOLUME must be a whole number from 0 to 100 (percent).\n' >&2; exit 1 ;;
esac
DATA=/var/lib/rathaus/kiosk
HERE=$(cd "$(dirname "$0")" && pwd)
GRUB_USER=kioskadmin
GRUB_PBKDF2_ROUNDS=10000  # grub-mkpasswd-pbkdf2's own default; the password itself is long
DISPLAY_MANAGERS="gdm.service gdm3.service lightdm.service sddm.service lxdm.service xdm.service slim.service nodm.service"

on_this_machine() { [ -z "$ROOT" ]; }
units() { if on_this_machine; then systemctl "$@"; else systemctl --root="$ROOT" "$@"; fi; }
say() { printf '%s\n' "$*"; }

# Write stdin to $ROOT$1 with mode $2, creating its folder.
put() {
  local target="$ROOT$1"
  mkdir -p "$(dirname "$target")"
  cat > "$target.tmp"
  chmod "$2" "$target.tmp"
  mv -f "$target.tmp" "$target"
}

# --- The kiosk's user and data ------------------------------------------------------------------
# A user that owns nothing but the kiosk's data and cannot log in.
if on_this_machine; then
  id kiosk >/dev/null 2>&1 || useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin kiosk
  usermod -a -G lp kiosk 2>/dev/null || true
  install -d -o kiosk -g kiosk -m 0700 "$DATA"
else
  install -d -m 0700 "$ROOT$DATA"
fi
# The settings hold the staff PIN's hash: readable by the kiosk's user only (older kiosks: 0644).
if [ -f "$ROOT$DATA/kiosk.toml" ] && [ ! -L "$ROOT$DATA/kiosk.toml" ]; then
  chmod 0600 "$ROOT$DATA/kiosk.toml"
fi

# Large console font for readers with poor eyesight (Terminus 16x32).
if [ -f "$ROOT/etc/default/console-setup" ]; then
  sed -i 's/^FONTFACE=.*/FONTFACE="Terminus"/; s/^FONTSIZE=.*/FONTSIZE="16x32"/' "$ROOT/etc/default/console-setup"
  if on_this_machine; then setupcon --force 2>/dev/null || true; fi
fi

# --- Reading aloud: espeak-ng, at the same loudness for every visitor ----------------------------
# F5 reads the screen aloud with espeak-ng (a program the kiosk starts; without it F5 says that
# reading aloud is not set up). alsa-utils brings amixer: the level set here is restored after every
# boot, and the kiosk itself sets it back for each new visitor (EN 301 549: volume reset).
if on_this_machine; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends espeak-ng alsa-utils \
    || say "lockdown: espeak-ng or alsa-utils could not be installed; the kiosk will say that reading aloud is not set up." >&2
  usermod -a -G audio kiosk 2>/dev/null || true
fi
put /etc/default/rathaus-volume 0644 <<CONF
# Rathaus-Kiosk (deploy/kiosk/lockdown.sh): the loudspeaker's level in percent after every boot.
RATHAUS_VOLUME=$RATHAUS_VOLUME
CONF
put /etc/systemd/system/rathaus-volume.service 0644 < "$HERE/rathaus-volume.service"
units enable rathaus-volume.service

# --- No way out from the keyboard ---------------------------------------------------------------
# No other consoles; the power, reboot, suspend and hibernate keys and the lid do nothing.
put /etc/systemd/logind.conf.d/rathaus-kiosk.conf 0644 <<'CONF'
# Rathaus-Kiosk (deploy/kiosk/lockdown.sh): no other consoles, and no key turns the kiosk off.
[Login]
NAutoVTs=0
ReserveVT=0
HandlePowerKey=ignore
HandlePowerKeyLongPress=ignore
HandleRebootKey=ignore
HandleRebootKeyLongPress=ignore
HandleSuspendKey=ignore
HandleSuspendKeyLongPress=ignore
HandleHibernateKey=ignore
HandleHibernateKeyLongPress=ignore
HandleLidSwitch=ignore
HandleLidSwitchExternalPower=ignore
HandleLidSwitchDocked=ignore
CONF
# Ctrl+Alt+Del: masking ctrl-alt-del.target stops one press, but seven presses within two
# seconds make systemd itself reboot (CtrlAltDelBurstAction) unless that is switched off too.
put /etc/systemd/system.conf.d/rathaus-kiosk.conf 0644 <<'CONF'
# Rathaus-Kiosk (deploy/kiosk/lockdown.sh): Ctrl+Alt+Del pressed many times does nothing either.
[Manager]
CtrlAltDelBurstAction=none
CONF
units mask ctrl-alt-del.target
put /etc/sysctl.d/90-rathaus-kiosk.conf 0644 <<'CONF'
kernel.sysrq = 0
CONF
if on_this_machine; then
  sysctl -q --system || true
  systemctl disable --now getty@tty1.service 2>/dev/null || true
else
  units disable getty@tty1.service 2>/dev/null || true
fi

# Text mode only: the machine boots to multi-user.target, and no display manager can offer a
# graphical login, even one installed later with a desktop package.
mkdir -p "$ROOT/etc/systemd/system"
ln -sfn /lib/systemd/system/multi-user.target "$ROOT/etc/systemd/system/default.target"
rm -f "$ROOT/etc/systemd/system/display-manager.service"
# shellcheck disable=SC2086  # the list is meant to be split
units mask display-manager.service $DISPLAY_MANAGERS

# --- GRUB: booting needs no password, changing how it boots does -------------------------------
# Without a password, 'e' at the boot menu and init=/bin/sh give a root shell.
grub_hash() {  # stdin: the password; stdout: the grub.pbkdf2.sha512 form of it
  "$PYTHON" -c '
import hashlib, os, sys
password = sys.stdin.readline().rstrip("\n").encode()
salt, rounds = os.urandom(64), int(sys.argv[1])
digest = hashlib.pbkdf2_hmac("sha512", password, salt, rounds, 64)
print(f"grub.pbkdf2.sha512.{rounds}.{salt.hex().upper()}.{digest.hex().upper()}")
' "$GRUB_PBKDF2_ROUNDS"
}

grub_password_hash() {
  if [ -n "${GRUB_PASSWORD_HASH:-}" ]; then
    printf '%s\n' "$GRUB_PASSWORD_HASH"
    return
  fi
  local password repeated
  if [ -n "${GRUB_PASSWORD_FILE:-}" ]; then
    IFS= read -r password < "$GRUB_PASSWORD_FILE" || true
  elif [ -t 0 ]; then
    IFS= read -r -s -p "GRUB password (12 characters or more, for the town hall's safe): " password; echo >&2
    IFS= read -r -s -p "Repeat it: " repeated; echo >&2
    if [ "$password" != "$repeated" ]; then say "The two passwords differ; GRUB was not changed." >&2; return 1; fi
  else
    password=$(LC_ALL=C tr -dc 'A-HJ-NP-Za-km-z2-9' < /dev/urandom | head -c 20 || true)
    say "GRUB password (generated; write it down and keep it in the town hall's safe, it is shown only now):" >&2
    say "    $password" >&2
  fi
  if [ "${#password}" -lt 12 ]; then say "The GRUB password needs 12 characters or more; GRUB was not changed." >&2; return 1; fi
  printf '%s\n' "$password" | grub_hash
}

if [ -f "$ROOT/etc/default/grub" ] && [ -d "$ROOT/etc/grub.d" ]; then
  # Recovery entries start a root shell; other systems found on the disk are not offered.
  put /etc/default/grub.d/rathaus-kiosk.cfg 0644 <<'CONF'
# Rathaus-Kiosk (deploy/kiosk/lockdown.sh)
GRUB_DISABLE_RECOVERY=true
GRUB_DISABLE_OS_PROBER=true
GRUB_TIMEOUT_STYLE=hidden
GRUB_TIMEOUT=0
CONF
  linux="$ROOT/etc/grub.d/10_linux"
  # The normal entries boot without a password (after a power cut nobody is there to type it);
  # the superuser password is needed only to edit an entry or open the GRUB shell.
  if [ -f "$linux" ] && ! grep -q -- '^CLASS=.*--unrestricted' "$linux"; then
    sed -i 's/^CLASS="\(--class gnu-linux[^"]*\)"/CLASS="\1 --unrestricted"/' "$linux"
  fi
  if [ ! -f "$linux" ] || ! grep -q -- '^CLASS=.*--unrestricted' "$linux"; then
    say "lockdown: $linux has no CLASS=\"--class gnu-linux …\" line to mark the entries --unrestricted." >&2
    say "lockdown: no GRUB password was set, or the kiosk would not boot without it. See README.md." >&2
    exit 1
  fi
  password_file=/etc/grub.d/01_rathaus-password
  if [ ! -f "$ROOT$password_file" ] || [ -n "${GRUB_PASSWORD_FILE:-}${GRUB_PASSWORD_HASH:-}" ]; then
    hash=$(grub_password_hash)
    case "$hash" in
      grub.pbkdf2.sha512.*) ;;
      *) say "lockdown: the GRUB password hash is not a grub.pbkdf2.sha512 hash; GRUB was not changed." >&2; exit 1 ;;
    esac
    # Root only: grub.cfg carries the hash too, but this is where a new one is made from.
    put "$password_file" 0700 <<SCRIPT
#!/bin/sh
# Rathaus-Kiosk (deploy/kiosk/lockdown.sh): editing boot entries and the GRUB shell need a password.
cat <<'GRUB'
set superusers="$GRUB_USER"
password_pbkdf2 $GRUB_USER $hash
GRUB
SCRIPT
  fi
  if on_this_machine; then update-grub; fi
else
  say "No GRUB on this machine (e.g. a Raspberry Pi): lock the boot medium away instead, see README.md."
fi

# --- The kiosk itself ---------------------------------------------------------------------------
put /etc/systemd/system/rathaus-kiosk.service 0644 < "$HERE/rathaus-kiosk.service"
if on_this_machine; then systemctl daemon-reload; fi
units enable rathaus-kiosk.service
say "Locked down. Set the firmware as README.md says, enrol the kiosk, then reboot once: systemd and"
say "logind read their new settings at boot, and the kiosk starts by itself."
