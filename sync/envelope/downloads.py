"""Signed downloads: what the town hall sends down to a kiosk, one versioned channel per kind.

A kiosk asks with a signed ``rathaus-download-request/1`` naming, per channel, the version it
holds (``{"keys": 1, "status": 42}``); the town hall answers one signed ``rathaus-download/1`` with,
per channel asked for and known to it, ``from_version``, ``version``, ``as_of``, ``more`` and either
a ``delta`` (entries since ``from_version``) or a ``snapshot`` (everything). Which of the two a
channel uses, how many entries one answer may carry and what an entry looks like is the channel's
registered ``ChannelFormat``; later kinds (warnings, calendars, volunteer lists, powers of
attorney) are added by registering one more, without a new format version.

Only formats and signatures live here (pure, no files, no network); the town hall's sources are
in ``sync.server.downloads``, the kiosk's application of each channel in ``sync.downloads``. The
format is specified in docs/downloads.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Literal, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.i18n import N_
from sync.envelope import fields as f
from sync.envelope.limits import MAX_STATUS_UPDATES
from sync.envelope.failures import MALFORMED, STALE, TOO_LARGE, WRONG_KIOSK, envelope_error
from sync.envelope.keyupdates import (
    MAX_KEY_UPDATES,
    KeyUpdate,
    check_key_update,
    follow_key_updates,
    key_update_to_json,
)
from sync.envelope.status import check_update
from sync.envelope.wire import (
    SignedFrame,
    check_signature,
    encode_json,
    read_signed_frame,
    sign_frame,
)

DOWNLOAD_LABEL = "download"
DOWNLOAD_REQUEST_LABEL = "download-request"
KIND_DOWNLOAD = N_("The download from the town hall")
KIND_DOWNLOAD_REQUEST = N_("The download request")

MAX_DOWNLOAD_BYTES = 1024 * 1024
"""A whole answer; the town hall pages a delta channel (``more``) to stay below it."""
MAX_DOWNLOAD_REQUEST_BYTES = 4 * 1024
MAX_CHANNELS = 16
DEFAULT_MAX_AGE_SECONDS = 600
"""Freshness of a request sent over the network (as for the status request)."""

CHANNEL_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
Mode = Literal["delta", "snapshot"]
MODES: tuple[str, ...] = ("delta", "snapshot")

_REQUEST_KEYS = frozenset({"channels", "created_at", "kiosk_id"})
_ANSWER_KEYS = frozenset({"channels", "created_at", "kiosk_id"})
_PART_COMMON = frozenset({"as_of", "from_version", "more", "version"})


# -- the channel registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelFormat:
    """What one kind of download looks like on the wire.

    ``check_entry(value, position)`` returns the entry as the program uses it and raises
    ``EnvelopeError`` (``malformed``) for anything else; ``to_json(entry)`` is its inverse.
    ``max_entries`` bounds one answer's part: a snapshot must always fit, a delta is paged.
    Delta entries must be safe to apply twice (the kiosk may hold some of them already), and
    ``entry_version(entry)`` names the version a kiosk holds once it has applied up to that entry,
    so an answer can be cut after any entry (paging).
    """

    name: str
    mode: Mode
    check_entry: Callable[[object, int], Any]
    to_json: Callable[[Any], object]
    max_entries: int
    entry_version: Callable[[Any], int] | None = None

    def __post_init__(self) -> None:
        if not CHANNEL_NAME.fullmatch(self.name):
            raise ValueError(f"channel name {self.name!r} does not match {CHANNEL_NAME.pattern}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if self.mode == "delta" and self.entry_version is None:
            raise ValueError("a delta channel names the version of each entry (entry_version)")


_FORMATS: dict[str, ChannelFormat] = {}


def register_channel_format(channel: ChannelFormat, *, replace: bool = False) -> ChannelFormat:
    """Make a channel known to both sides; a name is registered once (``replace`` for tests)."""
    if channel.name in _FORMATS and not replace and _FORMATS[channel.name] != channel:
        raise ValueError(f"channel {channel.name!r} is already registered")
    if channel.name not in _FORMATS and len(_FORMATS) >= MAX_CHANNELS:
        raise ValueError(f"at most {MAX_CHANNELS} channels")
    _FORMATS[channel.name] = channel
    return channel


def unregister_channel_format(name: str) -> None:
    """Forget a channel (tests register their own and clean up)."""
    _FORMATS.pop(name, None)


def channel_format(name: str) -> ChannelFormat | None:
    return _FORMATS.get(name)


def channel_names() -> tuple[str, ...]:
    """Every registered channel, sorted."""
    return tuple(sorted(_FORMATS))


# -- the request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadRequest:
    kiosk_id: str
    channels: dict[str, int]
    created_at: str


def _check_versions(value: object, kind: str) -> dict[str, int]:
    if not isinstance(value, dict) or not 1 <= len(value) <= MAX_CHANNELS:
        raise envelope_error(
            MALFORMED, kind, detail=f"'channels' is not an object of 1 to {MAX_CHANNELS} channels"
        )
    versions: dict[str, int] = {}
    for name, version in value.items():
        if not CHANNEL_NAME.fullmatch(name):
            raise envelope_error(MALFORMED, kind, detail="a channel name does not match its pattern")
        if type(version) is not int or not 0 <= version <= f.MAX_SAFE_INTEGER:
            raise envelope_error(MALFORMED, kind, detail=f"channel {name}: version is not an integer")
        versions[name] = version
    return versions


def _check_request(header: object) -> DownloadRequest:
    fields = f.Fields(header, KIND_DOWNLOAD_REQUEST, _REQUEST_KEYS)
    return DownloadRequest(
        kiosk_id=fields.text("kiosk_id", f.KIOSK_ID),
        channels=_check_versions(fields.value["channels"], KIND_DOWNLOAD_REQUEST),
        created_at=fields.timestamp("created_at"),
    )


def _read(data: bytes, label: str, kind: str, limit: int) -> SignedFrame:
    frame = read_signed_frame(data, label, kind, limit=limit, header_limit=limit)
    if frame.body:
        raise envelope_error(MALFORMED, kind, detail="bytes between header and signature")
    return frame


def build_download_request(
    *,
    kiosk_id: str,
    channels: Mapping[str, int],
    signing_key: Ed25519PrivateKey,
    created_at: str | None = None,
) -> bytes:
    """A kiosk's signed "this is what I hold; send me what changed"."""
    header = {
        "channels": dict(channels),
        "created_at": created_at if created_at is not None else f.utc_timestamp(),
        "kiosk_id": kiosk_id,
    }
    _check_request(header)
    data = sign_frame(DOWNLOAD_REQUEST_LABEL, header, b"", signing_key)
    if len(data) > MAX_DOWNLOAD_REQUEST_BYTES:
        raise envelope_error(TOO_LARGE, KIND_DOWNLOAD_REQUEST, detail=f"{len(data)} bytes")
    return data


def parse_download_request(data: bytes) -> DownloadRequest:
    """Who is asking, without checking the signature: to look up that kiosk's key."""
    frame = _read(data, DOWNLOAD_REQUEST_LABEL, KIND_DOWNLOAD_REQUEST, MAX_DOWNLOAD_REQUEST_BYTES)
    return _check_request(frame.header.fields)


def verify_download_request(
    data: bytes,
    kiosk_public_key: Ed25519PublicKey,
    *,
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS,
    now: dt.datetime | None = None,
) -> DownloadRequest:
    """Signature, then freshness: ``created_at`` within ``max_age_seconds`` of now, either way."""
    frame = _read(data, DOWNLOAD_REQUEST_LABEL, KIND_DOWNLOAD_REQUEST, MAX_DOWNLOAD_REQUEST_BYTES)
    check_signature(frame, kiosk_public_key, KIND_DOWNLOAD_REQUEST)
    request = _check_request(frame.header.fields)
    moment = now or dt.datetime.now(dt.timezone.utc)
    age = abs((moment - f.parse_timestamp(request.created_at)).total_seconds())
    if age > max_age_seconds:
        raise envelope_error(
            STALE,
            KIND_DOWNLOAD_REQUEST,
            created_at=request.created_at,
            detail=f"{age:.0f} s from now, allowed {max_age_seconds} s",
        )
    return request


# -- the answer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPart:
    """One channel of an answer: the entries that take a kiosk from ``from_version`` to ``version``
    (``delta``) or replace what it holds (``snapshot``); ``more`` says the town hall has more."""

    channel: str
    mode: Mode
    from_version: int
    version: int
    as_of: str
    entries: tuple[Any, ...] = ()
    more: bool = False

    def to_json(self) -> dict[str, Any]:
        form = _FORMATS[self.channel]
        return {
            "as_of": self.as_of,
            "from_version": self.from_version,
            "more": self.more,
            "version": self.version,
            self.mode: [form.to_json(entry) for entry in self.entries],
        }


@dataclass(frozen=True)
class Download:
    """A parsed answer; ``signed``/``signature`` let the kiosk check it once it knows which key."""

    kiosk_id: str
    created_at: str
    parts: dict[str, ChannelPart]
    frame: SignedFrame = field(repr=False, compare=False)

    @property
    def more(self) -> bool:
        return any(part.more for part in self.parts.values())


def _check_part(name: str, value: object) -> ChannelPart:
    form = _FORMATS.get(name)
    if form is None:
        raise envelope_error(MALFORMED, KIND_DOWNLOAD, detail=f"unknown channel {name!r}")
    fields = f.Fields(value, KIND_DOWNLOAD, _PART_COMMON | {form.mode}, where=f"channel {name}")
    from_version = fields.integer("from_version")
    version = fields.integer("version")
    more = fields.value["more"]
    if type(more) is not bool:
        raise fields.fail("'more' is not true or false")
    if form.mode == "snapshot" and more:
        raise fields.fail("a snapshot is always whole")
    if form.mode == "delta" and version < from_version:
        raise fields.fail("a delta cannot go back to an older version")
    raw_entries = fields.objects(form.mode, maximum=form.max_entries)
    if form.mode == "delta" and version == from_version and raw_entries:
        raise fields.fail("entries without a new version")
    entries = tuple(form.check_entry(entry, position) for position, entry in enumerate(raw_entries))
    return ChannelPart(
        channel=name,
        mode=form.mode,
        from_version=from_version,
        version=version,
        as_of=fields.timestamp("as_of"),
        entries=entries,
        more=more,
    )


def _check_answer(header: object) -> tuple[str, str, dict[str, ChannelPart]]:
    fields = f.Fields(header, KIND_DOWNLOAD, _ANSWER_KEYS)
    kiosk_id = fields.text("kiosk_id", f.KIOSK_ID)
    created_at = fields.timestamp("created_at")
    channels = fields.value["channels"]
    if not isinstance(channels, dict) or len(channels) > MAX_CHANNELS:
        raise fields.fail(f"'channels' is not an object of at most {MAX_CHANNELS} channels")
    parts = {}
    for name, value in channels.items():
        if not CHANNEL_NAME.fullmatch(name):
            raise fields.fail("a channel name does not match its pattern")
        parts[name] = _check_part(name, value)
    return kiosk_id, created_at, parts


def encode_download(parts: Mapping[str, ChannelPart], *, kiosk_id: str, created_at: str) -> dict[str, Any]:
    """The answer's header as JSON (to measure it before signing)."""
    return {
        "channels": {name: part.to_json() for name, part in parts.items()},
        "created_at": created_at,
        "kiosk_id": kiosk_id,
    }


def download_size(parts: Mapping[str, ChannelPart], *, kiosk_id: str, created_at: str) -> int:
    """Bytes the signed answer will have (magic, length, header, signature)."""
    header = encode_json(encode_download(parts, kiosk_id=kiosk_id, created_at=created_at))
    return len(b"rathaus-download/1\n") + 4 + len(header) + 64


def build_download(
    parts: Mapping[str, ChannelPart],
    *,
    kiosk_id: str,
    signing_key: Ed25519PrivateKey,
    created_at: str | None = None,
) -> bytes:
    """Sign the answer for one kiosk; refuses what a kiosk would refuse (also ``too_large``)."""
    header = encode_download(
        parts, kiosk_id=kiosk_id, created_at=created_at if created_at is not None else f.utc_timestamp()
    )
    _check_answer(header)
    data = sign_frame(DOWNLOAD_LABEL, header, b"", signing_key)
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise envelope_error(TOO_LARGE, KIND_DOWNLOAD, detail=f"{len(data)} bytes")
    return data


def read_download(data: bytes) -> Download:
    """Structure, limits and every entry, but not yet the signature.

    The kiosk needs the ``keys`` channel before it knows which key signed the answer (after a
    rotation of the town hall's signing key); ``check_download_signature`` follows at once.
    """
    frame = _read(data, DOWNLOAD_LABEL, KIND_DOWNLOAD, MAX_DOWNLOAD_BYTES)
    kiosk_id, created_at, parts = _check_answer(frame.header.fields)
    return Download(kiosk_id=kiosk_id, created_at=created_at, parts=parts, frame=frame)


def check_download_signature(download: Download, townhall_signing_key: Ed25519PublicKey, *, kiosk_id: str) -> None:
    """The town hall signed it (``bad_signature``), for this kiosk (``wrong_kiosk``)."""
    check_signature(download.frame, townhall_signing_key, KIND_DOWNLOAD)
    if download.kiosk_id != kiosk_id:
        raise envelope_error(WRONG_KIOSK, KIND_DOWNLOAD, found=download.kiosk_id, expected=kiosk_id)


def verify_download(data: bytes, townhall_signing_key: Ed25519PublicKey, *, kiosk_id: str) -> Download:
    """Read and check an answer whose signing key is known beforehand."""
    download = read_download(data)
    check_download_signature(download, townhall_signing_key, kiosk_id=kiosk_id)
    return download


def key_updates_to_follow(
    part: ChannelPart,
    *,
    pinned: bytes,
    pinned_signing_key: Ed25519PublicKey,
    signing_key_of: Callable[[bytes], Ed25519PublicKey],
) -> tuple[list[KeyUpdate], Ed25519PublicKey]:
    """The rotations of a ``keys`` part the kiosk must pin, and the signing key it trusts after
    them (see ``sync.envelope.keyupdates.follow_key_updates``); their numbers must be exactly
    ``from_version + 1`` to ``version``."""
    updates: list[KeyUpdate] = list(part.entries)
    if updates and [u.version for u in updates] != list(range(part.from_version + 1, part.version + 1)):
        raise envelope_error(MALFORMED, KIND_DOWNLOAD, detail="rotation numbers do not fit the versions")
    return follow_key_updates(
        updates, pinned=pinned, pinned_signing_key=pinned_signing_key, signing_key_of=signing_key_of
    )


def verify_download_with_keys(
    data: bytes,
    *,
    kiosk_id: str,
    pinned: bytes,
    pinned_signing_key: Ed25519PublicKey,
    signing_key_of: Callable[[bytes], Ed25519PublicKey],
) -> Download:
    """What a kiosk does with an answer: follow its ``keys`` channel from the pinned
    ``townhall.json`` (each rotation signed by the key before it), then check the whole answer
    with the signing key it ends up trusting. Any break refuses the whole answer."""
    download = read_download(data)
    signing = pinned_signing_key
    keys_part = download.parts.get("keys")
    if keys_part is not None and keys_part.entries:
        _, signing = key_updates_to_follow(
            keys_part, pinned=pinned, pinned_signing_key=pinned_signing_key, signing_key_of=signing_key_of
        )
    check_download_signature(download, signing, kiosk_id=kiosk_id)
    return download


# -- the channels of protocol 1.1 ----------------------------------------------------------------

STATUS_CHANNEL = register_channel_format(
    ChannelFormat(
        name="status",
        mode="delta",
        check_entry=check_update,
        to_json=asdict,
        max_entries=MAX_STATUS_UPDATES,
        entry_version=lambda update: update.serial,
    )
)
"""The town hall's answers to applications; the version is the highest serial sent (entries
are the update objects of the status bundle, docs/envelope.md §7)."""


KEYS_CHANNEL = register_channel_format(
    ChannelFormat(
        name="keys",
        mode="delta",
        check_entry=check_key_update,
        to_json=key_update_to_json,
        max_entries=MAX_KEY_UPDATES,
        entry_version=lambda update: update.version,
    )
)
"""The town hall's key rotations; the version is the number of rotations so far."""
