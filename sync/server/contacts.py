"""The last time each kiosk was heard from, for staff who must notice a kiosk that fell silent.

Noted after an exchange was accepted (a batch stored or acknowledged again, a download or an
older kiosk's status request answered),
over the network and by stick alike. Noting it never makes an exchange fail: a kiosk's batch is
worth more than the time stamp beside it.
"""

from __future__ import annotations

import logging

from sync.server.storage import Storage

log = logging.getLogger("rathaus.server")


def note_kiosk_contact(
    storage: Storage, kiosk_id: str, at: str, kind: str, *, batch_items: int | None = None
) -> None:
    """Record the contact; a storage failure is logged, never raised."""
    try:
        storage.record_kiosk_contact(kiosk_id, at, kind, batch_items=batch_items)
    except Exception as exc:  # any backend's database error  # noqa: BLE001
        log.warning("last contact of kiosk %s not recorded: %r", kiosk_id, exc)
