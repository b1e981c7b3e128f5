"""While the kiosk screen is up, log lines go to ``kiosk.log`` in the data directory.

Textual draws the kiosk on the terminal, so a log line written to the terminal would appear on top
of the citizen's screen: technical words where a plain page should be. Log lines never hold
personal data, so a small rotating file next to the queue is a safe place for them; staff read it
after leaving the kiosk with F12.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "kiosk.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MAX_BYTES = 1_000_000
_BACKUPS = 2


@contextmanager
def logging_to_file(data_dir: Path) -> Iterator[Path]:
    """Inside the block, the root logger writes to the log file and not to any terminal stream."""
    path = Path(data_dir) / LOG_NAME
    root = logging.getLogger()
    streams = [
        handler
        for handler in root.handlers
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)
    ]
    to_file = RotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(LOG_FORMAT))
    for handler in streams:
        root.removeHandler(handler)
    root.addHandler(to_file)
    try:
        yield path
    finally:
        root.removeHandler(to_file)
        to_file.close()
        for handler in streams:
            root.addHandler(handler)
