"""Where the town hall's warnings come from: files dropped in a folder, DWD's zip files, NINA's
JSON, and feed addresses, each read as hostile input.

- A **CAP XML** file is one alert (``sync.warnings.cap``).
- A **zip** (DWD publishes its CAP files zipped, one alert per member) is read in memory, never
  unpacked to disk: at most ``MAX_ZIP_MEMBERS`` members of at most ``MAX_CAP_BYTES`` each and
  ``MAX_ZIP_TOTAL`` together, no member compressed more than ``MAX_RATIO`` to one (zip bombs), no
  member name with ``..``, a leading ``/`` or a backslash, no zip inside the zip.
- **JSON** is one alert in NINA's rendering, a list of them, or NINA's index (``mapData.json``,
  ``dashboard/<ARS>.json``: a list of ``{"id": …}``), whose alerts a feed fetches from
  ``../warnings/<id>.json`` next to it.
- A **feed** is fetched with httpx: https only (loopback for tests), no redirects followed, at
  most ``MAX_FEED_BYTES``, within the configured time for the whole feed (a server that sends a
  byte at a time is cut off too).

One bad alert is one ``Refusal`` (a log line naming the file or member); the rest still imports.
"""

from __future__ import annotations

import asyncio
import errno
import io
import logging
import lzma
import os
import re
import stat
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urljoin

import httpx

from sync.warnings.alerts import Alert
from sync.warnings.cap import (
    MAX_CAP_BYTES,
    CapError,
    is_nina_warning,
    parse_cap_xml,
    parse_json_bytes,
    parse_nina_json,
)

log = logging.getLogger("rathaus.warnings")

MAX_ZIP_BYTES = 64 * 1024 * 1024
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_TOTAL = 512 * 1024 * 1024
MAX_RATIO = 100
MAX_FEED_BYTES = 64 * 1024 * 1024
MAX_INDEX_ENTRIES = 300
MAX_FILES_PER_RUN = 2000
_NINA_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Refusal:
    """One thing that could not be imported, and why (plain words for the log)."""

    name: str
    reason: str


@dataclass
class Harvest:
    """What one source yielded: alerts with the name they came from, and what was refused."""

    alerts: list[tuple[str, Alert]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    index: list[str] = field(default_factory=list)  # NINA ids to fetch (feeds only)

    def refuse(self, name: str, reason: str) -> None:
        name, reason = printable(name), printable(reason)  # names come from whoever dropped the file
        log.warning("warning %s refused: %s", name, reason)
        self.refused.append(Refusal(name, reason))

    def extend(self, other: "Harvest") -> None:
        self.alerts.extend(other.alerts)
        self.refused.extend(other.refused)
        self.index.extend(other.index)


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """A file name or reason for a log line or terminal: control characters (escape sequences,
    line breaks) as "?", so they can neither act on a terminal nor forge log lines."""
    return _UNPRINTABLE.sub("?", text)


def read_document(name: str, data: bytes) -> Harvest:
    """Whatever one file or feed answer holds, by its content (zip, XML or JSON)."""
    harvest = Harvest()
    if data.startswith(ZIP_MAGIC):
        harvest.extend(_read_zip(name, data))
        return harvest
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    try:
        if stripped.startswith(b"<"):
            harvest.alerts.append((name, parse_cap_xml(data)))
        elif stripped.startswith((b"{", b"[")):
            _read_json(name, parse_json_bytes(data), harvest)
        else:
            raise CapError("neither CAP XML, nor JSON, nor a zip file")
    except CapError as exc:
        harvest.refuse(name, str(exc))
    return harvest


def _read_json(name: str, value: object, harvest: Harvest) -> None:
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_INDEX_ENTRIES:
        raise CapError(f"{len(items)} entries, at most {MAX_INDEX_ENTRIES}")
    for position, item in enumerate(items):
        where = name if not isinstance(value, list) else f"{name}[{position}]"
        if is_nina_warning(item):
            try:
                harvest.alerts.append((where, parse_nina_json(item)))
            except CapError as exc:
                harvest.refuse(where, str(exc))
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            if _NINA_ID.fullmatch(item["id"]):
                harvest.index.append(item["id"])
            else:
                harvest.refuse(where, "an index entry's id is not a warning id")
        else:
            harvest.refuse(where, "neither a CAP alert in JSON nor an index entry with an id")


def _read_zip(name: str, data: bytes) -> Harvest:
    harvest = Harvest()
    if len(data) > MAX_ZIP_BYTES:
        harvest.refuse(name, f"zip file of {len(data)} bytes, at most {MAX_ZIP_BYTES}")
        return harvest
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        harvest.refuse(name, f"not a readable zip file: {exc}")
        return harvest
    if len(members) > MAX_ZIP_MEMBERS:
        harvest.refuse(name, f"zip file with {len(members)} members, at most {MAX_ZIP_MEMBERS}")
        return harvest
    total = 0
    for member in members:
        where = f"{name}:{member.filename[:200]}"
        if member.is_dir():
            continue
        if ".." in member.filename.split("/") or member.filename.startswith("/") or "\\" in member.filename:
            harvest.refuse(where, "member name leaves the archive (path traversal)")
            continue
        if member.file_size > MAX_CAP_BYTES:
            harvest.refuse(where, f"member of {member.file_size} bytes, at most {MAX_CAP_BYTES}")
            continue
        if member.compress_size and member.file_size / member.compress_size > MAX_RATIO:
            harvest.refuse(where, f"member compressed more than {MAX_RATIO} to 1 (a zip bomb?)")
            continue
        total += member.file_size
        if total > MAX_ZIP_TOTAL:
            harvest.refuse(name, f"members hold more than {MAX_ZIP_TOTAL} bytes together; the rest is skipped")
            break
        try:
            with archive.open(member) as stream:
                content = stream.read(MAX_CAP_BYTES + 1)  # the header may lie about the size
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
            harvest.refuse(where, f"member cannot be read: {exc}")
            continue
        if len(content) > MAX_CAP_BYTES:
            harvest.refuse(where, f"member is larger than {MAX_CAP_BYTES} bytes")
            continue
        if content.startswith(ZIP_MAGIC):
            harvest.refuse(where, "a zip inside the zip is not read")
            continue
        inner = read_document(where, content)
        harvest.alerts.extend(inner.alerts)
        harvest.refused.extend(inner.refused)  # already logged
        if inner.index:
            harvest.refuse(where, "an index inside a zip is not followed")
    return harvest


# -- the incoming folder -------------------------------------------------------------------------


def read_file(path: Path) -> Harvest:
    """One file given by name or found in the incoming folder: opened without following a link
    and without blocking (a pipe put there never hangs the import), regular files only, bounded."""
    harvest = Harvest()
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        reason = "a link is not followed" if exc.errno == errno.ELOOP else f"cannot be read: {exc.strerror or exc}"
        harvest.refuse(name, "not a regular file (links, folders and devices are not read)" if exc.errno == errno.ELOOP else reason)
        return harvest
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            harvest.refuse(name, "not a regular file (links, folders and devices are not read)")
            return harvest
        if info.st_size > MAX_ZIP_BYTES:
            harvest.refuse(name, f"{info.st_size} bytes, at most {MAX_ZIP_BYTES}")
            return harvest
        try:
            data = fh.read(MAX_ZIP_BYTES + 1)
        except OSError as exc:
            harvest.refuse(name, f"cannot be read: {exc.strerror or exc}")
            return harvest
    if len(data) > MAX_ZIP_BYTES:
        harvest.refuse(name, f"more than {MAX_ZIP_BYTES} bytes")
        return harvest
    harvest.extend(read_document(name, data))
    return harvest


def incoming_files(folder: Path) -> list[Path]:
    """Files waiting in the incoming folder, oldest name first (``*.part`` still being written)."""
    try:
        names = sorted(entry for entry in folder.iterdir() if not entry.name.startswith(".") and not entry.name.endswith(".part"))
    except FileNotFoundError:
        return []
    return names[:MAX_FILES_PER_RUN]


def file_away(path: Path, folder: Path) -> None:
    """Move a read file to ``done/`` or ``refused/`` beside the incoming folder."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    counter = 1
    while target.exists():
        counter += 1
        target = folder / f"{path.stem}.{counter}{path.suffix}"
    path.replace(target)


# -- feeds ---------------------------------------------------------------------------------------


class FeedError(Exception):
    """A feed could not be fetched completely (the reason is for the log)."""


async def fetch(client: httpx.AsyncClient, url: str, *, deadline: float, limit: int = MAX_FEED_BYTES) -> bytes:
    """GET ``url`` within the deadline (monotonic seconds), at most ``limit`` bytes, no redirect.

    The deadline holds for the whole request: a server that sends its headers or body a byte at
    a time (each read within the read timeout) is cut off when the time is up, so one hostile or
    broken feed never keeps the others from being read."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FeedError(f"{url} took longer than allowed")
    try:
        async with asyncio.timeout(remaining):
            return await _get(client, url, deadline=deadline, limit=limit)
    except TimeoutError:
        raise FeedError(f"{url} took longer than allowed") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"{url} could not be fetched: {type(exc).__name__}: {exc}") from None


async def _get(client: httpx.AsyncClient, url: str, *, deadline: float, limit: int) -> bytes:
    async with client.stream("GET", url) as response:
        if response.status_code != 200:
            raise FeedError(f"{url} answered HTTP {response.status_code}")
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FeedError(f"{url} announces {declared} bytes, at most {limit}")
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FeedError(f"{url} sent more than {limit} bytes")
            if time.monotonic() > deadline:
                raise FeedError(f"{url} took longer than allowed")
            chunks.append(chunk)
        return b"".join(chunks)


def read_feed(url: str, *, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> Harvest:
    """One configured feed: CAP XML, a zip of CAP files, NINA JSON, or NINA's index with its
    warnings fetched one by one, all within ``timeout`` seconds. ``FeedError`` when the feed
    itself failed."""
    return asyncio.run(_read_feed(url, timeout=timeout, transport=transport))


async def _read_feed(url: str, *, timeout: float, transport: httpx.AsyncBaseTransport | None) -> Harvest:
    deadline = time.monotonic() + timeout
    options: dict[str, object] = {"timeout": httpx.Timeout(min(timeout, 30.0)), "follow_redirects": False}
    if transport is not None:
        options["transport"] = transport
    async with httpx.AsyncClient(**options) as client:  # type: ignore[arg-type]
        harvest = read_document(url, await fetch(client, url, deadline=deadline))
        unusable = [r.reason for r in harvest.refused if r.name == url]
        if unusable:  # a maintenance page or an error object, not an empty list of warnings
            raise FeedError(f"{url} sent no CAP alert, zip of CAP files or NINA index: {unusable[0]}")
        ids, harvest.index = list(dict.fromkeys(harvest.index)), []
        for warning_id in ids:
            detail = urljoin(url, f"../warnings/{quote(warning_id)}.json")
            harvest.extend(read_document(detail, await fetch(client, detail, deadline=deadline, limit=MAX_CAP_BYTES)))
    return harvest
