"""The town hall's receiving end: a Starlette app (``sync.server.app``) over a narrow storage
interface (``sync.server.storage``), SQLite by default.

``create_app`` is loaded on first use, so tools that only need the storage (``rathaus usb
import``, the staff inbox) do not pull in the web framework, and ``sync.intake`` can import the
storage without a cycle.
"""

from __future__ import annotations

from typing import Any

from sync.server.storage import (
    AmbiguousReference,
    BatchRecord,
    PAPER_KIOSK_ID,
    ItemKey,
    ItemRecord,
    KioskContact,
    SqliteStorage,
    StatusRecord,
    Storage,
    StorageCounts,
    open_storage,
)

__all__ = [
    "AmbiguousReference",
    "BatchRecord",
    "ItemKey",
    "ItemRecord",
    "KioskContact",
    "PAPER_KIOSK_ID",
    "SqliteStorage",
    "StatusRecord",
    "Storage",
    "StorageCounts",
    "create_app",
    "open_storage",
]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from sync.server.app import create_app

        return create_app
    raise AttributeError(f"module 'sync.server' has no attribute {name!r}")
