"""The kiosk's side of downloads: ask what changed, check the signed answer, apply each channel.

The outbox runs this first whenever a link appears, before any upload, so a warning or a new key
never waits behind a long upload; the status look-up runs it too, with a short deadline, so an
answer set at the town hall a moment ago is shown at once. ``rathaus usb`` carries the same
request and answer as files.

Every channel the kiosk applies has a ``ChannelSink``: ``status`` moves the town hall's answers
into the queue, ``keys`` pins a new ``townhall.json`` after a rotation. A part is applied only if
it does not take the kiosk back (an older version, a replayed answer) and does not skip what the
kiosk has not seen (a delta from a later version than the kiosk holds); the version and as-of time
of each channel are kept in the store (``kiosk.store.channels``).

Trust: the answer is signed by the town hall's signing key. After a rotation of that key the
kiosk first follows the ``keys`` channel (each new ``townhall.json`` signed by the key before it,
starting from the pinned one) and then checks the answer with the key it ends up trusting; a key
update signed by anyone else makes the whole answer refused, and nothing of it is applied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.errors import KeyFileError
from kiosk.store import StatusRecord, Store
from sync.envelope.downloads import (
    KIND_DOWNLOAD,
    ChannelPart,
    Download,
    build_download_request,
    channel_format,
    key_updates_to_follow,
    verify_download_with_keys,
)
from sync.envelope.failures import MALFORMED, envelope_error
from sync.envelope.fields import utc_timestamp
from sync.envelope.status import build_status_request, verify_status_bundle
from sync.envelope.keyupdates import KIND_KEY_UPDATE, KeyUpdate
from sync.warnings.alerts import SEVERITY_RANK, alert_to_json
from sync.warnings.channel import CHANNEL as WARNINGS_CHANNEL
from sync.keys import (
    KEYS_DIR,
    TOWNHALL_PUBLIC,
    KioskKeys,
    TownhallPublicKeys,
    parse_townhall_public_bytes,
    pin_townhall_public,
)

log = logging.getLogger("rathaus.downloads")

MAX_ROUNDS = 25
"""Answers fetched in one go while the town hall says ``more`` (25 × 200 status updates)."""


@dataclass(frozen=True)
class KioskContext:
    """What a sink may touch: the queue, and the folder where the town hall's keys are pinned."""

    store: Store
    kiosk: KioskKeys
    kiosk_dir: Path
    townhall: TownhallPublicKeys


@dataclass(frozen=True)
class ChannelSink:
    """``apply(context, part)`` applies one checked part and records its version and as-of time
    in the same step; returns how many things changed (for reports)."""

    name: str
    apply: Callable[[KioskContext, ChannelPart], int]


_SINKS: dict[str, ChannelSink] = {}


def register_sink(sink: ChannelSink, *, replace: bool = False) -> ChannelSink:
    """Let the kiosk ask for and apply one more channel."""
    if sink.name in _SINKS and not replace:
        raise ValueError(f"channel {sink.name!r} already has a sink")
    _SINKS[sink.name] = sink
    return sink


def unregister_sink(name: str) -> None:
    _SINKS.pop(name, None)


def snapshot_sink(name: str) -> ChannelSink:
    """A sink for a snapshot channel without a table of its own: its entries as JSON in the store."""

    def apply(context: KioskContext, part: ChannelPart) -> int:
        form = channel_format(name)
        assert form is not None
        context.store.replace_channel_entries(
            name, [form.to_json(entry) for entry in part.entries], version=part.version, as_of=part.as_of
        )
        return len(part.entries)

    return ChannelSink(name, apply)


# -- the built-in channels -----------------------------------------------------------------------


def _apply_status(context: KioskContext, part: ChannelPart) -> int:
    return context.store.apply_status(
        (StatusRecord(u.reference, u.status, u.message, u.updated_at, u.serial) for u in part.entries),
        version=part.version,
        as_of=part.as_of,
    )


def _pinned_path(kiosk_dir: Path) -> Path:
    return Path(kiosk_dir) / KEYS_DIR / TOWNHALL_PUBLIC


def _signing_key_in(path: Path) -> Callable[[bytes], Ed25519PublicKey]:
    """Reads the signing key of a ``townhall.json`` that came in a key update; a broken file is
    a broken download (``malformed``), not a broken kiosk."""

    def signing_key_of(data: bytes) -> Ed25519PublicKey:
        try:
            return parse_townhall_public_bytes(data, path).signing
        except KeyFileError as exc:
            raise envelope_error(MALFORMED, KIND_KEY_UPDATE, detail=exc.detail or "townhall.json") from None

    return signing_key_of


def _follow(part: ChannelPart, kiosk_dir: Path, trusted: TownhallPublicKeys) -> tuple[list[KeyUpdate], Ed25519PublicKey]:
    path = _pinned_path(kiosk_dir)
    return key_updates_to_follow(
        part, pinned=path.read_bytes(), pinned_signing_key=trusted.signing, signing_key_of=_signing_key_in(path)
    )


def _apply_keys(context: KioskContext, part: ChannelPart) -> int:
    to_pin, _signing = _follow(part, context.kiosk_dir, context.townhall)
    for update in to_pin:
        pinned = pin_townhall_public(context.kiosk_dir, update.townhall)
        log.warning(
            "town-hall keys rotated (%d): now sealing for encryption key %s, trusting signing key %s",
            update.version,
            pinned.encryption_key_id,
            pinned.signing_key_id,
        )
    context.store.record_channel("keys", version=part.version, as_of=part.as_of)
    return len(to_pin)


def _apply_warnings(context: KioskContext, part: ChannelPart) -> int:
    """The warnings snapshot replaces what the kiosk held. Version 0 means the town hall has no
    complete warnings record: nothing is stored, so the kiosk keeps saying it has none."""
    if part.version == 0:
        return 0
    return context.store.replace_warnings(
        [alert_to_json(alert) for alert in part.entries],
        rank=lambda entry: SEVERITY_RANK.get(str(entry["severity"]), 0),
        version=part.version,
        as_of=part.as_of,
    )


register_sink(ChannelSink("status", _apply_status))
register_sink(ChannelSink("keys", _apply_keys))
register_sink(ChannelSink(WARNINGS_CHANNEL, _apply_warnings))


# -- one exchange --------------------------------------------------------------------------------


@dataclass
class DownloadOutcome:
    """What one or more answers changed; ``townhall`` is the keys trusted afterwards."""

    townhall: TownhallPublicKeys
    changed: dict[str, int] = field(default_factory=dict)
    more: bool = False
    rounds: int = 0

    @property
    def keys_rotated(self) -> bool:
        return self.changed.get("keys", 0) > 0


def download_request(store: Store, kiosk: KioskKeys) -> bytes:
    """The signed request naming every channel this kiosk applies and the version it holds."""
    states = store.channel_states()
    versions = {name: states[name].version if name in states else 0 for name in sorted(_SINKS)}
    created_at = utc_timestamp()
    store.note_signed_at(created_at)  # the appointment quota's clock never goes back behind it
    return build_download_request(
        kiosk_id=kiosk.kiosk_id, channels=versions, signing_key=kiosk.signing, created_at=created_at
    )


def _acceptable(part: ChannelPart, held: int) -> bool:
    """Never back to an older version; a delta must start at or before what the kiosk holds
    (entries it holds already are applied again harmlessly), never after it (a gap)."""
    if part.version < held:
        return False
    return part.mode == "snapshot" or part.from_version <= held


class DownloadsUnsupported(Exception):
    """The town hall answers no download requests (it runs protocol 1.0)."""


def fetch_status_bundle(
    post: Callable[[bytes], bytes], *, store: Store, kiosk: KioskKeys, townhall: TownhallPublicKeys
) -> int:
    """Status updates from a town hall before protocol 1.1 (envelope.md §7–8), so kiosks can be
    updated before their town hall; returns how many applications changed."""
    request = build_status_request(
        kiosk_id=kiosk.kiosk_id, since_serial=store.status_cursor(), signing_key=kiosk.signing
    )
    updates = verify_status_bundle(post(request), townhall.signing, kiosk_id=kiosk.kiosk_id)
    return store.apply_status(
        StatusRecord(u.reference, u.status, u.message, u.updated_at, u.serial) for u in updates
    )


def pinned_townhall(kiosk_dir: Path) -> tuple[bytes, TownhallPublicKeys]:
    """The kiosk's pinned ``townhall.json``: its bytes and keys. The file, not what a caller
    holds in memory, is what the kiosk trusts (a stick may have brought a rotation meanwhile)."""
    path = _pinned_path(kiosk_dir)
    data = path.read_bytes()
    return data, parse_townhall_public_bytes(data, path)


def apply_download(
    data: bytes,
    *,
    store: Store,
    kiosk: KioskKeys,
    kiosk_dir: Path,
    outcome: DownloadOutcome | None = None,
) -> DownloadOutcome:
    """Check one answer completely, then apply its channels, ``keys`` first.

    Raises ``EnvelopeError`` and applies nothing when the answer does not verify.
    """
    kiosk_dir = Path(kiosk_dir)
    pinned, townhall = pinned_townhall(kiosk_dir)
    download = verify_download_with_keys(
        data,
        kiosk_id=kiosk.kiosk_id,
        pinned=pinned,
        pinned_signing_key=townhall.signing,
        signing_key_of=_signing_key_in(_pinned_path(kiosk_dir)),
    )
    outcome = outcome or DownloadOutcome(townhall=townhall)
    outcome.more = False
    context = KioskContext(store, kiosk, kiosk_dir, townhall)
    for name in sorted(download.parts, key=lambda channel: channel != "keys"):
        part = download.parts[name]
        sink = _SINKS.get(name)
        if sink is None:
            raise envelope_error(MALFORMED, KIND_DOWNLOAD, detail=f"channel {name!r} was not asked for")
        held = store.channel_state(name).version
        if not _acceptable(part, held):
            log.info("download part %s %d->%d ignored: the kiosk holds %d", name, part.from_version, part.version, held)
            continue
        outcome.changed[name] = outcome.changed.get(name, 0) + sink.apply(context, part)
        outcome.more = outcome.more or part.more
        if name == "keys" and part.entries:
            context = KioskContext(store, kiosk, kiosk_dir, pinned_townhall(kiosk_dir)[1])
    outcome.townhall = context.townhall
    outcome.rounds += 1
    return outcome


def fetch_downloads(
    post: Callable[[bytes], bytes],
    *,
    store: Store,
    kiosk: KioskKeys,
    kiosk_dir: Path,
    max_rounds: int = MAX_ROUNDS,
) -> DownloadOutcome:
    """Ask, apply, and ask again while the town hall has more (at most ``max_rounds`` answers).

    ``post(request) -> answer`` is the transport (the outbox's retrying POST); its errors pass
    through, and what was applied before them stays applied. ``outcome.townhall`` is the keys the
    kiosk trusts afterwards.
    """
    outcome = DownloadOutcome(townhall=pinned_townhall(kiosk_dir)[1])
    while outcome.rounds < max_rounds:
        answer = post(download_request(store, kiosk))
        apply_download(answer, store=store, kiosk=kiosk, kiosk_dir=kiosk_dir, outcome=outcome)
        if not outcome.more:
            break
    return outcome


__all__ = [
    "ChannelSink",
    "DownloadOutcome",
    "DownloadsUnsupported",
    "KioskContext",
    "apply_download",
    "download_request",
    "fetch_downloads",
    "fetch_status_bundle",
    "pinned_townhall",
    "register_sink",
    "snapshot_sink",
    "unregister_sink",
]


# Assisted mode: the volunteers and powers of attorney the kiosk checks sign-ins and powers against.
from sync.envelope import assistance_channels as _assistance_channels  # noqa: E402

register_sink(snapshot_sink(_assistance_channels.VOLUNTEERS_CHANNEL.name))
register_sink(snapshot_sink(_assistance_channels.POWERS_CHANNEL.name))

# The calendar channels (appointments) register their sinks when the kiosk applies downloads.
import kiosk.appointments.sink  # noqa: E402,F401
