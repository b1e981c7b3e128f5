"""The kiosk's first screen comes up without loading what it does not show: the receipt's PDF
library and QR code maker, the network client and the stick's code load when first needed (a
citizen at a just-started kiosk waits less; measured in ``bench/coldstart.py``). Each still loads
and works when its moment comes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sync.keys import init_kiosk, init_townhall, townhall_public_keys_path

pytestmark = pytest.mark.slow

LATER = ("fpdf", "qrcode", "httpx", "sync.usb", "sync.outbox", "sync.uploader")

_CHILD = r"""
import asyncio, json, sys
from kiosk.runtime import open_runtime
from kiosk.ui.app import KioskApp
app = KioskApp(open_runtime(sys.argv[1]), kiosk_mode=True, lang="de")
async def main():
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        first = type(app.screen).__name__
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("fpdf", "qrcode", "httpx") or m in ("sync.usb", "sync.outbox", "sync.uploader"))
        from kiosk.receipt import qr_matrix
        qr = len(qr_matrix("7KQM-2X9T-D"))
    return first, loaded, qr
first, loaded, qr = asyncio.run(main())
print(json.dumps({"screen": first, "loaded": loaded, "qr": qr}))
"""


def test_the_first_screen_is_drawn_without_the_pdf_library_network_or_stick_code(tmp_path):
    townhall, kiosk = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk, kiosk_id="bibliothek-1", townhall_public=townhall_public_keys_path(townhall))
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(kiosk)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["screen"] == "StartScreen"
    assert seen["loaded"] == [], f"loaded before the first screen: {seen['loaded']}"
    assert seen["qr"] > 20  # the QR code maker still loads when a receipt needs it
