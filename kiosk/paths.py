"""Where each role keeps its files.

A kiosk keeps everything in one data directory (default ``./var/kiosk`` or ``$RATHAUS_KIOSK_DIR``);
the town hall in another (``./var/townhall`` or ``$RATHAUS_TOWNHALL_DIR``). Deployments set the
environment variables (see ``deploy/``); ``make demo`` uses ``./var/demo/``.

Kiosk data directory::

    kiosk.db               the local queue (SQLite, WAL)
    kiosk.toml             kiosk id, town-hall address, staff PIN hash, municipality name
    kiosk.log              log lines while the kiosk screen runs (never personal data)
    keys/kiosk-signing.key this kiosk's Ed25519 private key (0600)
    keys/kiosk.json        this kiosk's id and public key
    keys/townhall.json     the town hall's pinned public keys
    enrolment-<id>.json    the enrolment request to carry to the town hall

Town-hall data directory::

    townhall.db                 received batches, sealed items (still encrypted), status updates
    keys/kiosks.json            enrolled and revoked kiosks (the allow-list)
    keys/townhall-encryption.key X25519 private key (0600; only where the staff inbox runs)
    keys/townhall-signing.key    Ed25519 private key for acknowledgements and status updates (0600)
    keys/townhall.json           the public halves, to hand to kiosks
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

KIOSK_ENV = "RATHAUS_KIOSK_DIR"
TOWNHALL_ENV = "RATHAUS_TOWNHALL_DIR"


def _t(text: str) -> str:
    """``text`` in the language of the shell the command runs in."""
    from kiosk.i18n import language_from_environment, translator

    return translator(language_from_environment())(text)


def default_kiosk_dir() -> Path:
    return Path(os.environ.get(KIOSK_ENV) or "var/kiosk")


def default_townhall_dir() -> Path:
    return Path(os.environ.get(TOWNHALL_ENV) or "var/townhall")


def add_kiosk_dir_argument(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` for commands that run on a kiosk."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=_t("kiosk data directory (default: ${env} or ./var/kiosk)").format(env=KIOSK_ENV),
    )


def add_townhall_dir_argument(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` for commands that run at the town hall."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=_t("town-hall data directory (default: ${env} or ./var/townhall)").format(env=TOWNHALL_ENV),
    )


def kiosk_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if getattr(args, "data_dir", None) else default_kiosk_dir()


def townhall_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if getattr(args, "data_dir", None) else default_townhall_dir()
