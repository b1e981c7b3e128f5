"""The receipt: its QR code must scan back to the reference, on screen and on paper.

The QR code is decoded here by an independent reader (format by trial, zig-zag data placement,
Reed-Solomon check, segment parsing) so a mistake in drawing the code, on screen or in the PDF,
makes these tests fail rather than leave a citizen with a code no phone can read.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from kiosk import refcode
from kiosk.errors import RathausError
from kiosk.receipt import (
    Receipt,
    build_receipt,
    parse_moment,
    print_receipt,
    qr_matrix,
    qr_payload,
    qr_terminal_lines,
    receipt_pdf,
)

# ---------------------------------------------------------------------------------------------
# A small QR reader for versions 1-4 (enough for a receipt code and a short status address).

# version -> error level -> (number of blocks, data codewords per block, ec codewords per block)
_BLOCKS = {
    1: {"L": (1, 19, 7), "M": (1, 16, 10), "Q": (1, 13, 13), "H": (1, 9, 17)},
    2: {"L": (1, 34, 10), "M": (1, 28, 16), "Q": (1, 22, 22), "H": (1, 16, 28)},
    3: {"L": (1, 55, 15), "M": (1, 44, 26), "Q": (2, 17, 18), "H": (2, 13, 22)},
    4: {"L": (1, 80, 20), "M": (2, 32, 18), "Q": (2, 24, 26), "H": (4, 9, 16)},
}
_MASKS = [
    lambda r, c: (r + c) % 2 == 0,
    lambda r, c: r % 2 == 0,
    lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0,
    lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
]
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _gf_tables() -> tuple[list[int], list[int]]:
    exp, log = [0] * 512, [0] * 256
    value = 1
    for i in range(255):
        exp[i] = value
        log[value] = i
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    for i in range(255, 512):
        exp[i] = exp[i - 255]
    return exp, log


_EXP, _LOG = _gf_tables()


def _rs_remainder(data: list[int], ec_count: int) -> list[int]:
    generator = [1]
    for i in range(ec_count):
        nxt = [0] * (len(generator) + 1)
        for j, coef in enumerate(generator):
            nxt[j] ^= coef
            if coef:
                nxt[j + 1] ^= _EXP[_LOG[coef] + i]
        generator = nxt
    remainder = list(data) + [0] * ec_count
    for i in range(len(data)):
        coef = remainder[i]
        if coef:
            for j in range(1, len(generator)):
                if generator[j]:
                    remainder[i + j] ^= _EXP[_LOG[coef] + _LOG[generator[j]]]
    return remainder[len(data):]


def _is_function_module(row: int, col: int, size: int, version: int) -> bool:
    if row <= 8 and (col <= 8 or col >= size - 8):
        return True  # finder patterns, separators and format information at the top
    if col <= 8 and row >= size - 8:
        return True  # bottom-left finder, separator, format information and the dark module
    if row == 6 or col == 6:
        return True  # timing patterns
    if version >= 2:
        centre = size - 7
        return abs(row - centre) <= 2 and abs(col - centre) <= 2
    return False


def _read_bits(matrix: list[list[bool]], version: int, mask: int) -> list[int]:
    size = len(matrix)
    bits = []
    col = size - 1
    upward = True
    while col > 0:
        if col == 6:
            col -= 1
        rows = range(size - 1, -1, -1) if upward else range(size)
        for row in rows:
            for c in (col, col - 1):
                if not _is_function_module(row, c, size, version):
                    bits.append(int(matrix[row][c] ^ _MASKS[mask](row, c)))
        col -= 2
        upward = not upward
    return bits


def _parse_segments(data: list[int], version: int) -> str:
    bits = "".join(f"{byte:08b}" for byte in data)
    pos, text = 0, []

    def take(count: int) -> int:
        nonlocal pos
        if pos + count > len(bits):
            raise ValueError("ran out of bits")
        value = int(bits[pos:pos + count], 2)
        pos += count
        return value

    while len(bits) - pos >= 4:
        mode = take(4)
        if mode == 0:
            break
        if mode == 0b0001:
            count = take(10)
            while count >= 3:
                text.append(f"{take(10):03d}")
                count -= 3
            if count:
                text.append(f"{take(7 if count == 2 else 4):0{count}d}")
        elif mode == 0b0010:
            count = take(9)
            while count >= 2:
                pair = take(11)
                text.append(_ALNUM[pair // 45] + _ALNUM[pair % 45])
                count -= 2
            if count:
                text.append(_ALNUM[take(6)])
        elif mode == 0b0100:
            count = take(8)
            text.append(bytes(take(8) for _ in range(count)).decode("utf-8"))
        else:
            raise ValueError(f"unknown mode {mode}")
    used_bytes = (pos + 7) // 8
    padding = data[used_bytes:]
    if padding != [(0xEC, 0x11)[i % 2] for i in range(len(padding))]:
        raise ValueError("padding is not the standard pattern")
    return "".join(text)


def decode_qr(matrix: list[list[bool]], quiet_zone: int) -> str:
    """The text in a QR code; raises when no error level and mask give a valid code."""
    core = [row[quiet_zone:len(row) - quiet_zone] for row in matrix[quiet_zone:len(matrix) - quiet_zone]]
    size = len(core)
    version = (size - 17) // 4
    assert size == 17 + 4 * version and version in _BLOCKS, f"unexpected QR size {size}"
    found = []
    for level, (blocks, data_per_block, ec_per_block) in _BLOCKS[version].items():
        for mask in range(8):
            bits = _read_bits(core, version, mask)
            codewords = [int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits) - 7, 8)]
            data_count = blocks * data_per_block
            data_blocks = [[codewords[i * blocks + b] for i in range(data_per_block)] for b in range(blocks)]
            ec_blocks = [
                [codewords[data_count + i * blocks + b] for i in range(ec_per_block)] for b in range(blocks)
            ]
            if any(_rs_remainder(d, ec_per_block) != e for d, e in zip(data_blocks, ec_blocks)):
                continue
            try:
                found.append(_parse_segments([x for block in data_blocks for x in block], version))
            except (ValueError, UnicodeDecodeError):
                continue
    assert len(found) == 1, f"expected exactly one valid reading, got {found}"
    return found[0]


def lines_to_matrix(lines: list[str], rows: int) -> list[list[bool]]:
    """Read half-block text back into modules, as a camera would see the screen."""
    halves = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}
    matrix: list[list[bool]] = []
    for line in lines:
        pairs = [halves[ch] for ch in line]
        matrix.append([top for top, _ in pairs])
        matrix.append([bottom for _, bottom in pairs])
    return matrix[:rows]


def pdf_drawing(pdf: bytes) -> bytes:
    """The page drawing of a PDF written by fpdf2 (``stream\\n`` data ``\\nendstream``, compressed)."""
    return b"".join(
        zlib.decompressobj().decompress(stream)
        for stream in re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S)
        if stream.startswith(b"x")
    )


def pdf_qr_matrix(pdf: bytes) -> list[list[bool]]:
    """Rebuild the printed QR code from the filled squares in the PDF's page drawing."""
    squares = [
        tuple(float(v) for v in m)
        for m in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) -?[\d.]+ re f", pdf_drawing(pdf))
    ]
    assert squares, "no QR squares drawn"
    step = squares[0][2]
    left = min(x for x, _, _ in squares)
    top = max(y for _, y, _ in squares)
    cells = {(round((top - y) / step), round((x - left) / step)) for x, y, _ in squares}
    size = max(max(r, c) for r, c in cells) + 1
    return [[(r, c) in cells for c in range(size)] for r in range(size)]


# ---------------------------------------------------------------------------------------------


class _Service:
    """The two texts and the list a receipt takes from a service definition."""

    def text(self, key: str, lang: str) -> str:
        return {
            ("title", "de"): "Hausnummer beantragen",
            ("next_steps", "de"): "Das Bauamt prüft „Ihren“ Antrag – in etwa 2 Wochen.",
            ("title", "en"): "Apply for a house number",
            ("next_steps", "en"): "The building office checks your application within about 2 weeks.",
        }[(key, lang)]

    def bring_list(self, lang: str) -> list[str]:
        return ["Personalausweis", "Lageplan"] if lang == "de" else ["Identity card", "Site plan"]


def _receipt(lang: str = "de", status_url: str = "") -> Receipt:
    return build_receipt(
        _Service(),
        reference="7KQM2X9TJ",
        captured_at="2026-11-25T13:05:00+00:00",
        municipality="Einheitsgemeinde Tangerhütte",
        lang=lang,
        status_url=status_url,
    )


@pytest.mark.parametrize(
    "payload",
    [refcode.new_reference(), "7KQM2X9TJ", "https://rathaus.example/s/7KQM2X9TJ", "http://r.de/?c=ABC"],
)
def test_screen_qr_code_scans_back_to_what_it_holds(payload):
    matrix = qr_matrix(payload)
    lines = qr_terminal_lines(matrix)
    assert len(lines) == (len(matrix) + 1) // 2
    assert decode_qr(lines_to_matrix(lines, len(matrix)), quiet_zone=2) == payload


def test_a_damaged_qr_code_is_not_read_as_a_receipt_code():
    matrix = qr_matrix("7KQM2X9TJ")
    for row in range(9, 13):  # scribble over the data area
        for col in range(9, 13):
            matrix[row + 2][col + 2] = not matrix[row + 2][col + 2]
    with pytest.raises(AssertionError):
        decode_qr(matrix, quiet_zone=2)


def test_qr_holds_the_status_address_with_the_code_when_one_is_configured():
    assert qr_payload("7KQM2X9TJ") == "7KQM2X9TJ"
    assert qr_payload("7KQM2X9TJ", "https://rathaus.example/status/") == (
        "https://rathaus.example/status/7KQM2X9TJ"
    )
    receipt = _receipt(status_url="https://rathaus.example/status/")
    assert decode_qr(qr_matrix(receipt.qr_data), quiet_zone=2).endswith("7KQM2X9TJ")


def test_receipt_content_is_in_the_citizens_language():
    german, english = _receipt("de"), _receipt("en")
    assert german.service == "Hausnummer beantragen"
    assert english.service == "Apply for a house number"
    assert german.bring == ("Personalausweis", "Lageplan")
    assert german.display_reference == "7KQ-M2X-9TJ"
    assert german.date_text.startswith("25.11.2026")


def test_pdf_shows_code_and_instructions_and_its_qr_code_scans():
    receipt = _receipt("de")
    pdf = receipt_pdf(receipt)
    assert pdf.startswith(b"%PDF")
    text = pdf_drawing(pdf).decode("latin-1")
    assert "(7KQ-M2X-9TJ)" in text
    assert "Hausnummer beantragen" in text
    assert "Personalausweis" in text
    assert '"Ihren" Antrag - in etwa 2 Wochen' in text  # typographic quotes survive as plain ones
    assert decode_qr(pdf_qr_matrix(pdf), quiet_zone=0) == "7KQM2X9TJ"


def test_print_without_printer_saves_the_pdf_named_after_the_code(tmp_path):
    path = print_receipt(b"%PDF-1.3 test", reference="7KQ-M2X-9TJ", printer="", out_dir=tmp_path / "r")
    assert path == tmp_path / "r" / "7KQM2X9TJ.pdf"
    assert path.read_bytes() == b"%PDF-1.3 test"


def _fake_lp(tmp_path: Path, monkeypatch, exit_code: int) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "lp.log"
    script = bin_dir / "lp"
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\necho "printer on fire" >&2\nexit {exit_code}\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return log


def test_print_sends_the_saved_file_to_the_configured_printer(tmp_path, monkeypatch):
    log = _fake_lp(tmp_path, monkeypatch, exit_code=0)
    path = print_receipt(b"%PDF-1.3", reference="7KQM2X9TJ", printer="Foyer", out_dir=tmp_path)
    assert log.read_text().split() == ["-d", "Foyer", str(path)]


def test_a_failing_printer_gives_a_plain_message_and_keeps_the_file(tmp_path, monkeypatch):
    _fake_lp(tmp_path, monkeypatch, exit_code=1)
    with pytest.raises(RathausError) as caught:
        print_receipt(b"%PDF-1.3", reference="7KQM2X9TJ", printer="Foyer", out_dir=tmp_path, lang="en")
    assert "7KQ-M2X-9TJ" in caught.value.message and "printer" in caught.value.message
    assert "fire" not in caught.value.message
    assert (tmp_path / "7KQM2X9TJ.pdf").exists()


def test_a_missing_print_system_is_reported_in_german(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(RathausError) as caught:
        print_receipt(b"%PDF-1.3", reference="7KQM2X9TJ", printer="Foyer", out_dir=tmp_path)
    assert "Drucker" in caught.value.message


def test_naive_timestamps_from_the_queue_are_read_as_utc():
    assert parse_moment("2026-11-25T13:05:00").utcoffset().total_seconds() == 0


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_shipped_service_prints_a_receipt_with_its_instructions(lang):
    from kiosk.forms import load_forms

    for form in load_forms():
        receipt = build_receipt(
            form, reference="7KQM2X9TJ", captured_at="2026-11-25T13:05:00Z",
            municipality="Einheitsgemeinde Tangerhütte", lang=lang,
        )
        assert receipt.service == form.text("title", lang)
        assert receipt.next_steps == form.text("next_steps", lang)
        pdf = receipt_pdf(receipt)
        text = pdf_drawing(pdf).decode("latin-1")
        assert "(7KQ-M2X-9TJ)" in text
        for item in receipt.bring:
            assert item.split()[0].translate({ord("„"): '"', ord("“"): '"'}) in text


def test_a_kept_receipt_is_readable_by_the_kiosk_user_only(tmp_path):
    """The code on a kept receipt opens the citizen's status look-up: never 0644, whatever the
    umask, and a leftover of an earlier power cut does not keep its mode."""
    import os
    import stat

    from kiosk.receipt import save_receipt_pdf

    folder = tmp_path / "receipts"
    folder.mkdir(mode=0o755)
    leftover = folder / "7KQM2X9TJ.pdf.tmp"
    leftover.write_bytes(b"half")
    leftover.chmod(0o644)
    old = os.umask(0o022)
    try:
        saved = save_receipt_pdf(receipt_pdf(_receipt()), reference="7KQM2X9TJ", out_dir=folder)
        fresh = save_receipt_pdf(b"%PDF-1.4", reference="7KQM2X9TJ", out_dir=tmp_path / "new" / "receipts")
    finally:
        os.umask(old)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert saved.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
