"""The ``warnings`` download channel: a signed snapshot of the warnings for the kiosks' areas.

Registered here for both sides (docs/downloads.md §11): the format (a snapshot of at most
``MAX_SNAPSHOT_ALERTS`` alerts, each checked by ``alert_from_json``) and the town hall's source.
The part's ``as_of`` is the time of the last complete import, not the time of the answer: a kiosk
must see how old the town hall's knowledge is. Its ``version`` is that time in seconds since 1970,
or later when the record changed since (``sync.warnings.store``), so it only grows, also when the
record is made afresh, and other contents never travel under the same version; ``0`` means the
town hall has no complete import (or no areas configured), and the kiosk then says that warnings
could not be fetched.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from kiosk.errors import RathausError
from sync.envelope.downloads import ChannelFormat, ChannelPart, register_channel_format
from sync.warnings.alerts import alert_from_json, alert_to_json, parse_utc
from sync.warnings.config import load_warnings_config
from sync.warnings.snapshot import MAX_SNAPSHOT_ALERTS, kiosk_snapshot_versioned

log = logging.getLogger("rathaus.warnings")

CHANNEL = "warnings"

WARNINGS_CHANNEL = register_channel_format(
    ChannelFormat(
        name=CHANNEL,
        mode="snapshot",
        check_entry=alert_from_json,
        to_json=alert_to_json,
        max_entries=MAX_SNAPSHOT_ALERTS,
    )
)


def version_of(as_of: str | None) -> int:
    """The channel version of a record complete as of ``as_of`` (0: never)."""
    return 0 if as_of is None else int(parse_utc(as_of).timestamp())


def warnings_part(context: Any, held: int) -> ChannelPart:
    """The town hall's part for one kiosk (``sync.server.downloads.ChannelSource``)."""
    alerts, as_of, version = [], None, 0
    if context.townhall_dir is not None:
        try:
            config = load_warnings_config(context.townhall_dir)
            alerts, as_of, version = kiosk_snapshot_versioned(config, parse_utc(context.as_of))
        except (RathausError, OSError, ValueError, sqlite3.Error) as exc:
            # A broken record must not block status and keys. sqlite3.Error too: a damaged
            # warnings.db, or a town folder the server may only read (a district's unit) where
            # SQLite cannot open the record's WAL index.
            detail = getattr(exc, "message", None) or repr(exc)
            log.warning("warnings not sent to kiosk %s: %s", context.kiosk_id, detail)
            alerts, as_of, version = [], None, 0
    return ChannelPart(
        channel=CHANNEL,
        mode="snapshot",
        from_version=held,
        version=version,
        as_of=as_of or context.as_of,
        entries=tuple(alerts) if version else (),
    )



