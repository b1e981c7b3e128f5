"""Which database a town hall's records live in, and the connections to it.

A single town keeps the embedded default: SQLite files in its data directory (``townhall.db``,
``uploads.db``). A district or a municipal IT service running one server for many towns puts every
town's records in one PostgreSQL database instead, each row carrying the town's id. Which one is
used is the town hall's configuration, read the same way by the server, the staff inbox and every
``rathaus`` command, so they all read and write the same records:

- the database: ``RATHAUS_DATABASE_URL`` if set (``rathaus server --database URL`` sets it for
  itself and its workers; IT sets it to run a command as the administrators' role), else
  ``database = "postgresql:///rathaus"`` in ``<townhall_dir>/server.toml``, else SQLite in the
  data directory;
- the town: ``town = "tangerhuette"`` in ``server.toml`` (a town's folder says which town it is),
  else ``RATHAUS_TOWN``, else ``default``.

A URL without a password (``postgresql:///rathaus``: the local socket, the system user's own role)
is the recommended form: no secret then lies in a file or in the environment.

Connections to PostgreSQL come from one ``psycopg_pool.ConnectionPool`` per URL and process, shared
by the storage, the upload spool and the list of enrolled kiosks of every town the process serves.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import StoreError

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

CONFIG_FILE = "server.toml"
DEFAULT_TOWN = "default"
DATABASE_ENV = "RATHAUS_DATABASE_URL"
TOWN_ENV = "RATHAUS_TOWN"
POOL_MAX_SIZE = 8
RECONNECT_SECONDS = 10.0
_TOWN_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class DatabaseConfig:
    """Where one town's records are: ``url`` is ``None`` for the SQLite files in its folder."""

    url: str | None
    town: str = DEFAULT_TOWN

    @property
    def is_postgres(self) -> bool:
        return self.url is not None


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def check_town_id(town: str) -> str:
    """Town ids are short lowercase names (``tangerhuette``): they end up in every row and log."""
    if not _TOWN_ID.match(town):
        raise StoreError(
            f"The town id {town!r} is not valid: use lowercase letters, digits and hyphens (at most 63)."
        )
    return town


def database_config(townhall_dir: Path | str) -> DatabaseConfig:
    """The database configuration of the town hall in ``townhall_dir`` (see the module text)."""
    path = Path(townhall_dir) / CONFIG_FILE
    settings: dict[str, object] = {}
    if path.exists():
        try:
            settings = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise StoreError(f"The server configuration {path} cannot be read.", detail=repr(exc)) from exc
    url = os.environ.get(DATABASE_ENV) or settings.get("database") or None
    town = settings.get("town") or os.environ.get(TOWN_ENV) or DEFAULT_TOWN
    if url is not None and not isinstance(url, str):
        raise StoreError(f"In {path}, database must be a text (a postgresql:// URL).")
    if url is not None and not is_postgres_url(url):
        if url.startswith("sqlite"):
            url = None  # said explicitly: the files in the data directory
        else:
            raise StoreError(f"The database URL must start with postgresql:// (found {url.split(':')[0]!r}).")
    if not isinstance(town, str):
        raise StoreError(f"In {path}, town must be a text.")
    return DatabaseConfig(url=url, town=check_town_id(town))


_pools: dict[str, "ConnectionPool"] = {}
_pools_lock = threading.Lock()


def pool_for(url: str) -> "ConnectionPool":
    """The process's connection pool for ``url``, opened on first use and closed at exit.

    Connections are autocommit: every write opens its own ``conn.transaction()``."""
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None or pool.closed:
            from psycopg_pool import ConnectionPool

            # One plain connection first: a wrong role or a refused login is said at once, with
            # the database's reason, instead of the pool trying again for half a minute.
            _connect_once(url)
            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_MAX_SIZE,
                kwargs={"autocommit": True},
                open=False,
                max_idle=60.0,
                timeout=30.0,
                # The pool tries again to connect with a pause that doubles each time, for as long as
                # this; then afresh with the next request. With psycopg's 5 minutes the pause grew
                # to minutes while the database was down, so a worker stayed unready (503) for
                # minutes after it came back; with 10 seconds it is ready within seconds.
                reconnect_timeout=RECONNECT_SECONDS,
                name="rathaus",
            )
            try:
                pool.open(wait=True, timeout=30.0)
            except Exception as exc:
                pool.close()
                raise _unreachable(url, exc) from exc
            _pools[url] = pool
        return pool


def close_pools() -> None:
    """Close every pool of this process (at exit, and by tests between databases)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


atexit.register(close_pools)


def check_reachable(config: DatabaseConfig, timeout: int = 10) -> None:
    """Connect once and let go (no pool, no threads: safe before forking workers); a
    ``StoreError`` saying so when the database cannot be reached."""
    if not config.is_postgres:
        return
    _connect_once(config.url, timeout)  # type: ignore[arg-type]


def _connect_once(url: str, timeout: int = 10) -> None:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=timeout).close()
    except psycopg.Error as exc:
        raise _unreachable(url, exc) from exc


def _unreachable(url: str, exc: Exception) -> StoreError:
    """The error naming the database (without a password) and the reason it gave, e.g.
    ``FATAL: role "root" does not exist`` (run as the wrong system user)."""
    from kiosk.i18n import language_from_environment, translator

    _ = translator(language_from_environment())
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = (lines[-1] if lines else type(exc).__name__)[:300]
    if "failed: " in reason:  # "connection to server on socket ... failed: FATAL:  role ..."
        reason = reason.rsplit("failed: ", 1)[1]
    return StoreError(
        _("The town-hall database {database} cannot be reached: {reason}").format(
            database=redacted(url), reason=" ".join(reason.split())
        ),
        detail=f"{type(exc).__name__}: {exc}",
    )


def redacted(url: str) -> str:
    """The URL as it may be logged: any password replaced."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
