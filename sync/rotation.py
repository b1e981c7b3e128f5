"""Rotating the town hall's keys: a new encryption key (and, if asked, a new signing key), the new
``townhall.json`` signed by the old signing key for the kiosks, the old private keys kept.

Layout under the town hall's ``keys/``::

    townhall-encryption.key, townhall-signing.key, townhall.json   the current keys, as before
    key-updates/rotation-000001.json ...    rotation n: new townhall.json signed by the key before
    previous-encryption/<key-id>.key    every earlier encryption key, mode 0600, never deleted
    previous-signing/<key-id>.key       every earlier signing key (both out of the server's reach)
    previous-townhall/<key-id>.json     the townhall.json each earlier encryption key was in
    next/                                    the new keys while a rotation is under way

Applications already sealed for an old key are still on kiosks or on their way when the key
changes; they are accepted (``TownhallKeys.held_encryption_key_ids``) and opened with the earlier key that
matches their ``recipient_key_id`` (``sync.keys.load_encryption_keyring``). Kiosks learn the new keys on
their next exchange through the download channel ``keys`` and seal for the new key from then on.

Order on disk, so that a power cut never leaves the town hall without a key it needs: old keys are
copied to ``previous-*/``, the new private keys are written to ``next/``, then the rotation file is
written (from here on the rotation counts), then the current files are replaced. A rotation
interrupted after its rotation file is finished from ``next/`` by the next
``rotate_townhall_keys`` (which then makes no new one); keys staged before it are discarded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError, KeyFileError
from kiosk.i18n import language_from_environment, translator
from sync.envelope import key_id, utc_timestamp
from sync.envelope.keyupdates import (
    KeyUpdate,
    build_key_update,
    check_key_update,
    key_update_to_json,
)
from sync.envelope.suites import SUITES, RecipientPrivateKey, generate_private_key
from sync.keys import (  # noqa: I001
    _write_private_key,
    KEYS_DIR,
    PREVIOUS_SIGNING_DIR,
    PREVIOUS_TOWNHALL_DIR,
    TOWNHALL_ENCRYPTION_KEY,
    TOWNHALL_PUBLIC,
    TOWNHALL_SIGNING_KEY,
    TownhallPublicKeys,
    atomic_write,
    load_townhall_keys,
    load_townhall_public,
    parse_townhall_public_bytes,
    save_previous_encryption_key,
    townhall_public_bytes,
)

log = logging.getLogger("rathaus.keys")

UPDATES_DIR = "key-updates"
NEXT_DIR = "next"
KEY_UPDATE_FORMAT = "rathaus-key-update/1"
_MAX_UPDATE_FILE_BYTES = 64 * 1024


def _t(text: str) -> str:
    return translator(language_from_environment())(text)


@dataclass(frozen=True)
class Rotation:
    """What ``rotate_townhall_keys`` did: rotation number and the new public keys;
    ``resumed`` when it finished a rotation a power cut had interrupted instead of making one."""

    version: int
    new: TownhallPublicKeys
    resumed: bool = False


def _keys_dir(townhall_dir: Path) -> Path:
    return Path(townhall_dir) / KEYS_DIR


def _update_path(townhall_dir: Path, version: int) -> Path:
    return _keys_dir(townhall_dir) / UPDATES_DIR / f"rotation-{version:06d}.json"


def _read_update(path: Path) -> KeyUpdate:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_UPDATE_FILE_BYTES + 1)
        value = json.loads(raw.decode("utf-8"))
        if len(raw) > _MAX_UPDATE_FILE_BYTES or not isinstance(value, dict):
            raise ValueError("not a key update")
        if value.pop("format", None) != KEY_UPDATE_FORMAT:
            raise ValueError(f"format is not {KEY_UPDATE_FORMAT}")
        return check_key_update(value, 0)
    except (OSError, UnicodeDecodeError, ValueError, EnvelopeError) as exc:
        raise KeyFileError(
            _t("The key file {path} is damaged or not a Rathaus-Kiosk key file.").format(path=path),
            detail=f"{path}: {exc}",
        ) from None


def key_updates(townhall_dir: Path) -> list[KeyUpdate]:
    """Every rotation so far, oldest first (empty before the first ``rathaus keys rotate``)."""
    folder = _keys_dir(townhall_dir) / UPDATES_DIR
    if not folder.is_dir():
        return []
    updates = [_read_update(path) for path in sorted(folder.glob("rotation-*.json"))]
    for expected, update in enumerate(updates, start=1):
        if update.version != expected:
            raise KeyFileError(
                _t("The key file {path} is damaged or not a Rathaus-Kiosk key file.").format(
                    path=folder
                ),
                detail=f"rotation {expected} missing",
            )
    return updates


def _copy_private(source: Path, target: Path) -> None:
    """Keep a private key file under ``target`` (mode 0600); an identical copy there is fine."""
    data = source.read_bytes()
    if target.exists():
        if target.read_bytes() != data:
            raise KeyFileError(
                _t("{path} already exists; existing keys are never overwritten.").format(path=target)
            )
        return
    atomic_write(target, data, mode=0o600, overwrite=False)


def _write_private(path: Path, key: RecipientPrivateKey | Ed25519PrivateKey) -> None:
    if not path.exists():
        _write_private_key(path, key)


def _replace_private(source: Path, target: Path) -> None:
    """Put the new key in place of the current one, which ``previous-encryption/`` already holds."""
    data = source.read_bytes()
    atomic_write(target, data, mode=0o600, overwrite=True)


def finish_rotation(townhall_dir: Path) -> bool:
    """Complete a rotation whose rotation file was written but whose files were not all replaced
    (a power cut in the middle). Returns True when there was something to finish."""
    updates = key_updates(townhall_dir)
    keys = _keys_dir(townhall_dir)
    if not updates or (keys / TOWNHALL_PUBLIC).read_bytes() == updates[-1].townhall:
        return False
    latest = parse_townhall_public_bytes(updates[-1].townhall, keys / TOWNHALL_PUBLIC)
    staged = keys / NEXT_DIR
    for name in (TOWNHALL_ENCRYPTION_KEY, TOWNHALL_SIGNING_KEY):
        if (staged / name).exists():
            _replace_private(staged / name, keys / name)
    atomic_write(keys / TOWNHALL_PUBLIC, updates[-1].townhall, mode=0o644, overwrite=True)
    load_townhall_keys(townhall_dir, need_encryption=True)  # every file fits the new townhall.json
    for name in (TOWNHALL_ENCRYPTION_KEY, TOWNHALL_SIGNING_KEY):
        (staged / name).unlink(missing_ok=True)
    log.info("rotation %d finished: encryption key %s", updates[-1].version, latest.encryption_key_id)
    return True


def rotate_townhall_keys(townhall_dir: Path, *, signing: bool = False, suite: str | None = None) -> Rotation:
    """Make a new encryption key (and with ``signing`` a new signing key) and publish it.

    ``suite`` changes the encryption suite (``mlkem768-x25519`` for applications kept for many
    years); by default the new key has the current key's suite. Needs the current encryption key
    (it is kept in ``previous-encryption/``, the keyring the inbox opens with), so it runs where
    staff open applications. The server must be restarted afterwards to sign and accept with the
    new keys.
    """
    if suite is not None and suite not in SUITES:
        raise KeyFileError(
            _t("Unknown encryption suite '{suite}'. Possible: {suites}").format(suite=suite, suites=", ".join(SUITES))
        )
    townhall_dir = Path(townhall_dir)
    keys = _keys_dir(townhall_dir)
    if finish_rotation(townhall_dir):
        return Rotation(len(key_updates(townhall_dir)), load_townhall_public(keys / TOWNHALL_PUBLIC), resumed=True)
    for stale in (keys / NEXT_DIR).glob("*.key"):  # staged by a rotation cut off before it counted
        stale.unlink()
    current = load_townhall_keys(townhall_dir, need_encryption=True)
    old = current.public
    version = len(key_updates(townhall_dir)) + 1

    assert current.encryption is not None
    save_previous_encryption_key(townhall_dir, current.encryption)
    _copy_private(keys / TOWNHALL_SIGNING_KEY, keys / PREVIOUS_SIGNING_DIR / f"{old.signing_key_id}.key")
    old_public = (keys / TOWNHALL_PUBLIC).read_bytes()
    target = keys / PREVIOUS_TOWNHALL_DIR / f"{old.encryption_key_id}.json"
    if not target.exists():
        atomic_write(target, old_public, mode=0o644, overwrite=False)

    staged = keys / NEXT_DIR
    encryption = generate_private_key(suite or old.suite)
    _write_private(staged / TOWNHALL_ENCRYPTION_KEY, encryption)
    new_signing = Ed25519PrivateKey.generate() if signing else None
    if new_signing is not None:
        _write_private(staged / TOWNHALL_SIGNING_KEY, new_signing)
    signing_public = new_signing.public_key() if new_signing is not None else current.signing_public
    new = replace(
        old,
        encryption=encryption.public_key(),
        signing=signing_public,
        encryption_key_id=key_id(encryption.public_key()),
        signing_key_id=key_id(signing_public),
    )
    townhall_bytes = townhall_public_bytes(new, utc_timestamp())
    update = build_key_update(version, townhall_bytes, current.signing)
    record = {"format": KEY_UPDATE_FORMAT, **key_update_to_json(update)}
    atomic_write(
        _update_path(townhall_dir, version),
        (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8"),
        mode=0o644,
        overwrite=False,
    )
    finish_rotation(townhall_dir)
    log.info(
        "keys rotated (%d): encryption %s -> %s, signing %s -> %s",
        version,
        old.encryption_key_id,
        new.encryption_key_id,
        old.signing_key_id,
        new.signing_key_id,
    )
    return Rotation(version=version, new=load_townhall_public(keys / TOWNHALL_PUBLIC))
