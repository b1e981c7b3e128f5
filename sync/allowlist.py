"""The town hall's list of enrolled kiosks: whose batches and status requests it accepts.

Kept in ``keys/kiosks.json`` in the town-hall data directory, next to the keys, because it is part
of the trust set-up and is edited by ``rathaus keys approve/revoke`` while the server runs. Every
change is a locked read-modify-write followed by an atomic rename, and every lookup checks whether
the file changed, so a revocation takes effect on the server's next request without a restart.
Revoked entries stay in the file (with time and reason) so the history is visible and a revoked key
can never be enrolled again.

Where the town hall's records are in PostgreSQL (``sync.server.database``: a district server for
many towns, several workers), the approvals are rows of ``kiosk_approvals`` with the town's id
instead, read on every lookup, so a revocation takes effect in every worker with the next request.
Changes are one transaction under an advisory lock per town. The property the read-only
``keys/`` folder gives a single town carries over by the database's privileges: the server's role
may only read ``kiosk_approvals`` (``deploy/server/roles.sql``); only the administrators' role,
which ``rathaus keys approve/revoke`` run as, writes it. A server taken over cannot enrol a kiosk
of its own, nor lift a revocation.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.errors import KeyFileError, StoreError
from kiosk.i18n import language_from_environment, translator
from sync.envelope import EnrolmentRequest, fingerprint, is_kiosk_id, utc_timestamp
from sync.envelope.failures import (
    ALREADY_ENROLLED,
    REVOKED_KIOSK,
    UNKNOWN_KIOSK,
    envelope_error,
)
from sync.envelope.keyids import decode_ed25519_public, encode_public_key
from sync.keys import (
    KEYS_DIR,
    atomic_write,
    load_townhall_public,
    read_enrolment_file,
    require_townhall_keys,
    townhall_is_initialised,
    townhall_public_keys_path,
)
from sync.server.database import database_config

ALLOWLIST_FILE = "kiosks.json"
ALLOWLIST_FORMAT = "rathaus-kiosks/1"
_ENTRY_KEYS = frozenset(
    {"approved_at", "fingerprint", "kiosk_id", "revoke_reason", "revoked_at", "signing_public_key"}
)


def _t(text: str) -> str:
    return translator(language_from_environment())(text)


@dataclass(frozen=True)
class EnrolledKiosk:
    """One approval; ``revoked_at`` is set once the kiosk's key is no longer trusted."""

    kiosk_id: str
    public_key: Ed25519PublicKey = field(repr=False, compare=False)
    fingerprint: str
    approved_at: str
    revoked_at: str | None = None
    revoke_reason: str = ""

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "approved_at": self.approved_at,
            "fingerprint": self.fingerprint,
            "kiosk_id": self.kiosk_id,
            "revoke_reason": self.revoke_reason,
            "revoked_at": self.revoked_at,
            "signing_public_key": encode_public_key(self.public_key),
        }


def _entry_from_json(value: Any, path: Path) -> EnrolledKiosk:
    if not isinstance(value, dict) or set(value) != _ENTRY_KEYS or not is_kiosk_id(value["kiosk_id"]):
        raise _broken(path)
    try:
        public_key = decode_ed25519_public(value["signing_public_key"])
    except ValueError:
        raise _broken(path) from None
    entry = EnrolledKiosk(
        kiosk_id=value["kiosk_id"],
        public_key=public_key,
        fingerprint=fingerprint(public_key),
        approved_at=str(value["approved_at"]),
        revoked_at=None if value["revoked_at"] is None else str(value["revoked_at"]),
        revoke_reason=str(value["revoke_reason"]),
    )
    if entry.to_json() != value:
        raise _broken(path)
    return entry


def _broken(path: Path) -> KeyFileError:
    return KeyFileError(
        _t("The list of enrolled kiosks {path} is damaged. Restore it from the backup.").format(
            path=path
        )
    )


class Allowlist:
    """Enrolled kiosks of one town hall, backed by ``keys/kiosks.json``."""

    def __init__(self, townhall_dir: Path) -> None:
        self.townhall_dir = Path(townhall_dir)
        self.path = self.townhall_dir / KEYS_DIR / ALLOWLIST_FILE
        config = database_config(self.townhall_dir)
        self._database: _DatabaseApprovals | None = (
            _DatabaseApprovals(config.url, config.town) if config.url is not None else None
        )
        # (file stamp, entries read after that stamp) in one attribute: the server's threads
        # replace it in one step, so no thread pairs a new stamp with old entries.
        self._cache: tuple[tuple[int, int, int] | None, tuple[EnrolledKiosk, ...]] = (None, ())

    # -- reading ---------------------------------------------------------------------------------

    def _entries(self) -> tuple[EnrolledKiosk, ...]:
        """The file's entries; parsed again only when the file changed (rename = new inode)."""
        if self._database is not None:
            return self._database.read()
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._cache = (None, ())
            return ()
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached_stamp, entries = self._cache
        if stamp != cached_stamp:
            entries = self._read()
            self._cache = (stamp, entries)
        return entries

    def _read(self) -> tuple[EnrolledKiosk, ...]:
        try:
            value = json.loads(self.path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return ()
        except (OSError, UnicodeDecodeError, ValueError):
            raise _broken(self.path) from None
        if (
            not isinstance(value, dict)
            or value.get("format") != ALLOWLIST_FORMAT
            or not isinstance(value.get("kiosks"), list)
        ):
            raise _broken(self.path)
        return tuple(_entry_from_json(entry, self.path) for entry in value["kiosks"])

    def list(self) -> list[EnrolledKiosk]:
        """Every approval ever made, revoked ones included, by kiosk id and time."""
        return sorted(self._entries(), key=lambda e: (e.kiosk_id, e.approved_at))

    def public_key_for(self, kiosk_id: str) -> Ed25519PublicKey:
        """The key to check this kiosk's signatures with; refuses unknown and revoked kiosks."""
        entries = [e for e in self._entries() if e.kiosk_id == kiosk_id]
        for entry in entries:
            if entry.active:
                return entry.public_key
        if entries:
            latest = max(entries, key=lambda e: e.revoked_at or "")
            raise envelope_error(REVOKED_KIOSK, kiosk_id=kiosk_id, revoked_at=latest.revoked_at)
        raise envelope_error(UNKNOWN_KIOSK, kiosk_id=kiosk_id)

    # -- changing --------------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[list[EnrolledKiosk]]:
        """Hold the lock, hand out the current entries, write them back if no error occurred."""
        if self._database is not None:
            with self._database.changing() as entries:
                yield entries
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                entries = list(self._read())
                before = list(entries)
                yield entries
                if entries != before:
                    document = {
                        "format": ALLOWLIST_FORMAT,
                        "kiosks": [entry.to_json() for entry in entries],
                    }
                    data = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
                    atomic_write(self.path, data, mode=0o644, overwrite=True)
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def check_request(self, request: Path | str | bytes | EnrolmentRequest) -> EnrolmentRequest:
        """Read an enrolment request: self-signature valid, and the kiosk pinned this town hall."""
        enrolment = read_enrolment_file(request)
        if townhall_is_initialised(self.townhall_dir):
            require_townhall_keys(self.townhall_dir)  # a lost key is restored, not remade
        own = load_townhall_public(townhall_public_keys_path(self.townhall_dir))
        if (enrolment.townhall_signing_key_id, enrolment.townhall_encryption_key_id) != (
            own.signing_key_id,
            own.encryption_key_id,
        ):
            raise KeyFileError(
                _t(
                    "Kiosk {kiosk_id} was set up with another town hall's keys. Set it up again "
                    "with this town hall's keys/townhall.json."
                ).format(kiosk_id=enrolment.kiosk_id),
                detail=f"pinned signing key {enrolment.townhall_signing_key_id}",
            )
        return enrolment

    def approve(self, request: Path | str | bytes | EnrolmentRequest) -> EnrolledKiosk:
        """Trust a kiosk's key (see ``check_request``); approving the same request twice is harmless."""
        enrolment = self.check_request(request)
        new_print = enrolment.fingerprint
        with self._locked() as entries:
            for entry in entries:
                if entry.fingerprint != new_print:
                    continue
                if not entry.active:
                    raise envelope_error(
                        REVOKED_KIOSK, kiosk_id=entry.kiosk_id, revoked_at=entry.revoked_at
                    )
                if entry.kiosk_id == enrolment.kiosk_id:
                    return entry  # approving the same request twice changes nothing
                raise KeyFileError(
                    _t("This key is already enrolled as kiosk {kiosk_id}.").format(
                        kiosk_id=entry.kiosk_id
                    )
                )
            if any(e.kiosk_id == enrolment.kiosk_id and e.active for e in entries):
                raise envelope_error(ALREADY_ENROLLED, kiosk_id=enrolment.kiosk_id)
            entry = EnrolledKiosk(
                kiosk_id=enrolment.kiosk_id,
                public_key=enrolment.public_key,
                fingerprint=new_print,
                approved_at=utc_timestamp(),
            )
            entries.append(entry)
        return entry

    def revoke(self, kiosk_id: str, reason: str = "") -> None:
        """Stop trusting a kiosk's key at once; revoking a revoked kiosk changes nothing."""
        reason = " ".join(str(reason).split())
        with self._locked() as entries:
            known = False
            for position, entry in enumerate(entries):
                if entry.kiosk_id != kiosk_id:
                    continue
                known = True
                if entry.active:
                    entries[position] = replace(
                        entry, revoked_at=utc_timestamp(), revoke_reason=reason
                    )
            if not known:
                raise envelope_error(UNKNOWN_KIOSK, kiosk_id=kiosk_id)


_APPROVALS_LOCK = "rathaus.kiosk_approvals."
_APPROVAL_COLUMNS = "kiosk_id, signing_public_key, approved_at, revoked_at, revoke_reason, fingerprint"


class _DatabaseApprovals:
    """The approvals of one town in PostgreSQL (``kiosk_approvals``)."""

    def __init__(self, url: str, town: str) -> None:
        from sync.server.pg_storage import ensure_schema

        self.url = url
        self.town = town
        ensure_schema(url)

    @property
    def _pool(self) -> Any:
        from sync.server.database import pool_for

        return pool_for(self.url)

    def _entries(self, conn: Any) -> tuple[EnrolledKiosk, ...]:
        rows = conn.execute(
            f"SELECT {_APPROVAL_COLUMNS} FROM kiosk_approvals WHERE town = %s ORDER BY approved_at, kiosk_id",
            [self.town],
        ).fetchall()
        where = Path(f"kiosk_approvals (town {self.town})")
        return tuple(
            _entry_from_json(
                {
                    "approved_at": row[2],
                    "fingerprint": row[5],  # checked against the key: a mismatch reads as damage
                    "kiosk_id": row[0],
                    "revoke_reason": row[4],
                    "revoked_at": row[3],
                    "signing_public_key": row[1],
                },
                where,
            )
            for row in rows
        )

    def read(self) -> tuple[EnrolledKiosk, ...]:
        try:
            with self._pool.connection() as conn:
                return self._entries(conn)
        except KeyFileError:
            raise
        except Exception as exc:
            raise StoreError("The list of enrolled kiosks cannot be read.", detail=type(exc).__name__) from exc

    @contextmanager
    def changing(self) -> Iterator[list[EnrolledKiosk]]:
        from psycopg.errors import InsufficientPrivilege

        try:
            with self._changing() as entries:
                yield entries
        except InsufficientPrivilege as exc:
            # The server's and the staff's roles may only read the approvals (roles.sql).
            raise StoreError(
                _t("Only IT may enrol or block kiosks here, with the database's administrator role (rathaus keys approve / revoke)."),
                detail=type(exc).__name__,
            ) from exc

    @contextmanager
    def _changing(self) -> Iterator[list[EnrolledKiosk]]:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_APPROVALS_LOCK + self.town])
            entries = list(self._entries(conn))
            before = list(entries)
            yield entries
            for entry in entries:
                if entry in before:
                    continue
                conn.execute(
                    "INSERT INTO kiosk_approvals (town, fingerprint, kiosk_id, signing_public_key, "
                    "approved_at, revoked_at, revoke_reason) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (town, fingerprint) DO UPDATE SET revoked_at = excluded.revoked_at, "
                    "revoke_reason = excluded.revoke_reason",
                    [
                        self.town,
                        entry.fingerprint,
                        entry.kiosk_id,
                        encode_public_key(entry.public_key),
                        entry.approved_at,
                        entry.revoked_at,
                        entry.revoke_reason,
                    ],
                )

