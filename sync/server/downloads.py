"""The town hall's side of downloads: answer a kiosk's signed request with one signed answer.

Every channel has a ``ChannelSource`` here that, given what the kiosk holds, says what is new: the
status channel reads the staff's answers for that kiosk after its serial, the keys channel the
rotations after its count. The HTTP endpoint (``POST /v1/downloads``) and ``rathaus usb import``
both call ``answer_download_request``, so a stick meets exactly the network's checks: size, the
kiosk's enrolment, its signature, freshness, and only then the database.

An answer stays below ``MAX_DOWNLOAD_BYTES``: a delta that would not fit is cut shorter and marked
``more``, and the kiosk asks again from where it got to.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping

from kiosk.errors import EnvelopeError
from sync.allowlist import Allowlist
from sync.envelope import utc_timestamp
from sync.envelope.downloads import (
    DEFAULT_MAX_AGE_SECONDS,
    KIND_DOWNLOAD,
    KIND_DOWNLOAD_REQUEST,
    MAX_DOWNLOAD_BYTES,
    MAX_DOWNLOAD_REQUEST_BYTES,
    ChannelPart,
    build_download,
    channel_format,
    download_size,
    parse_download_request,
    verify_download_request,
)
from sync.envelope.failures import TOO_LARGE, envelope_error
from sync.envelope.keyupdates import KeyUpdate
from sync.keys import TownhallKeys
from sync.rotation import key_updates
from sync.server.contacts import note_kiosk_contact
from sync.server.storage import Storage

log = logging.getLogger("rathaus.downloads")

DOWNLOADS_PATH = "/v1/downloads"


@dataclass(frozen=True)
class SourceContext:
    """What a channel source may read to answer one kiosk."""

    storage: Storage
    townhall: TownhallKeys
    townhall_dir: Path | None
    kiosk_id: str
    as_of: str
    requested: Mapping[str, int] = field(default_factory=dict)
    """Every channel version the kiosk named (a channel may read another's, e.g. a usage count)."""
    requested_at: str | None = None
    """The request's own ``created_at``: the kiosk's clock when it signed the request."""


@dataclass(frozen=True)
class ChannelSource:
    """``part(context, held_version)`` is the channel's part of the answer for one kiosk."""

    name: str
    part: Callable[[SourceContext, int], ChannelPart]


_SOURCES: dict[str, ChannelSource] = {}


def register_source(source: ChannelSource, *, replace: bool = False) -> ChannelSource:
    """Let the town hall answer one more channel (its format must be registered already)."""
    if channel_format(source.name) is None:
        raise ValueError(f"channel {source.name!r} has no registered format")
    if source.name in _SOURCES and not replace:
        raise ValueError(f"channel {source.name!r} already has a source")
    _SOURCES[source.name] = source
    return source


def unregister_source(name: str) -> None:
    _SOURCES.pop(name, None)


# -- the built-in channels -----------------------------------------------------------------------


def _status_part(context: SourceContext, held: int) -> ChannelPart:
    limit = channel_format("status").max_entries  # type: ignore[union-attr]
    updates = context.storage.status_updates_for_kiosk(
        context.kiosk_id, since_serial=held, limit=limit + 1
    )
    more = len(updates) > limit
    updates = updates[:limit]
    return ChannelPart(
        channel="status",
        mode="delta",
        from_version=held,
        version=updates[-1].serial if updates else held,
        as_of=context.as_of,
        entries=tuple(updates),
        more=more,
    )


def _keys_part(context: SourceContext, held: int) -> ChannelPart:
    limit = channel_format("keys").max_entries  # type: ignore[union-attr]
    updates: list[KeyUpdate] = key_updates(context.townhall_dir) if context.townhall_dir else []
    newer = [update for update in updates if update.version > held]
    page = newer[:limit]
    return ChannelPart(
        channel="keys",
        mode="delta",
        from_version=held,
        version=page[-1].version if page else max(held, len(updates)),
        as_of=context.as_of,
        entries=tuple(page),
        more=len(newer) > limit,
    )


register_source(ChannelSource("status", _status_part))
register_source(ChannelSource("keys", _keys_part))


# -- answering -----------------------------------------------------------------------------------


def _fit(parts: dict[str, ChannelPart], *, kiosk_id: str, created_at: str) -> dict[str, ChannelPart]:
    """Halve the largest delta until the answer fits; the kiosk asks again for the rest."""
    while download_size(parts, kiosk_id=kiosk_id, created_at=created_at) > MAX_DOWNLOAD_BYTES:
        deltas = [part for part in parts.values() if part.mode == "delta" and len(part.entries) > 1]
        if not deltas:
            raise envelope_error(TOO_LARGE, KIND_DOWNLOAD, detail="a snapshot does not fit one answer")
        part = max(deltas, key=lambda p: len(p.entries))
        kept = part.entries[: len(part.entries) // 2]
        form = channel_format(part.channel)
        assert form is not None and form.entry_version is not None
        parts[part.channel] = replace(part, entries=kept, version=form.entry_version(kept[-1]), more=True)
    return parts


def answer_download_request(
    storage: Storage,
    allowlist: Allowlist,
    request_bytes: bytes,
    *,
    townhall: TownhallKeys,
    townhall_dir: Path | None = None,
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
    now: dt.datetime | None = None,
) -> bytes:
    """Check a kiosk's download request completely, then sign what is new for it.

    Channels the kiosk names that this town hall does not know are left out (a newer kiosk may
    ask for more); unknown or blocked kiosks and stale or forged requests get ``EnvelopeError``.
    """
    return answer_download_pages(
        storage,
        allowlist,
        request_bytes,
        townhall=townhall,
        townhall_dir=townhall_dir,
        max_age_seconds=max_age_seconds,
        now=now,
        max_pages=1,
    )[0]


def answer_download_pages(
    storage: Storage,
    allowlist: Allowlist,
    request_bytes: bytes,
    *,
    townhall: TownhallKeys,
    townhall_dir: Path | None = None,
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
    now: dt.datetime | None = None,
    max_pages: int = 25,
) -> list[bytes]:
    """Like ``answer_download_request``, but where the kiosk cannot ask again soon (a USB stick)
    the answer goes on: each further page starts where the one before ended, until nothing more
    waits or ``max_pages`` answers are made."""
    size = len(request_bytes)
    if size > MAX_DOWNLOAD_REQUEST_BYTES:
        log.warning("download request refused (%s): %d bytes", TOO_LARGE, size)
        raise envelope_error(
            TOO_LARGE, KIND_DOWNLOAD_REQUEST, limit=MAX_DOWNLOAD_REQUEST_BYTES, detail=f"{size} bytes"
        )
    kiosk_id = "?"
    try:
        kiosk_id = parse_download_request(request_bytes).kiosk_id
        kiosk_key = allowlist.public_key_for(kiosk_id)
        request = verify_download_request(
            request_bytes, kiosk_key, max_age_seconds=max_age_seconds, now=now
        )
        created_at = utc_timestamp(now) if now is not None else utc_timestamp()
        note_kiosk_contact(storage, request.kiosk_id, created_at, "download")
        context = SourceContext(
            storage, townhall, townhall_dir, request.kiosk_id, created_at,
            requested=dict(request.channels), requested_at=request.created_at,
        )
        held = {name: version for name, version in request.channels.items() if name in _SOURCES}
        answers: list[bytes] = []
        while True:
            parts = {name: _SOURCES[name].part(context, version) for name, version in sorted(held.items())}
            parts = _fit(parts, kiosk_id=request.kiosk_id, created_at=created_at)
            answers.append(
                build_download(parts, kiosk_id=request.kiosk_id, signing_key=townhall.signing, created_at=created_at)
            )
            _log_answer(request.kiosk_id, parts)
            held = {name: part.version for name, part in parts.items() if part.more}
            if not held or len(answers) >= max_pages:
                return answers
    except EnvelopeError as exc:
        log.warning("download request from kiosk %s refused (%s)", kiosk_id, exc.code)
        raise


def _log_answer(kiosk_id: str, parts: dict[str, ChannelPart]) -> None:
    log.info(
        "download for kiosk %s: %s",
        kiosk_id,
        ", ".join(f"{p.channel} {p.from_version}->{p.version} ({len(p.entries)})" for p in parts.values())
        or "no known channel asked for",
    )


# -- channels of later issues (each module registers its format on import) ----------------------

from sync.warnings.channel import CHANNEL as _WARNINGS, warnings_part as _warnings_part  # noqa: E402

register_source(ChannelSource(_WARNINGS, _warnings_part))

# Assisted mode's channels (``volunteers``, ``powers``) register their sources on import.
import sync.assistance.sources  # noqa: E402,F401

# The calendar channels register their sources when the town hall answers downloads.
import sync.calendar.source  # noqa: E402,F401
