"""Key files on disk: the town hall's two key pairs, a kiosk's signing key, and pinning.

Layout (see ``kiosk.paths``): private keys are unencrypted PKCS#8 PEM files with mode 0600, written
atomically and never overwritten; public keys are JSON. A private key file that group or others may
read is refused with the ``chmod 600`` command that fixes it, because a leaked town-hall key opens
every application ever sealed. Key material never goes into messages or logs; only key ids and
fingerprints do.

A kiosk is set up with the town hall's ``keys/townhall.json`` (carried on a stick or mailed): it is
pinned into the kiosk's own ``keys/townhall.json`` and the kiosk writes an enrolment request for the
town hall. Both sides show the same fingerprints, so two people can compare them.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.mlkem import MLKEM768PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.config import CONFIG_NAME
from kiosk.errors import KeyFileError
from kiosk.i18n import language_from_environment, translator
from sync.envelope import (
    EnrolmentRequest,
    build_enrolment_request,
    fingerprint,
    is_kiosk_id,
    key_id,
    read_enrolment_request,
    utc_timestamp,
)
from sync.envelope.keyids import (
    decode_ed25519_public,
    decode_hybrid_public,
    decode_x25519_public,
    encode_public_key,
)
from sync.envelope.limits import MAX_ENROLMENT_BYTES
from sync.stickfs import FOLDER, NotOrdinary, read_named_file
from sync.envelope.suites import (
    SUITE_HYBRID,
    SUITE_X25519,
    SUITES,
    HybridPrivateKey,
    RecipientPrivateKey,
    RecipientPublicKey,
    generate_private_key,
    suite_of,
)

__all__ = [
    "EncryptionKeyring",
    "KioskKeys",
    "TownhallKeys",
    "TownhallPublicKeys",
    "atomic_write",
    "enrolment_request_path",
    "export_townhall_public",
    "fingerprint",
    "generate_private_key",
    "init_kiosk",
    "init_townhall",
    "install_encryption_key",
    "kiosk_is_initialised",
    "load_encryption_keyring",
    "load_kiosk_keys",
    "load_pinned_townhall",
    "load_townhall_keys",
    "load_townhall_public",
    "parse_townhall_public_bytes",
    "pin_townhall_public",
    "townhall_public_bytes",
    "previous_encryption_key_ids",
    "read_enrolment_file",
    "require_kiosk_keys",
    "require_townhall_keys",
    "save_previous_encryption_key",
    "townhall_is_initialised",
    "townhall_public_keys_path",
    "write_townhall_public",
]

KEYS_DIR = "keys"
TOWNHALL_ENCRYPTION_KEY = "townhall-encryption.key"
TOWNHALL_SIGNING_KEY = "townhall-signing.key"
TOWNHALL_PUBLIC = "townhall.json"
KIOSK_SIGNING_KEY = "kiosk-signing.key"
KIOSK_IDENTITY = "kiosk.json"
PREVIOUS_ENCRYPTION_DIR = "previous-encryption"
PREVIOUS_SIGNING_DIR = "previous-signing"  # signing keys replaced by ``rathaus keys rotate --signing``
PREVIOUS_TOWNHALL_DIR = "previous-townhall"  # public: the townhall.json of each earlier key, <key-id>.json
TOWNHALL_PUBLIC_FORMAT = "rathaus-townhall-keys/2"
TOWNHALL_PUBLIC_FORMAT_V1 = "rathaus-townhall-keys/1"
KIOSK_IDENTITY_FORMAT = "rathaus-kiosk-key/1"
TOWNHALL_KEY_FILES = (TOWNHALL_ENCRYPTION_KEY, TOWNHALL_SIGNING_KEY, TOWNHALL_PUBLIC)
KIOSK_KEY_FILES = (KIOSK_SIGNING_KEY, KIOSK_IDENTITY, TOWNHALL_PUBLIC)
# Files only one side ever has: they tell a town hall with a lost key from a kiosk or an empty folder.
_TOWNHALL_MARKERS = (TOWNHALL_SIGNING_KEY, TOWNHALL_ENCRYPTION_KEY, "kiosks.json")
_KIOSK_MARKERS = (KIOSK_SIGNING_KEY, KIOSK_IDENTITY)
MAX_NAME_CHARS = 200
_MAX_KEY_FILE_BYTES = 16 * 1024


def _t(text: str) -> str:
    return translator(language_from_environment())(text)


# -- files ---------------------------------------------------------------------------------------


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _already_exists(path: Path) -> KeyFileError:
    return KeyFileError(
        _t("{path} already exists; existing keys are never overwritten.").format(path=path)
    )


def atomic_write(path: Path, data: bytes, *, mode: int, overwrite: bool) -> None:
    """Write a file so that a power cut leaves either nothing/the old file or the whole new one.

    The bytes go to a temporary file created with ``mode`` (never wider, whatever the umask), are
    flushed to disk, and then renamed into place; with ``overwrite=False`` an existing file is
    never replaced, even by a second process racing this one.
    """
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path, data, mode)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_directory(path.parent)


def _link_new(tmp: Path, path: Path, data: bytes, mode: int) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise _already_exists(path) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # A file system without hard links: exclusive create is still never-overwrite.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            raise _already_exists(path) from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def _read_bytes(path: Path, hint: str, *, named_on_a_stick: bool = False) -> bytes:
    """At most one byte over the limit of an ordinary file, never through a link or from a pipe.

    Enrolment requests and town-hall key files arrive on sticks: a link there could make us read
    (and print) another file, and a named pipe would hold the command for ever. A file an operator
    named on a stick (``named_on_a_stick``) is also refused when a folder on the way below the
    stick's mount point is a link (``read_named_file``).
    """
    try:
        if named_on_a_stick:
            data = read_named_file(path, _MAX_KEY_FILE_BYTES + 1)
        else:
            data = _read_ordinary_file(path, _MAX_KEY_FILE_BYTES + 1)
    except NotOrdinary as exc:
        if exc.wanted == FOLDER:
            raise _linked_folder(exc, path) from None
        raise _not_a_file(path) from None
    except FileNotFoundError:
        raise KeyFileError(
            _t("The key file {path} is missing. {hint}").format(path=path, hint=hint)
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _not_a_file(path) from None
        raise KeyFileError(
            _t("The key file {path} cannot be read: {reason}").format(path=path, reason=exc.strerror),
            detail=repr(exc),
        ) from None
    if len(data) > _MAX_KEY_FILE_BYTES:
        raise _broken(path, "file too large")
    return data


def _read_ordinary_file(path: Path, limit: int) -> bytes:
    """Up to ``limit`` bytes of a regular file; a link is ELOOP, anything else not a file ENOTREG."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    with open(os.open(path, flags), "rb", closefd=True) as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(errno.ELOOP, "not an ordinary file", str(path))
        return fh.read(limit)


def _not_a_file(path: Path) -> KeyFileError:
    return KeyFileError(
        _t("{path} is a link or a special file, not an ordinary file; it was not read.").format(path=path)
    )


def _broken(path: Path, reason: str) -> KeyFileError:
    return KeyFileError(
        _t("The key file {path} is damaged or not a Rathaus-Kiosk key file.").format(path=path),
        detail=f"{path}: {reason}",
    )


def _restore_from_backup(keys_dir: Path, missing: list[Path]) -> KeyFileError:
    """A key set with a file gone is mended from the backup: new keys would not fit the ones the
    kiosks (or the town hall) already trust, and applications sealed so far could not be opened."""
    if len(missing) == 1:
        message = _t("The key file {path} is missing. Please restore the folder {folder} from the backup.")
        message = message.format(path=missing[0], folder=keys_dir)
    else:
        message = _t("The key files {paths} are missing. Please restore the folder {folder} from the backup.")
        message = message.format(paths=", ".join(str(path) for path in missing), folder=keys_dir)
    return KeyFileError(message, detail="missing: " + ", ".join(path.name for path in missing))


def _missing(keys_dir: Path, names: tuple[str, ...]) -> list[Path]:
    return [keys_dir / name for name in names if not (keys_dir / name).exists()]


def _check_private_permissions(path: Path) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return  # reported by the read with a hint
    if mode & 0o077:
        raise KeyFileError(
            _t(
                "The key file {path} can be read by other users of this computer. "
                "Please run: chmod 600 {path}"
            ).format(path=path),
            detail=f"mode {mode & 0o777:o}",
        )


def _pem(key: Ed25519PrivateKey | X25519PrivateKey | MLKEM768PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _private_pem(key: Ed25519PrivateKey | RecipientPrivateKey) -> bytes:
    """One PKCS#8 PEM block; a hybrid key is two: its ML-KEM-768 half, then its X25519 half."""
    if isinstance(key, HybridPrivateKey):
        return _pem(key.mlkem) + _pem(key.x25519)
    return _pem(key)


def _write_private_key(
    path: Path, key: Ed25519PrivateKey | RecipientPrivateKey, *, overwrite: bool = False
) -> None:
    atomic_write(path, _private_pem(key), mode=0o600, overwrite=overwrite)


def _load_private_key(path: Path, expected: type, hint: str) -> Any:
    _check_private_permissions(path)
    data = _read_bytes(path, hint)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _broken(path, "not an unencrypted PKCS#8 PEM private key") from None
    if not isinstance(key, expected):
        raise _broken(path, f"holds a {type(key).__name__}, expected {expected.__name__}")
    return key


_PEM_END = b"-----END PRIVATE KEY-----"


def _load_encryption_key(path: Path, hint: str) -> RecipientPrivateKey:
    """An X25519 key (one PEM block) or a hybrid key (ML-KEM-768 block, then X25519 block)."""
    _check_private_permissions(path)
    data = _read_bytes(path, hint)
    blocks = [block.strip() + b"\n" + _PEM_END + b"\n" for block in data.split(_PEM_END)[:-1]]
    try:
        keys = [serialization.load_pem_private_key(block, password=None) for block in blocks]
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _broken(path, "not unencrypted PKCS#8 PEM private keys") from None
    if len(keys) == 1 and isinstance(keys[0], X25519PrivateKey):
        return keys[0]
    if (
        len(keys) == 2
        and isinstance(keys[0], MLKEM768PrivateKey)
        and isinstance(keys[1], X25519PrivateKey)
    ):
        return HybridPrivateKey(keys[0], keys[1])
    raise _broken(path, "holds neither an X25519 key nor an ML-KEM-768 + X25519 key pair")


def _json_bytes(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _write_json(path: Path, value: dict[str, Any], *, overwrite: bool = False) -> bytes:
    data = _json_bytes(value)
    atomic_write(path, data, mode=0o644, overwrite=overwrite)
    return data


def _read_json(path: Path, hint: str) -> dict[str, Any]:
    return _json_object(_read_bytes(path, hint), path)


def _json_object(data: bytes, path: Path) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _broken(path, "not JSON") from None
    if not isinstance(value, dict):
        raise _broken(path, "not a JSON object")
    return value


def _check_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned or len(cleaned) > MAX_NAME_CHARS or not cleaned.isprintable():
        raise KeyFileError(
            _t("Please give the municipality's name (at most {count} characters).").format(
                count=MAX_NAME_CHARS
            )
        )
    return cleaned


# -- the town hall's public keys ----------------------------------------------------------------


@dataclass(frozen=True)
class TownhallPublicKeys:
    """What a kiosk knows about its town hall: whom to seal for, whose signatures to trust.

    ``encryption`` is an X25519 key or, for the ``mlkem768-x25519`` suite, the hybrid key; kiosks
    seal with the suite it belongs to (``suite``)."""

    encryption: RecipientPublicKey
    signing: Ed25519PublicKey
    encryption_key_id: str
    signing_key_id: str
    name: str

    @classmethod
    def of(cls, encryption: RecipientPublicKey, signing: Ed25519PublicKey, name: str) -> "TownhallPublicKeys":
        """The public keys with their ids computed (e.g. after a rotation made a new key)."""
        return cls(encryption, signing, key_id(encryption), key_id(signing), name)

    @property
    def suite(self) -> str:
        return suite_of(self.encryption)

    @property
    def encryption_fingerprint(self) -> str:
        return fingerprint(self.encryption)

    @property
    def signing_fingerprint(self) -> str:
        return fingerprint(self.signing)

    def to_json(self, created_at: str, *, version: int = 2) -> dict[str, Any]:
        """The ``townhall.json`` object; format 1 (X25519 only, no ``suite``) only to check old files."""
        document = {
            "created_at": created_at,
            "encryption_fingerprint": self.encryption_fingerprint,
            "encryption_key_id": self.encryption_key_id,
            "encryption_public_key": encode_public_key(self.encryption),
            "format": TOWNHALL_PUBLIC_FORMAT,
            "name": self.name,
            "signing_fingerprint": self.signing_fingerprint,
            "signing_key_id": self.signing_key_id,
            "signing_public_key": encode_public_key(self.signing),
            "suite": self.suite,
        }
        if version == 1:
            del document["suite"]
            document["format"] = TOWNHALL_PUBLIC_FORMAT_V1
        return document


def _townhall_public_from(
    encryption: RecipientPublicKey, signing: Ed25519PublicKey, name: str
) -> TownhallPublicKeys:
    return TownhallPublicKeys(encryption, signing, key_id(encryption), key_id(signing), name)


def _decode_encryption_public(value: dict[str, Any], version: int) -> RecipientPublicKey:
    suite = value.get("suite", SUITE_X25519) if version == 2 else SUITE_X25519
    if suite == SUITE_HYBRID:
        return decode_hybrid_public(value.get("encryption_public_key"))
    if suite == SUITE_X25519:
        return decode_x25519_public(value.get("encryption_public_key"))
    raise ValueError(f"unknown suite {str(suite)[:40]!r}")


def _parse_townhall_public(value: dict[str, Any], path: Path) -> TownhallPublicKeys:
    versions = {TOWNHALL_PUBLIC_FORMAT: 2, TOWNHALL_PUBLIC_FORMAT_V1: 1}
    version = versions.get(value.get("format"))  # type: ignore[arg-type]
    if version is None:
        raise _broken(path, f"format is not {TOWNHALL_PUBLIC_FORMAT} (or {TOWNHALL_PUBLIC_FORMAT_V1})")
    try:
        encryption = _decode_encryption_public(value, version)
        signing = decode_ed25519_public(value.get("signing_public_key"))
    except ValueError as exc:
        raise _broken(path, str(exc)) from None
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _broken(path, "no municipality name")
    keys = _townhall_public_from(encryption, signing, name)
    # Ids and fingerprints are written for people reading the file; they must match the keys.
    created_at = value.get("created_at")
    if not isinstance(created_at, str) or keys.to_json(created_at, version=version) != value:
        raise _broken(path, "key ids or fingerprints do not match the keys, or unknown fields")
    return keys


def townhall_public_bytes(keys: TownhallPublicKeys, created_at: str) -> bytes:
    """The exact bytes of a ``townhall.json`` for these keys (as ``init_townhall`` writes them)."""
    return _json_bytes(keys.to_json(created_at))


def parse_townhall_public_bytes(data: bytes, path: Path) -> TownhallPublicKeys:
    """A ``townhall.json`` that came as bytes (a key update); ``path`` names it in messages."""
    try:
        value = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _broken(path, "not JSON") from None
    if not isinstance(value, dict):
        raise _broken(path, "not a JSON object")
    return _parse_townhall_public(value, path)


def pin_townhall_public(kiosk_dir: Path, data: bytes) -> TownhallPublicKeys:
    """Replace the kiosk's pinned ``townhall.json`` by verified new bytes (a key rotation)."""
    path = Path(kiosk_dir) / KEYS_DIR / TOWNHALL_PUBLIC
    keys = parse_townhall_public_bytes(data, path)
    atomic_write(path, bytes(data), mode=0o644, overwrite=True)
    return keys


def load_townhall_public(path: Path) -> TownhallPublicKeys:
    """Read a ``townhall.json`` (the town hall's, or a copy a kiosk was given)."""
    path = Path(path)
    hint = _t("Copy the town hall's keys/townhall.json here.")
    return _parse_townhall_public(_read_json(path, hint), path)


def townhall_public_keys_path(townhall_dir: Path) -> Path:
    """The file to hand to every kiosk of this town hall."""
    return Path(townhall_dir) / KEYS_DIR / TOWNHALL_PUBLIC


def export_townhall_public(townhall_dir: Path) -> dict[str, Any]:
    """The contents of ``keys/townhall.json``, checked, as a JSON object."""
    path = townhall_public_keys_path(townhall_dir)
    if not path.exists() and townhall_is_initialised(townhall_dir):
        raise _restore_from_backup(path.parent, [path])
    value = _read_json(path, _t("Run: rathaus keys init-townhall --name NAME"))
    _parse_townhall_public(value, path)
    return value


# -- the town hall's private keys ---------------------------------------------------------------


@dataclass(frozen=True)
class TownhallKeys:
    """The town hall's keys; ``encryption`` is ``None`` where only the server runs."""

    encryption: RecipientPrivateKey | None = field(repr=False)
    signing: Ed25519PrivateKey = field(repr=False)
    public: TownhallPublicKeys
    earlier_encryption_key_ids: frozenset[str] = frozenset()
    """Encryption keys before a rotation (from ``keys/previous-townhall/``, public files the server
    may read): batches sealed for them are still taken."""

    @property
    def held_encryption_key_ids(self) -> frozenset[str]:
        return self.earlier_encryption_key_ids | {self.public.encryption_key_id}

    @property
    def signing_public(self) -> Ed25519PublicKey:
        return self.signing.public_key()

    @property
    def encryption_public(self) -> RecipientPublicKey:
        return self.public.encryption

    @property
    def name(self) -> str:
        return self.public.name


def townhall_is_initialised(townhall_dir: Path) -> bool:
    """True where a town hall was set up, even if one of its key files has gone missing since.

    A half-present set must lead to "restore keys/ from the backup", never to "make keys": new keys
    beside the old ones would not fit the kiosks. ``townhall.json`` alone counts only where no
    kiosk lives, because every kiosk keeps a copy of it.
    """
    keys = Path(townhall_dir) / KEYS_DIR
    if any((keys / name).exists() for name in _TOWNHALL_MARKERS):
        return True
    kiosk_here = any((keys / name).exists() for name in _KIOSK_MARKERS) or (
        Path(townhall_dir) / CONFIG_NAME
    ).exists()
    return (keys / TOWNHALL_PUBLIC).exists() and not kiosk_here


def require_townhall_keys(townhall_dir: Path, *, need_encryption: bool = False) -> None:
    """Refuse a set-up town hall whose key set is incomplete, naming every missing file.

    The server needs only the signing key and ``townhall.json``; opening applications needs the
    encryption key as well."""
    keys = Path(townhall_dir) / KEYS_DIR
    needed = TOWNHALL_KEY_FILES if need_encryption else (TOWNHALL_SIGNING_KEY, TOWNHALL_PUBLIC)
    missing = _missing(keys, needed)
    if missing:
        raise _restore_from_backup(keys, missing)


def _refuse_existing_set(data_dir: Path, names: tuple[str, ...], complete_message: str, set_up: bool) -> None:
    """Keys are never overwritten; a set that is only partly there is restored, not remade."""
    keys = Path(data_dir) / KEYS_DIR
    present = [keys / name for name in names if (keys / name).exists()]
    if not present and not set_up:
        return
    missing = _missing(keys, names)
    if not missing:
        raise KeyFileError(complete_message.format(path=data_dir), detail=f"{present[0]} exists")
    raise _restore_from_backup(keys, missing)


def init_townhall(townhall_dir: Path, *, name: str, suite: str = SUITE_X25519) -> TownhallPublicKeys:
    """Create both town-hall key pairs and ``keys/townhall.json``; existing keys are kept.

    ``suite`` chooses the encryption key: ``x25519``, or ``mlkem768-x25519`` for applications kept
    for many years (the hybrid key stays safe if either half holds)."""
    keys = Path(townhall_dir) / KEYS_DIR
    name = _check_name(name)
    if suite not in SUITES:
        raise KeyFileError(
            _t("Unknown encryption suite '{suite}'. Possible: {suites}").format(
                suite=suite, suites=", ".join(SUITES)
            )
        )
    _refuse_existing_set(
        townhall_dir,
        TOWNHALL_KEY_FILES,
        _t("The town hall in {path} already has keys; they are never overwritten."),
        townhall_is_initialised(townhall_dir),
    )
    encryption = generate_private_key(suite)
    signing = Ed25519PrivateKey.generate()
    _write_private_key(keys / TOWNHALL_ENCRYPTION_KEY, encryption)
    _write_private_key(keys / TOWNHALL_SIGNING_KEY, signing)
    public = _townhall_public_from(encryption.public_key(), signing.public_key(), name)
    _write_json(keys / TOWNHALL_PUBLIC, public.to_json(utc_timestamp()))
    return public


def load_townhall_keys(townhall_dir: Path, *, need_encryption: bool = True) -> TownhallKeys:
    """Load the town hall's keys; without ``need_encryption`` the encryption key is not touched.

    The server and the USB import only sign; systemd keeps the encryption key out of the server's
    reach (``InaccessiblePaths=``), where the file exists but cannot be opened.
    """
    keys = Path(townhall_dir) / KEYS_DIR
    hint = _t("Run: rathaus keys init-townhall --name NAME")
    if townhall_is_initialised(townhall_dir):
        require_townhall_keys(townhall_dir, need_encryption=need_encryption)
    public = load_townhall_public(keys / TOWNHALL_PUBLIC)
    signing = _load_private_key(keys / TOWNHALL_SIGNING_KEY, Ed25519PrivateKey, hint)
    if key_id(signing.public_key()) != public.signing_key_id:
        raise _broken(keys / TOWNHALL_SIGNING_KEY, "does not belong to townhall.json")
    encryption: RecipientPrivateKey | None = None
    encryption_path = keys / TOWNHALL_ENCRYPTION_KEY
    if need_encryption:
        encryption = _load_encryption_key(
            encryption_path, _t("Only the computer where staff open applications needs it.")
        )
        if key_id(encryption.public_key()) != public.encryption_key_id:
            raise _broken(encryption_path, "does not belong to townhall.json")
    return TownhallKeys(
        encryption=encryption,
        signing=signing,
        public=public,
        earlier_encryption_key_ids=_earlier_encryption_key_ids(keys),
    )


def _earlier_encryption_key_ids(keys: Path) -> frozenset[str]:
    """The encryption key ids of the ``townhall.json`` files kept by ``rathaus keys rotate``."""
    return frozenset(
        load_townhall_public(path).encryption_key_id
        for path in sorted((keys / PREVIOUS_TOWNHALL_DIR).glob("*.json"))
    )


# -- the town hall's keyring: every encryption key items may still be sealed for ----------------


@dataclass(frozen=True)
class EncryptionKeyring:
    """The current encryption key and the earlier ones kept after a rotation.

    Items on the way (queued on a kiosk, on a stick) stay sealed for the key that was current when
    they were made; the inbox opens each with whichever key its ``recipient_key_id`` names."""

    current: RecipientPrivateKey = field(repr=False)
    previous: tuple[RecipientPrivateKey, ...] = field(default=(), repr=False)

    def key_for(self, recipient_key_id: str) -> RecipientPrivateKey | None:
        for key in (self.current, *self.previous):
            if key_id(key.public_key()) == recipient_key_id:
                return key
        return None

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Current key id first, then the earlier ones."""
        return tuple(key_id(key.public_key()) for key in (self.current, *self.previous))


_PREVIOUS_KEY_NAME = re.compile(r"[0-9a-f]{16}\.key")


def _previous_dir(townhall_dir: Path) -> Path:
    return Path(townhall_dir) / KEYS_DIR / PREVIOUS_ENCRYPTION_DIR


def previous_encryption_key_ids(townhall_dir: Path) -> tuple[str, ...]:
    """Ids of the earlier encryption keys, from the file names alone (no private key is read)."""
    folder = _previous_dir(townhall_dir)
    if not folder.is_dir():
        return ()
    names = (path.name for path in folder.iterdir())
    return tuple(sorted(name[:-4] for name in names if _PREVIOUS_KEY_NAME.fullmatch(name)))


def load_encryption_keyring(townhall_dir: Path) -> EncryptionKeyring:
    """The current encryption key (``keys/townhall-encryption.key``, which must fit townhall.json)
    and every earlier one in ``keys/previous-encryption/<key-id>.key`` (each must fit its name)."""
    current = load_townhall_keys(townhall_dir, need_encryption=True).encryption
    assert current is not None
    hint = _t("Please restore the folder {folder} from the backup.").format(folder=_previous_dir(townhall_dir))
    previous = []
    for kid in previous_encryption_key_ids(townhall_dir):
        path = _previous_dir(townhall_dir) / f"{kid}.key"
        key = _load_encryption_key(path, hint)
        if key_id(key.public_key()) != kid:
            raise _broken(path, "does not match its file name")
        previous.append(key)
    return EncryptionKeyring(current=current, previous=tuple(previous))


def save_previous_encryption_key(townhall_dir: Path, key: RecipientPrivateKey) -> Path:
    """Keep ``key`` as an earlier encryption key (mode 0600, never overwritten); saving the same
    key twice is fine, so a rotation that was interrupted can simply run again."""
    path = _previous_dir(townhall_dir) / f"{key_id(key.public_key())}.key"
    if path.exists():
        if _private_pem(_load_encryption_key(path, "")) != _private_pem(key):
            raise _broken(path, "holds another key than its name says")
        return path
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private_key(path, key)
    return path


def install_encryption_key(townhall_dir: Path, key: RecipientPrivateKey) -> None:
    """Make ``key`` the current encryption key; the old current key must be kept first
    (``save_previous_encryption_key``), otherwise every item still sealed for it would be lost.

    Write the matching ``townhall.json`` with ``write_townhall_public`` afterwards; until then
    ``load_townhall_keys`` refuses the pair as not belonging together, so nothing seals for a key
    whose public half kiosks do not have yet."""
    path = Path(townhall_dir) / KEYS_DIR / TOWNHALL_ENCRYPTION_KEY
    if path.exists():
        old = _load_encryption_key(path, "")
        if key_id(old.public_key()) not in previous_encryption_key_ids(townhall_dir) and _private_pem(
            old
        ) != _private_pem(key):
            raise KeyFileError(
                _t("The current encryption key must be kept before a new one replaces it."),
                detail=f"{key_id(old.public_key())} not in {PREVIOUS_ENCRYPTION_DIR}/",
            )
    _write_private_key(path, key, overwrite=True)


def write_townhall_public(townhall_dir: Path, public: TownhallPublicKeys, *, created_at: str | None = None) -> bytes:
    """Replace ``keys/townhall.json`` (a key rotation); returns the bytes written, which is what
    kiosks pin."""
    return _write_json(
        townhall_public_keys_path(townhall_dir), public.to_json(created_at or utc_timestamp()), overwrite=True
    )


# -- a kiosk's keys -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KioskKeys:
    kiosk_id: str
    signing: Ed25519PrivateKey = field(repr=False)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def enrolment_request_path(kiosk_dir: Path, kiosk_id: str) -> Path:
    """Where ``init_kiosk`` leaves the request to carry to the town hall."""
    return Path(kiosk_dir) / f"enrolment-{kiosk_id}.json"


def kiosk_is_initialised(kiosk_dir: Path) -> bool:
    """True where a kiosk was set up, even if one of its key files has gone missing since."""
    keys = Path(kiosk_dir) / KEYS_DIR
    return any((keys / name).exists() for name in _KIOSK_MARKERS)


def require_kiosk_keys(kiosk_dir: Path) -> None:
    """Refuse a set-up kiosk whose key set is incomplete, naming every missing file."""
    keys = Path(kiosk_dir) / KEYS_DIR
    missing = _missing(keys, KIOSK_KEY_FILES)
    if missing:
        raise _restore_from_backup(keys, missing)


def init_kiosk(kiosk_dir: Path, *, kiosk_id: str, townhall_public: Path) -> EnrolmentRequest:
    """Make this kiosk's signing key, pin the town hall's public keys, write the enrolment request."""
    if not is_kiosk_id(kiosk_id):
        raise KeyFileError(
            _t(
                "A kiosk id may only contain lower-case letters, digits and hyphens "
                "(at most 40, starting with a letter or digit), for example: kiosk-lueder"
            ),
            detail=f"kiosk id of {len(str(kiosk_id))} characters refused",
        )
    keys = Path(kiosk_dir) / KEYS_DIR
    _refuse_existing_set(
        kiosk_dir,
        KIOSK_KEY_FILES,
        _t("The kiosk in {path} already has keys; they are never overwritten."),
        kiosk_is_initialised(kiosk_dir),
    )
    source = Path(townhall_public)
    pinned_bytes = _read_bytes(source, _t("Copy the town hall's keys/townhall.json here."), named_on_a_stick=True)
    townhall = _parse_townhall_public(_json_object(pinned_bytes, source), source)  # the very bytes pinned
    signing = Ed25519PrivateKey.generate()
    _write_private_key(keys / KIOSK_SIGNING_KEY, signing)
    _write_json(
        keys / KIOSK_IDENTITY,
        {
            "created_at": utc_timestamp(),
            "fingerprint": fingerprint(signing.public_key()),
            "format": KIOSK_IDENTITY_FORMAT,
            "kiosk_id": kiosk_id,
            "signing_key_id": key_id(signing.public_key()),
            "signing_public_key": encode_public_key(signing.public_key()),
        },
    )
    atomic_write(keys / TOWNHALL_PUBLIC, pinned_bytes, mode=0o644, overwrite=False)
    request = build_enrolment_request(
        kiosk_id=kiosk_id,
        signing_key=signing,
        municipality=townhall.name,
        townhall_signing_key_id=townhall.signing_key_id,
        townhall_encryption_key_id=townhall.encryption_key_id,
    )
    atomic_write(enrolment_request_path(kiosk_dir, kiosk_id), request, mode=0o644, overwrite=True)
    return read_enrolment_request(request)


def load_kiosk_keys(kiosk_dir: Path) -> KioskKeys:
    """This kiosk's id and signing key."""
    keys = Path(kiosk_dir) / KEYS_DIR
    hint = _t("Run: rathaus keys init-kiosk --kiosk-id ID --townhall-keys FILE")
    if kiosk_is_initialised(kiosk_dir):
        require_kiosk_keys(kiosk_dir)
    identity_path = keys / KIOSK_IDENTITY
    identity = _read_json(identity_path, hint)
    kiosk_id = identity.get("kiosk_id")
    if identity.get("format") != KIOSK_IDENTITY_FORMAT or not is_kiosk_id(kiosk_id):
        raise _broken(identity_path, "no valid kiosk id")
    signing = _load_private_key(keys / KIOSK_SIGNING_KEY, Ed25519PrivateKey, hint)
    if encode_public_key(signing.public_key()) != identity.get("signing_public_key"):
        raise _broken(keys / KIOSK_SIGNING_KEY, "does not belong to kiosk.json")
    return KioskKeys(kiosk_id=str(kiosk_id), signing=signing)


def load_pinned_townhall(kiosk_dir: Path) -> TownhallPublicKeys:
    """The town hall's public keys as pinned when this kiosk was set up."""
    if kiosk_is_initialised(kiosk_dir):
        require_kiosk_keys(kiosk_dir)
    return load_townhall_public(Path(kiosk_dir) / KEYS_DIR / TOWNHALL_PUBLIC)


def _linked_folder(exc: NotOrdinary, path: Path) -> KeyFileError:
    return KeyFileError(
        _t(
            "The folder {folder} on the way to {path} is a link or not a folder; nothing "
            "was read. Please name the file in the stick's own folders."
        ).format(folder=exc.name, path=path),
        detail=f"{exc.name}: {exc.kind}",
    )


def read_enrolment_file(source: Path | str | bytes | EnrolmentRequest) -> EnrolmentRequest:
    """An enrolment request from a path, bytes or an already-read request (self-signature checked)."""
    if isinstance(source, EnrolmentRequest):
        return read_enrolment_request(source.raw)
    if isinstance(source, (bytes, bytearray)):
        return read_enrolment_request(bytes(source))
    path = Path(source)
    try:
        data = read_named_file(path, MAX_ENROLMENT_BYTES + 1)
    except NotOrdinary as exc:
        if exc.wanted == FOLDER:
            raise _linked_folder(exc, path) from None
        raise _not_a_file(path) from None
    except FileNotFoundError:
        raise KeyFileError(
            _t("The enrolment request {path} does not exist.").format(path=path)
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _not_a_file(path) from None
        raise KeyFileError(
            _t("The enrolment request {path} cannot be read: {reason}").format(
                path=path, reason=exc.strerror
            )
        ) from None
    return read_enrolment_request(data)

