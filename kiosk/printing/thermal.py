"""Sending ESC/POS bytes to a receipt printer, asking it first whether it can print.

Before a receipt is sent, a printer that can answer (network, USB) is asked with the real-time
status commands ``DLE EOT 1`` (printer: offline?) and ``DLE EOT 4`` (roll paper sensor: paper
end?). A printer without paper, with its cover open, or offline gets nothing, and the citizen is
told at once to copy the code by hand. A device file cannot answer, so its receipt is just sent.
Each step is bounded in time (``PrinterTimeouts``): an unplugged printer never keeps a citizen
waiting for more than a few seconds, and never freezes the screen (the caller runs this in a
worker thread; a device file that blocks is left behind in a thread of its own).
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from kiosk.bounded import run_bounded
from kiosk.errors import PrinterError
from kiosk.i18n import translator
from kiosk.printing.target import PrinterKind, PrinterTarget, could_be_a_printer_device

log = logging.getLogger("rathaus.kiosk.printer")

DLE_EOT_PRINTER = b"\x10\x04\x01"  # printer status: bit 3 = offline
DLE_EOT_PAPER = b"\x10\x04\x04"  # roll paper sensor: bits 2-3 = near end, bits 5-6 = paper end
_OFFLINE = 0x08
_NEAR_END = 0x0C
_PAPER_END = 0x60
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12  # bits 0, 1, 4, 7 of every status byte are 0, 1, 1, 0

@dataclass(frozen=True)
class PrinterTimeouts:
    """How long each step may take, in seconds."""

    connect: float = 4.0  # reaching a network printer
    status: float = 2.0  # one answer to a status question
    job: float = 20.0  # the whole receipt, from opening the printer to the cut


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself; ``None``: it did not answer that question."""

    online: bool | None
    paper_out: bool | None
    paper_low: bool | None

    @property
    def answered(self) -> bool:
        return self.online is not None or self.paper_out is not None


def status_from_bytes(printer_byte: bytes, paper_byte: bytes) -> PrinterStatus:
    """Read the answers to ``DLE EOT 1`` and ``DLE EOT 4``; a byte that is not a status byte
    (wrong fixed bits, nothing at all) counts as no answer."""

    def valid(answer: bytes) -> int | None:
        if len(answer) < 1 or answer[-1] & _FIXED_MASK != _FIXED_BITS:
            return None
        return answer[-1]

    printer, paper = valid(printer_byte), valid(paper_byte)
    return PrinterStatus(
        online=None if printer is None else not printer & _OFFLINE,
        paper_out=None if paper is None else bool(paper & _PAPER_END),
        paper_low=None if paper is None else bool(paper & _NEAR_END),
    )


def send_to_thermal_printer(
    target: PrinterTarget,
    commands: bytes,
    *,
    reference_display: str,
    lang: str,
    timeouts: PrinterTimeouts = PrinterTimeouts(),
) -> PrinterStatus | None:
    """Check the printer, then send ``commands``; a ``PrinterError`` says in plain words why not.

    Returns the status the printer gave before printing (``None`` for a device file). The whole
    job ends within ``timeouts.job`` seconds, whatever the printer does.
    """
    _ = translator(lang)

    def job() -> PrinterStatus | None:
        printer = _open(target, timeouts, reference_display, _)
        try:
            status = _ask_status(printer, target, timeouts)
            if status is not None:
                _refuse_if_unable(status, target, reference_display, _)
            printer._raw(commands)
            return status
        finally:
            _close_quietly(printer)

    try:
        return run_bounded(job, timeouts.job, name="receipt-printer")
    except TimeoutError as exc:
        raise _error(_, "not_answering", reference_display, f"{target.describe()}: no end within {timeouts.job}s") from exc
    except PrinterError:
        raise
    except (OSError, socket.timeout) as exc:
        raise _error(_, "not_answering", reference_display, f"{target.describe()}: {exc!r}") from exc
    except Exception as exc:  # python-escpos raises its own tree (DeviceNotFoundError, USBNotFoundError …)
        raise _error(_, "offline", reference_display, f"{target.describe()}: {type(exc).__name__}: {exc}") from exc


def query_status(
    target: PrinterTarget, timeouts: PrinterTimeouts = PrinterTimeouts(), lang: str = "en"
) -> PrinterStatus | None:
    """Only ask the printer how it is (for ``rathaus kiosk --check``), printing nothing; a printer
    that cannot be reached is a ``PrinterError`` in ``lang``, one that hangs a ``TimeoutError``."""
    _ = translator(lang)

    def job() -> PrinterStatus | None:
        printer = _open(target, timeouts, "", _)
        try:
            return _ask_status(printer, target, timeouts)
        finally:
            _close_quietly(printer)

    return run_bounded(job, timeouts.job, name="receipt-printer")


def _open(target: PrinterTarget, timeouts: PrinterTimeouts, reference_display: str, _):
    """The python-escpos printer object for ``target``, connected."""
    if target.kind is PrinterKind.ESCPOS_NETWORK:
        from escpos.printer import Network

        printer = Network(target.address, port=target.port, timeout=timeouts.connect)
    elif target.kind is PrinterKind.ESCPOS_FILE:
        from escpos.printer import File

        if not os.path.exists(target.address):
            # Opening it would create an ordinary file of that name (even under /dev as root), and
            # every receipt would go into it instead of onto paper: an unplugged printer.
            raise _error(_, "offline", reference_display, f"{target.describe()}: device file missing")
        printer = File(target.address)
        try:
            printer.device = _open_device_file(target.address)
        except OSError as exc:
            raise _error(_, "offline", reference_display, f"{target.describe()} not reachable: {exc}") from exc
        return printer
    elif target.kind is PrinterKind.ESCPOS_USB:
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise _error(
                _, "no_driver", reference_display, "escpos-usb needs pyusb, which is not installed",
                staff=_("USB receipt printers need the pyusb package (Debian: python3-usb), or use the "
                        "printer's device file: escpos-file:/dev/usb/lp0."),
            )
        printer = Usb(*target.usb_ids, timeout=int(timeouts.status * 1000))
    else:
        raise ValueError(f"not a receipt printer: {target.describe()}")
    try:
        printer.open()
    except Exception as exc:
        raise _error(_, "offline", reference_display, f"{target.describe()} not reachable: {exc}") from exc
    return printer


def _open_device_file(path: str):
    """The device file opened for writing as it is: never created (an unplugged printer is not
    replaced by a file of its name) and never truncated, and refused unless it can be a printer
    (python-escpos opens with "wb", which would empty the kiosk's database if the setting named it)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        found = os.fstat(descriptor)
        if not could_be_a_printer_device(found.st_mode, found.st_size):
            raise OSError(f"{path} is not a device file (a folder or a file with data in it)")
        return os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        raise


def _ask_status(printer: Any, target: PrinterTarget, timeouts: PrinterTimeouts) -> PrinterStatus | None:
    """Both status questions; ``None`` when the printer cannot answer at all (a device file)."""
    if target.kind is PrinterKind.ESCPOS_FILE:
        return None
    sock = getattr(printer, "device", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(timeouts.status)
    answers = []
    for question in (DLE_EOT_PRINTER, DLE_EOT_PAPER):
        try:
            printer._raw(question)
            answers.append(bytes(printer._read() or b""))
        except (socket.timeout, TimeoutError):
            answers.append(b"")
        except NotImplementedError:
            return None
    if isinstance(sock, socket.socket):
        sock.settimeout(timeouts.connect)
    status = status_from_bytes(*answers)
    if not status.answered:
        # Some printers keep quiet (status answers switched off): print all the same, and say so
        # in the log, so a receipt that never comes out can be traced.
        log.info("%s gave no status answer; printing without it", target.describe())
    return status


def _refuse_if_unable(status: PrinterStatus, target: PrinterTarget, reference_display: str, _) -> None:
    if status.paper_out:
        raise _error(_, "paper_out", reference_display, f"{target.describe()} reports paper end")
    if status.online is False:
        raise _error(_, "offline", reference_display, f"{target.describe()} reports offline (cover open or no paper)")
    if status.paper_low:
        log.warning("%s: paper roll nearly empty", target.describe())


def _close_quietly(printer: Any) -> None:
    try:
        printer.close()
    except Exception:  # a printer that vanished mid-job: nothing more to tell it
        pass


def _error(_, problem: str, reference_display: str, detail: str, staff: str = "") -> PrinterError:
    """The citizen's sentence for ``problem``, always with the code to copy by hand."""
    first = {
        "paper_out": _("The printer has run out of paper."),
        "offline": _("The printer is switched off or not connected."),
        "not_answering": _("The printer does not respond."),
        "no_driver": _("The printer is not set up correctly."),
    }[problem]
    if reference_display:
        text = _("{problem} Please copy your code by hand: {code}").format(problem=first, code=reference_display)
    else:
        text = first
    if staff:
        text = f"{text} {staff}"
    return PrinterError(text, problem=problem, detail=detail)
