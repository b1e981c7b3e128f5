"""Files on a USB stick, handled as hostile: no link followed, no special file opened, no waiting.

A stick is a file system someone else made. It may hold a link named like the file we are about to
write (writing through it would overwrite whatever it points at: the town hall's private key, the
kiosk's queue), a named pipe named like a batch (opening it waits for ever), a device, or a
transfer folder that is itself a link to somewhere else on this computer. So every folder on the
stick is held open by descriptor and every name is looked up inside it (``dir_fd``), with
``O_NOFOLLOW`` at each step; a file is opened ``O_NONBLOCK`` and checked with ``fstat`` before a
byte is read, so a pipe swapped in after the listing is refused rather than waited on; and a file
is written under a fresh name (``O_CREAT|O_EXCL|O_NOFOLLOW``), flushed, then renamed over its
final name, which replaces a link there instead of writing through it.

Only the mount point itself, which the operator names, is opened the ordinary way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Kinds of directory entry, as a reader's message names them.
FILE = "file"
FOLDER = "folder"
LINK = "link"
PIPE = "pipe"
DEVICE = "device"
SOCKET = "socket"
OTHER = "other"

PART_SUFFIX = ".part"
# A folder with more entries than this is not a transfer folder; looking at all of them would
# let a stick hold the tool for as long as it likes.
MAX_ENTRIES_PER_FOLDER = 10_000

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC


class NotOrdinary(Exception):
    """An entry on the stick is not what its place requires (a link, a pipe, a device...).

    ``name`` is the entry's path inside the stick, ``kind`` one of the kinds above. The entry is
    left exactly as it is: refusing it never removes or changes anything.
    """

    def __init__(self, name: str, kind: str, wanted: str) -> None:
        super().__init__(f"{name}: {kind}, not a {wanted}")
        self.name = name
        self.kind = kind
        self.wanted = wanted


@dataclass(frozen=True)
class Entry:
    """One name in a stick folder and what it is, seen without following it."""

    name: str
    kind: str


@dataclass(frozen=True)
class Listing:
    """A folder's entries as far as they were looked at."""

    entries: list[Entry]
    complete: bool  # False: the folder had more than MAX_ENTRIES_PER_FOLDER entries


def kind_of(mode: int) -> str:
    """The kind of a file from its ``lstat``/``fstat`` mode."""
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISDIR(mode):
        return FOLDER
    if stat.S_ISLNK(mode):
        return LINK
    if stat.S_ISFIFO(mode):
        return PIPE
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return DEVICE
    if stat.S_ISSOCK(mode):
        return SOCKET
    return OTHER


def shown(name: str) -> str:
    """A name from the stick made safe to print: no control characters (a terminal would obey
    them), nothing the console cannot encode, and not endless."""
    safe = "".join(ch if ch.isprintable() and not 0xDC80 <= ord(ch) <= 0xDCFF else "?" for ch in name)
    return safe if len(safe) <= 200 else safe[:200] + "…"


def _component(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise ValueError(f"not a single file name: {name!r}")
    return name


class StickFolder:
    """One folder on the stick, held open; every name is looked up inside it, never followed."""

    def __init__(self, fd: int, label: PurePosixPath) -> None:
        self._fd = fd
        self.label = label  # where it lies on the stick, for messages

    @classmethod
    def open_mount(cls, directory: Path) -> StickFolder:
        """The mount point the operator named (trusted: it is this computer's, not the stick's)."""
        return cls(os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), PurePosixPath())

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> StickFolder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def path_of(self, name: str) -> str:
        """``name`` as staff see it: its place on the stick, printable."""
        return shown(str(self.label / name))

    # -- looking -----------------------------------------------------------------------------------

    def kind(self, name: str) -> str | None:
        """What ``name`` is, without following it; ``None`` when there is nothing by that name."""
        try:
            return kind_of(os.stat(_component(name), dir_fd=self._fd, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            return None

    def listing(self) -> Listing:
        """The folder's entries, sorted by name, each with its kind (nothing is followed)."""
        entries: list[Entry] = []
        complete = True
        with os.scandir(self._fd) as found:
            for item in found:
                if len(entries) >= MAX_ENTRIES_PER_FOLDER:
                    complete = False
                    break
                try:
                    mode = item.stat(follow_symlinks=False).st_mode
                except FileNotFoundError:
                    continue  # gone since the listing
                entries.append(Entry(item.name, kind_of(mode)))
        entries.sort(key=lambda entry: entry.name)
        return Listing(entries, complete)

    def folder(self, name: str) -> StickFolder | None:
        """The sub-folder ``name``, opened without following a link; ``None`` if it is missing.
        Anything else by that name (a link, a file, a pipe...) raises :class:`NotOrdinary`."""
        name = _component(name)
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=self._fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            kind = self.kind(name) if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR) else None
            if kind not in (None, FILE):  # an ordinary file there is a broken stick, not a trap
                raise NotOrdinary(self.path_of(name), kind, FOLDER) from None
            raise
        return StickFolder(fd, self.label / name)

    def make_folder(self, name: str) -> StickFolder:
        """The sub-folder ``name``, made if missing; a link in its place is refused, not followed
        (``mkdir`` fails on any existing entry, and the open does not follow)."""
        with contextlib.suppress(FileExistsError):
            os.mkdir(_component(name), 0o700, dir_fd=self._fd)
        folder = self.folder(name)
        if folder is None:  # removed between the two calls: the stick is going away
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), self.path_of(name))
        return folder

    # -- reading -----------------------------------------------------------------------------------

    def read(self, name: str, limit: int) -> bytes:
        """At most ``limit + 1`` bytes of the regular file ``name``: the checks after this refuse
        what is too large without it ever filling the memory. A link, pipe, device or socket is
        refused before a byte is read, and never waited on."""
        name = _component(name)
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=self._fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK, errno.EISDIR, errno.ENXIO):
                raise NotOrdinary(self.path_of(name), self.kind(name) or OTHER, FILE) from None
            raise
        try:
            kind = kind_of(os.fstat(fd).st_mode)
            if kind != FILE:  # swapped in after the listing: still refused, still not waited on
                raise NotOrdinary(self.path_of(name), kind, FILE)
            chunks: list[bytes] = []
            left = limit + 1
            while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    # -- writing -----------------------------------------------------------------------------------

    def write(self, name: str, data: bytes) -> list[Entry]:
        """Write ``data`` as ``name``: to a fresh ``.part`` name created exclusively (a link or
        anything else already there makes the create fail instead of being written through),
        flushed to the device, then renamed over ``name``, so a pulled stick leaves only a
        ``.part`` file, never half a file under a name that readers take.

        Returns what lay under this name's ``.part`` names and was not an ordinary file: left as
        it is, for the caller to name. Leftover ordinary ``.part`` files of this name (a stick
        pulled out during an earlier write) are removed, now that the whole file is there.
        """
        name = _component(name)
        if self.kind(name) == FOLDER:  # anything else there is replaced as an entry, never opened
            raise NotOrdinary(self.path_of(name), FOLDER, FILE)
        part = f"{name}.{secrets.token_hex(8)}{PART_SUFFIX}"
        fd = os.open(part, _WRITE_FLAGS, 0o600, dir_fd=self._fd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            # rename replaces the entry under ``name`` (a link there is replaced, not followed)
            os.rename(part, name, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except BaseException:
            with contextlib.suppress(OSError):  # a full or pulled stick: leave no scratch file
                os.unlink(part, dir_fd=self._fd)
            raise
        os.fsync(self._fd)
        return self._clear_leftover_parts(name)

    def _clear_leftover_parts(self, name: str) -> list[Entry]:
        refused: list[Entry] = []
        for entry in self.listing().entries:
            if not _is_part_of(entry.name, name):
                continue
            if entry.kind == FILE:
                self.remove(entry.name)
            else:
                refused.append(entry)
        return refused

    def remove(self, name: str) -> None:
        """Remove the entry ``name`` itself (``unlink`` never follows a link); gone already is fine."""
        try:
            os.unlink(_component(name), dir_fd=self._fd)
        except FileNotFoundError:
            pass


def _is_part_of(candidate: str, name: str) -> bool:
    """``name.part`` (older writers) or ``name.<fresh>.part`` (this one)."""
    if candidate == name + PART_SUFFIX:
        return True
    middle = candidate[len(name) + 1 : -len(PART_SUFFIX)]
    return (
        candidate.startswith(name + ".")
        and candidate.endswith(PART_SUFFIX)
        and bool(middle)
        and all(ch in "0123456789abcdef" for ch in middle)
    )


def nearest_mount(path: Path) -> Path:
    """The mount point holding ``path``, found by its written-out folders (a link is never taken
    for one: ``os.path.ismount`` does not follow it), ``/`` at the latest."""
    for folder in Path(os.path.abspath(path)).parents:
        if os.path.ismount(folder):
            return folder
    return Path("/")


def read_named_file(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the regular file an operator named by its path, perhaps on a
    stick: the folders below the mount point that holds it are opened as :class:`StickFolder` does
    (a folder that is a link raises :class:`NotOrdinary` naming it, as does a file that is not an
    ordinary one); the mount point and what lies above it belong to this computer.
    ``FileNotFoundError`` when something on the way is missing."""
    full = Path(os.path.abspath(path))
    mount = nearest_mount(full)
    folders = full.parent.relative_to(mount).parts
    current = StickFolder.open_mount(mount)
    current.label = PurePosixPath(mount)
    try:
        for name in folders:
            inner = current.folder(name)
            if inner is None:
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(full))
            current.close()
            current = inner
        return current.read(full.name, limit)
    finally:
        current.close()
