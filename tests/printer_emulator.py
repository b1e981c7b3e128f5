"""An 80 mm ESC/POS receipt printer on 127.0.0.1, and a reader for the bytes such a printer gets.

``LoopbackReceiptPrinter`` listens like a network receipt printer (raw port), answers the real-time
status questions (``DLE EOT n``) the way a real one does, with paper or without, and keeps every
byte it was sent. ``read_escpos`` interprets those bytes as a printer would: the lines of text with
the size they were printed in, and the QR code symbol's settings and stored data (``GS ( k``).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

STATUS_OK = 0x12  # fixed bits only: online, paper present
STATUS_PAPER_END = 0x12 | 0x60 | 0x0C  # paper end and near end sensors both see no paper
STATUS_OFFLINE = 0x12 | 0x08


class LoopbackReceiptPrinter:
    """A network receipt printer for tests: ``with LoopbackReceiptPrinter() as printer: printer.port``."""

    def __init__(self, *, paper: bool = True, answers_status: bool = True) -> None:
        self.paper = paper
        self.answers_status = answers_status
        self.jobs: list[bytes] = []  # everything received, one entry per connection
        self.questions: list[bytes] = []
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(4)
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def setting(self) -> str:
        return f"escpos-net:127.0.0.1:{self.port}"

    @property
    def printed(self) -> bytes:
        """What reached the paper: every byte but the status questions."""
        return b"".join(self.jobs)

    def __enter__(self) -> "LoopbackReceiptPrinter":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()

    def _serve(self) -> None:
        # Stopping waits for what is under way: a connection already made is read to its end, so
        # a receipt sent just before the test looks is never cut short.
        while True:
            try:
                conn, _addr = self._server.accept()
            except socket.timeout:
                if self._stop.is_set():
                    return
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.2)
                self._take_job(conn)

    def _take_job(self, conn: socket.socket) -> None:
        job = bytearray()
        pending = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                if self._stop.is_set():
                    break
                continue
            except OSError:
                break
            if not chunk:
                break
            data = pending + chunk
            pending = b""
            while data:
                at = data.find(b"\x10\x04")
                if at < 0:
                    job += data
                    break
                job += data[:at]
                if len(data) < at + 3:
                    pending = data[at:]
                    break
                question = data[at + 2]
                self.questions.append(data[at : at + 3])
                if self.answers_status:
                    conn.sendall(bytes([self._answer(question)]))
                data = data[at + 3 :]
        self.jobs.append(bytes(job))

    def _answer(self, question: int) -> int:
        if question == 1:
            return STATUS_OK if self.paper else STATUS_OFFLINE
        if question == 4:
            return STATUS_OK if self.paper else STATUS_PAPER_END
        return STATUS_OK


@dataclass
class PrintedLine:
    text: str
    width: int
    height: int
    bold: bool


@dataclass
class QrSymbol:
    model: int | None = None
    module_dots: int | None = None
    error_correction: str | None = None
    data: bytes = b""
    printed: bool = False


@dataclass
class ReadReceipt:
    lines: list[PrintedLine] = field(default_factory=list)
    qr: QrSymbol = field(default_factory=QrSymbol)
    cut: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


_CODEPAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}
_ONE_ARGUMENT_ESC = set(b"!-2EGMVadtJ{3")


def read_escpos(data: bytes) -> ReadReceipt:
    """Interpret the commands python-escpos sends for a receipt; an unknown command fails the test."""
    out = ReadReceipt()
    width = height = 1
    bold = False
    codepage = 0
    segments: list[tuple[int, bytearray]] = []  # text of the line so far, by code page

    def end_line() -> None:
        text = "".join(bytes(raw).decode(_CODEPAGES.get(page, "latin-1"), errors="replace") for page, raw in segments)
        out.lines.append(PrintedLine(text, width, height, bold))
        segments.clear()

    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x0A:
            end_line()
            i += 1
        elif byte == 0x1B:  # ESC
            command = data[i + 1]
            if command == ord("@"):
                width = height = 1
                bold = False
                i += 2
            elif command in _ONE_ARGUMENT_ESC:
                argument = data[i + 2]
                if command == ord("E"):
                    bold = bool(argument)
                elif command == ord("!"):  # print mode: replaces the size GS ! set (last one wins)
                    width = 2 if argument & 0x20 else 1
                    height = 2 if argument & 0x10 else 1
                    bold = bool(argument & 0x08)
                elif command == ord("t"):
                    codepage = argument
                elif command == ord("d"):
                    end_line()
                    for _ in range(argument - 1):
                        out.lines.append(PrintedLine("", width, height, bold))
                i += 3
            else:
                raise AssertionError(f"unknown ESC command {data[i:i+3]!r} at {i}")
        elif byte == 0x1D:  # GS
            command = data[i + 1]
            if command == ord("!"):
                size = data[i + 2]
                width, height = (size >> 4) + 1, (size & 0x0F) + 1
                i += 3
            elif command in (ord("B"), ord("b")):
                i += 3
            elif command == ord("V"):
                out.cut = True
                i += 3 if data[i + 2] in (0, 1, 48, 49) else 4
            elif command == ord("(") and data[i + 2] == ord("k"):
                length = data[i + 3] | data[i + 4] << 8
                body = data[i + 5 : i + 5 + length]
                _read_qr_function(body, out.qr)
                i += 5 + length
            else:
                raise AssertionError(f"unknown GS command {data[i:i+3]!r} at {i}")
        elif byte == 0x10 and data[i + 1 : i + 2] == b"\x04":
            i += 3  # a status question; it prints nothing
        else:
            if not segments or segments[-1][0] != codepage:
                segments.append((codepage, bytearray()))
            segments[-1][1].append(byte)
            i += 1
    if segments:
        end_line()
    return out


def _read_qr_function(body: bytes, qr: QrSymbol) -> None:
    """``GS ( k`` with cn = 49 (QR code): fn 65 model, 67 module size, 69 error correction,
    80 store the data (function 180), 81 print the symbol (function 181)."""
    assert body[0] == 49, f"not a QR code command: {body[:4]!r}"
    function = body[1]
    if function == 65:
        qr.model = body[2] - 48
    elif function == 67:
        qr.module_dots = body[2]
    elif function == 69:
        qr.error_correction = "LMQH"[body[2] - 48]
    elif function == 80:
        assert body[2] == 48
        qr.data = bytes(body[3:])
    elif function == 81:
        assert body[2] == 48
        qr.printed = True
    else:
        raise AssertionError(f"unknown QR function {function}")
