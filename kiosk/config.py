"""A kiosk's settings, kept in ``kiosk.toml`` in its data directory.

The file is written by ``rathaus keys init-kiosk`` / ``rathaus demo`` and can be edited by the
person who sets the kiosk up. Nothing in it is personal data; the staff PIN is kept only as an
scrypt hash.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator

CONFIG_NAME = "kiosk.toml"


@dataclass(frozen=True)
class KioskConfig:
    """What a kiosk needs to know about itself and its town hall."""

    municipality: str = "Einheitsgemeinde Tangerhütte"
    location: str = ""
    server_url: str = ""  # empty: no network link is expected (USB only)
    forms_dir: str = ""  # empty: the services shipped with the product
    staff_pin_hash: str = ""  # "scrypt$<salt hex>$<hash hex>"; empty: staff exit disabled
    idle_seconds: int = 180  # quiet time before "Do you need more time?"
    answer_seconds: int = 60  # time to answer that question before the screen is cleared
    sync_interval_seconds: int = 60
    printer: str = ""  # CUPS queue for receipts; empty: receipts are saved as PDF only
    status_url: str = ""  # printed as QR code with the reference appended; empty: code only
    usb_dir: str = "/media/rathaus-stick"  # where staff mount the stick for the transfer screen
    extra: dict[str, str] = field(default_factory=dict)

    def with_staff_pin(self, pin: str) -> "KioskConfig":
        return replace(self, staff_pin_hash=hash_pin(pin))

    def check_staff_pin(self, pin: str) -> bool:
        return bool(self.staff_pin_hash) and verify_pin(pin, self.staff_pin_hash)


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1)
    return hmac.compare_digest(digest.hex(), digest_hex)


def load_config(data_dir: Path) -> KioskConfig:
    """Read ``kiosk.toml``; a missing file means the defaults."""
    path = Path(data_dir) / CONFIG_NAME
    if not path.exists():
        return KioskConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        _ = translator(language_from_environment())
        raise RathausError(
            _("The kiosk settings file {path} cannot be read: {reason}").format(path=path, reason=exc),
            detail=repr(exc),
        ) from exc
    known = {f for f in KioskConfig.__dataclass_fields__ if f != "extra"}
    unknown = sorted(set(raw) - known - {"extra"})
    if unknown:
        _ = translator(language_from_environment())
        raise RathausError(
            _("Unknown setting(s) in {path}: {names}").format(path=path, names=", ".join(unknown))
        )
    try:
        return KioskConfig(**{k: v for k, v in raw.items() if k in known}, extra=raw.get("extra", {}))
    except TypeError as exc:
        _ = translator(language_from_environment())
        raise RathausError(
            _("The kiosk settings file {path} is not valid: {reason}").format(path=path, reason=exc)
        ) from exc


def save_config(data_dir: Path, config: KioskConfig) -> Path:
    """Write ``kiosk.toml`` atomically (a power cut leaves the old or the new file)."""
    data_dir = Path(data_dir)
    path = data_dir / CONFIG_NAME
    try:
        _write_config(data_dir, path, config)
    except OSError as exc:
        _ = translator(language_from_environment())
        raise RathausError(
            _("The kiosk settings cannot be saved in {path}: {reason}").format(
                path=data_dir, reason=exc.strerror or exc
            ),
            detail=repr(exc),
        ) from exc
    return path


def _write_config(data_dir: Path, path: Path, config: KioskConfig) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# Rathaus-Kiosk settings for this terminal. See deploy/kiosk/README.md."]
    for key, value in asdict(config).items():
        if key == "extra":
            continue
        lines.append(f"{key} = {_toml_value(value)}")
    if config.extra:
        lines.append("\n[extra]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in sorted(config.extra.items()))
    tmp = path.with_suffix(".toml.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
