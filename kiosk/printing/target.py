"""Where receipts go: the ``printer`` setting of ``kiosk.toml`` read into a ``PrinterTarget``.

One setting names one printer, in one of these forms (the kind first, so a glance at the file
tells which): ``""`` no printer (the code is written down by hand), ``QUEUE`` or ``cups:QUEUE`` an
A4 printer through CUPS (``lp``), ``escpos-net:HOST[:PORT]`` an 80 mm receipt printer on the
network (raw port, 9100 by default), ``escpos-usb:VID:PID`` one on USB (python-escpos with pyusb),
``escpos-file:/dev/usb/lp0`` one behind a device file (the kernel's ``usblp`` or a serial port).
A value that can never work is refused when it is configured, not on the first citizen's receipt.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from dataclasses import dataclass
from enum import Enum

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator

DEFAULT_RAW_PORT = 9100  # the usual "raw" (JetDirect) port of network receipt printers
MAX_SETTING_CHARS = 255

# What CUPS accepts as a queue name, conservatively; never starting with "-", which lp and lpstat
# would read as an option ("lpstat -p -oraw" lists every printer and calls the queue ready).
_QUEUE = re.compile(r"[A-Za-z0-9_.@][A-Za-z0-9_.@-]{0,126}")
_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
_USB_ID = re.compile(r"[0-9A-Fa-f]{4}")


class PrinterKind(str, Enum):
    NONE = "none"
    CUPS = "cups"
    ESCPOS_NETWORK = "escpos-net"
    ESCPOS_USB = "escpos-usb"
    ESCPOS_FILE = "escpos-file"


@dataclass(frozen=True)
class PrinterTarget:
    """One printer as the kiosk reaches it; ``address`` is a queue, a host, a device file or ``VID:PID``."""

    kind: PrinterKind
    address: str = ""
    port: int = 0
    usb_ids: tuple[int, int] = (0, 0)

    @property
    def configured(self) -> bool:
        return self.kind is not PrinterKind.NONE

    @property
    def thermal(self) -> bool:
        """An 80 mm ESC/POS receipt printer (rather than an A4 printer through CUPS)."""
        return self.kind in (PrinterKind.ESCPOS_NETWORK, PrinterKind.ESCPOS_USB, PrinterKind.ESCPOS_FILE)

    def describe(self) -> str:
        """The printer in a few words for a log line or the set-up check (never personal data)."""
        if self.kind is PrinterKind.ESCPOS_NETWORK:
            return f"{self.kind.value}:{self.address}:{self.port}"
        if self.kind is PrinterKind.NONE:
            return "none"
        return f"{self.kind.value}:{self.address}"


NO_PRINTER = PrinterTarget(PrinterKind.NONE)


def parse_printer(setting: str, lang: str | None = None) -> PrinterTarget:
    """Read a ``printer`` setting; a value that cannot name a printer is a ``RathausError``."""
    _ = translator(lang or language_from_environment())
    text = setting or ""
    if not text.strip():
        return NO_PRINTER
    forms = _(
        "Possible values: a CUPS queue (Foyer or cups:Foyer), escpos-net:HOST[:PORT], "
        "escpos-usb:VID:PID (e.g. escpos-usb:04b8:0e28) or escpos-file:/dev/usb/lp0."
    )

    def refused(reason: str) -> RathausError:
        return RathausError(f"{reason} {forms}", detail=f"printer setting refused: {text[:80]!r}")

    if len(text) > MAX_SETTING_CHARS or any(ord(c) < 32 for c in text):
        raise refused(_("The printer setting is too long or holds control characters."))
    kind, sep, rest = text.partition(":")
    if not sep:
        kind, rest = "cups", text
    if kind == "cups":
        if not _QUEUE.fullmatch(rest):
            raise refused(_("'{value}' is not a printer queue name.").format(value=rest))
        return PrinterTarget(PrinterKind.CUPS, rest)
    if kind == PrinterKind.ESCPOS_NETWORK.value:
        host, port = _host_and_port(rest)
        if host is None or port is None:
            raise refused(_("'{value}' is not a printer's network address.").format(value=rest))
        return PrinterTarget(PrinterKind.ESCPOS_NETWORK, host, port=port)
    if kind == PrinterKind.ESCPOS_USB.value:
        ids = rest.split(":")
        if len(ids) != 2 or not all(_USB_ID.fullmatch(part) for part in ids):
            raise refused(
                _("'{value}' is not a USB vendor and product id (four hex digits each, as lsusb shows them).").format(
                    value=rest
                )
            )
        return PrinterTarget(PrinterKind.ESCPOS_USB, rest.lower(), usb_ids=(int(ids[0], 16), int(ids[1], 16)))
    if kind == PrinterKind.ESCPOS_FILE.value:
        if not rest.startswith("/"):
            raise refused(_("'{value}' is not a full path to a device file.").format(value=rest))
        return PrinterTarget(PrinterKind.ESCPOS_FILE, rest)
    raise refused(_("'{value}' is not a known kind of printer.").format(value=kind))


def _host_and_port(text: str) -> tuple[str | None, int | None]:
    """``HOST``, ``HOST:PORT``, ``[IPv6]:PORT``; ``(None, None)`` when it is neither."""
    host, port_text = text, ""
    if text.startswith("["):
        closing = text.find("]")
        if closing < 0:
            return None, None
        host, after = text[1:closing], text[closing + 1 :]
        if after and not after.startswith(":"):
            return None, None
        port_text = after[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None, None
    port = int(port_text) if port_text else DEFAULT_RAW_PORT
    try:
        ipaddress.ip_address(host)
        return host, port
    except ValueError:
        pass
    return (host, port) if _HOSTNAME.fullmatch(host) else (None, None)


def could_be_a_printer_device(mode: int, size: int) -> bool:
    """Whether a file of this kind can stand for a receipt printer: a character device (the
    kernel's ``usblp``, a serial port), a FIFO, or an empty ordinary file standing in for one while
    trying things out. A folder or a file with data in it (the kiosk's database, a key, its
    settings) never is: a receipt "printed" there would overwrite it."""
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return True
    return stat.S_ISREG(mode) and size == 0


def device_file_refused(path: str, lang: str | None = None) -> str:
    """For ``escpos-file:PATH``: why PATH, as it is now, can never be a printer ("" when it may be
    one; a missing path may be a printer not plugged in yet)."""
    try:
        found = os.stat(path)
    except OSError:
        return ""
    if could_be_a_printer_device(found.st_mode, found.st_size):
        return ""
    _ = translator(lang or language_from_environment())
    return _(
        "{path} is a folder or a file with data in it, not a printer's device file; printing to it "
        "would overwrite it. A USB receipt printer is usually /dev/usb/lp0."
    ).format(path=path)
