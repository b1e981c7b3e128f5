#!/usr/bin/env bash
# Lock a Debian machine down as a Rathaus-Kiosk terminal. Safe to run again.
# Run as root after installing the package to /opt/rathaus (see README.md in this folder).
set -euo pipefail

DATA=/var/lib/rathaus/kiosk
HERE=$(cd "$(dirname "$0")" && pwd)

# A user that owns nothing but the kiosk's data and cannot log in.
id kiosk >/dev/null 2>&1 || useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin kiosk
usermod -a -G lp kiosk 2>/dev/null || true
install -d -o kiosk -g kiosk -m 0700 "$DATA"

# Large console font for readers with poor eyesight (Terminus 16x32).
if [ -f /etc/default/console-setup ]; then
  sed -i 's/^FONTFACE=.*/FONTFACE="Terminus"/; s/^FONTSIZE=.*/FONTSIZE="16x32"/' /etc/default/console-setup
  setupcon --force 2>/dev/null || true
fi

# No way out of the kiosk from its keyboard: no other consoles, no Ctrl+Alt+Del, no SysRq.
mkdir -p /etc/systemd/logind.conf.d
cat > /etc/systemd/logind.conf.d/rathaus-kiosk.conf <<'CONF'
[Login]
NAutoVTs=0
ReserveVT=0
CONF
systemctl mask ctrl-alt-del.target
echo 'kernel.sysrq = 0' > /etc/sysctl.d/90-rathaus-kiosk.conf
sysctl -q --system || true
systemctl disable --now getty@tty1.service 2>/dev/null || true

# The kiosk itself.
install -m 0644 "$HERE/rathaus-kiosk.service" /etc/systemd/system/rathaus-kiosk.service
systemctl daemon-reload
systemctl enable rathaus-kiosk.service
echo "Locked down. Enrol the kiosk (see README.md), then: systemctl start rathaus-kiosk"
