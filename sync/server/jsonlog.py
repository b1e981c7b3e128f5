"""Structured server logs: one JSON object per line, for a municipal IT service's log collector.

``rathaus server --log-format json`` (or ``RATHAUS_LOG_FORMAT=json``) replaces the plain lines on
standard error with lines like::

    {"time": "2026-03-02T09:15:00.123Z", "level": "info", "logger": "rathaus.intake",
     "message": "batch 9f… from kiosk bibliothek: 3 items, stored", "pid": 4711}

What the server logs never holds anything from inside an application (it holds only sealed
bytes), and this formatter keeps it that way for what it adds: no tracebacks (their frames may
hold request bodies; the exception's type is kept), and no client addresses, which are personal
data: uvicorn's access lines keep method, path and status, and any IPv4 or IPv6 address in a
message is replaced by ``<address>``.

On a district's server (``rathaus server --towns``) every line written while a request of one town
is served carries ``"town"``: the towns' kiosks often share names (each town's ``bibliothek``), so
without it IT could not tell whose kiosk was refused or revoked.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from contextvars import ContextVar
from typing import IO

LOG_FORMAT_ENV = "RATHAUS_LOG_FORMAT"
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])\[?(?:[0-9a-fA-F]{0,4}:){3,7}[0-9a-fA-F]{0,4}\]?(?::\d{1,5})?(?![\w:])")
_ADDRESS = "<address>"
JSON_LOGGERS = ("rathaus", "uvicorn", "uvicorn.error", "uvicorn.access", "psycopg")

# The town whose request is being served (set by the district app around each town's requests).
current_town: ContextVar[str | None] = ContextVar("rathaus_current_town", default=None)


def scrub(text: str) -> str:
    """The text with every IP address (and port) replaced."""
    return _IPV6.sub(_ADDRESS, _IPV4.sub(_ADDRESS, text))


class JsonLineFormatter(logging.Formatter):
    """A record as one line of JSON, with nothing personal added to it."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            # (client address, method, path, HTTP version, status): the address is left out
            _client, method, path, _version, status = record.args
            message = f"{method} {path} {status}"
        else:
            message = record.getMessage()
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(message),
            "pid": record.process,
        }
        town = current_town.get()
        if town is not None:
            entry["town"] = town
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False, sort_keys=False)


def json_logging_wanted(choice: str | None = None) -> bool:
    return (choice or os.environ.get(LOG_FORMAT_ENV, "text")).lower() == "json"


def use_json_lines(stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send every log line of the server (ours and uvicorn's) as JSON to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    # psycopg's pool says so when the database is gone, in several lines of text: JSON too.
    for name in JSON_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        if name == "rathaus" and logger.level == logging.NOTSET:
            logger.setLevel(level)
    return handler


def uvicorn_log_config() -> dict:
    """uvicorn's own ``log_config`` for JSON mode: keep the handlers set by ``use_json_lines``."""
    return {"version": 1, "disable_existing_loggers": False}
