"""Shared test set-up: every test gets its own data directories and German as the default language."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch):
    """No test reads or writes ./var or depends on the developer's shell language."""
    monkeypatch.setenv("RATHAUS_KIOSK_DIR", str(tmp_path / "kiosk"))
    monkeypatch.setenv("RATHAUS_TOWNHALL_DIR", str(tmp_path / "townhall"))
    monkeypatch.setenv("RATHAUS_LANG", "de")
    monkeypatch.delenv("RATHAUS_DEBUG", raising=False)
