"""The domain never needs a terminal: it imports and runs without Textual (see docs/architecture.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

DOMAIN_MODULES = [
    "kiosk.errors",
    "kiosk.i18n",
    "kiosk.refcode",
    "kiosk.config",
    "kiosk.pin",
    "kiosk.staff_access",
    "kiosk.forms",
    "kiosk.store",
    "kiosk.submission",
    "kiosk.runtime",
    "kiosk.receipt",
    "kiosk.printing",
    "kiosk.setup_check",
    "kiosk.bounded",
    "kiosk.forms.examples",
    "kiosk.visit",
    "kiosk.speech",
    "sync.envelope",
    "sync.keys",
    "sync.allowlist",
    "sync.intake",
    "sync.outbox",
    "sync.usb",
    "sync.stickfs",
    "sync.inbox",
    "sync.server",
    "sync.warnings.importer",
    "sync.warnings.channel",
    "kiosk.official_warnings",
    "assisted_mode.audit",
    "assisted_mode.pause",
    "assisted_mode.visit",
    "assisted_mode.outreach",
    "kiosk.assistance",
    "kiosk.pause",
    "sync.assistance",
    "sync.assistance.audit_check",
    "sync.assistance.inbox_view",
    "booking",
    "sync.calendar",
    "kiosk.appointments",
]


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_domain_module_imports_without_textual(module):
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} pulls in Textual: {result.stdout.strip()}"


def test_server_does_not_depend_on_the_kiosk_store_or_ui():
    code = (
        "import sys, sync.server, sync.intake\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(('kiosk.store', 'kiosk.ui', 'kiosk.runtime')))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
