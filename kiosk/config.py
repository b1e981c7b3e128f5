"""A kiosk's settings, kept in ``kiosk.toml`` in its data directory.

The file is written by ``rathaus keys init-kiosk`` / ``rathaus demo`` and can be edited by the
person who sets the kiosk up. Nothing in it is personal data; the staff PIN is kept only as an
Argon2id hash (``kiosk.pin``). Even so the file is readable by the kiosk's user alone (0600): the
hash is what an offline search through PINs would start from.
"""

from __future__ import annotations

import os
import stat
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator
from kiosk.pin import hash_pin

CONFIG_NAME = "kiosk.toml"
CONFIG_MODE = 0o600  # the PIN hash inside is for the kiosk's user only


@dataclass(frozen=True)
class KioskConfig:
    """What a kiosk needs to know about itself and its town hall."""

    municipality: str = "Einheitsgemeinde Tangerhütte"
    location: str = ""
    server_url: str = ""  # empty: no network link is expected (USB only)
    forms_dir: str = ""  # empty: the services shipped with the product
    staff_pin_hash: str = ""  # "$argon2id$…" (older kiosks: "scrypt$…"); empty: staff exit disabled
    idle_seconds: int = 180  # quiet time before "Do you need more time?"
    answer_seconds: int = 60  # time to answer that question before the screen is cleared
    sync_interval_seconds: int = 60
    printer: str = ""  # CUPS queue or escpos-net:/escpos-usb:/escpos-file: (kiosk.printing.target); empty: none
    status_url: str = ""  # printed as QR code with the reference appended; empty: code only
    usb_dir: str = "/media/rathaus-stick"  # where staff mount the stick for the transfer screen
    warning_area: str = ""  # AGS (8 digits) or ARS (12) of this kiosk's municipality; empty: no warnings shown
    warning_coordinates: str = ""  # "lat,lon" for warnings given only as a polygon; empty: codes only
    warnings_stale_hours: int = 6  # older warnings data is said to be out of date
    speech_amplitude: int = 100  # espeak-ng's -a (0-200) for reading aloud, the same for every visitor
    speech_volume_percent: int = 80  # the sound card's level, set back to this for every visitor
    extra: dict[str, str] = field(default_factory=dict)

    def with_staff_pin(self, pin: str) -> "KioskConfig":
        """These settings with a new staff PIN; a PIN that is too short is refused."""
        return replace(self, staff_pin_hash=hash_pin(pin))


def load_config(data_dir: Path) -> KioskConfig:
    """Read ``kiosk.toml``; a missing file means the defaults."""
    path = Path(data_dir) / CONFIG_NAME
    if not path.exists():
        return KioskConfig()
    _restrict_mode(path)
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
    text = "\n".join(lines) + "\n"
    # A fresh file created 0600 (mkstemp) in the same folder, then renamed over the old one: a
    # power cut leaves the old or the new settings, and the PIN hash is never readable by others,
    # not even for a moment.
    fd, tmp_name = tempfile.mkstemp(prefix=".kiosk.toml.", suffix=".tmp", dir=data_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), CONFIG_MODE)
            _keep_owner(fh.fileno(), path)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(data_dir)


def _keep_owner(fd: int, path: Path) -> None:
    """Run as root (``sudo rathaus configure`` without ``-u kiosk``), keep the file the kiosk's:
    a root-owned 0600 file would lock the kiosk out of its own settings."""
    if os.geteuid() != 0:
        return
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        old = os.stat(path.parent)  # a first file belongs to whoever owns the data folder
    os.fchown(fd, old.st_uid, old.st_gid)


def _restrict_mode(path: Path) -> None:
    """A settings file written before 0600 (e.g. 0644) is made private when the kiosk reads it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return  # reading reports the problem; saving writes a private file anyway
    try:
        info = os.fstat(fd)
        mine = info.st_uid == os.geteuid() or os.geteuid() == 0
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077 and mine:
            os.fchmod(fd, CONFIG_MODE)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
