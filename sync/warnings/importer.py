"""One import run at the town hall: read every configured source into the warnings record.

``rathaus warnings import`` runs it (a systemd timer every five minutes, see
deploy/townhall/README.md); the kiosk-facing server only reads the record. Why not inside the
server: parsing whatever the internet sends stays out of the process the kiosks talk to, a hanging
feed never delays a kiosk's answer, and the import gets its own limits from systemd.

A run takes a lock (``warnings/import.lock``) so two never interleave; files from the incoming
folder go to ``warnings/done/`` or, when nothing in them could be used, ``warnings/refused/``. The
record is "complete as of" the run's start only when every configured source was read: the folder
could be listed and every feed answered.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from kiosk.errors import RathausError
from kiosk.i18n import language_from_environment, translator
from sync.warnings.alerts import concerns, ends_referenced, never_shown_because
from sync.warnings.area import AreaKey
from sync.warnings.snapshot import trimmed
from sync.warnings.config import WarningsConfig
from sync.warnings.sources import FeedError, Harvest, Refusal, file_away, incoming_files, printable, read_feed, read_file
from sync.warnings.store import WarningsStore

log = logging.getLogger("rathaus.warnings")
LOCK_NAME = "import.lock"


@dataclass
class ImportReport:
    """What one run did."""

    read: int = 0
    new: int = 0
    other_areas: int = 0
    not_for_citizens: int = 0
    refused: list[Refusal] = field(default_factory=list)
    failed_feeds: list[str] = field(default_factory=list)
    complete: bool = False
    as_of: str | None = None


@contextmanager
def _import_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _ = translator(language_from_environment())
            raise RathausError(_("Another warnings import is running; try again in a minute.")) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_import(
    config: WarningsConfig,
    *,
    files: list[Path] | None = None,
    now: dt.datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ImportReport:
    """Import ``files`` if given (left where they are), else the incoming folder and every feed."""
    started = now or dt.datetime.now(dt.timezone.utc)
    report = ImportReport()
    with _import_lock(config.folder), WarningsStore(config.folder) as store:
        if files is not None:
            for path in files:
                _keep(store, read_file(Path(path)), str(path), report, started, config.keys())
            report.as_of = store.as_of()
            return report
        complete = True
        folder_ok = _import_folder(store, config, report, started)
        complete = complete and folder_ok
        for url in config.feeds:
            try:
                harvest = read_feed(url, timeout=config.feed_timeout_seconds, transport=transport)
            except FeedError as exc:
                log.warning("warning feed failed: %s", exc)
                store.record_source(url, ok_at=started, error=str(exc))
                report.failed_feeds.append(url)
                complete = False
                continue
            _keep(store, harvest, url, report, started, config.keys())
            if not harvest.refused:  # only a listing read whole says what is no longer published
                store.withdraw_unlisted(url, {alert.key for _, alert in harvest.alerts}, now=started)
            store.record_source(url, ok_at=started)
        if complete and (config.feeds or config.incoming.is_dir()):
            store.complete_run(started)
            report.complete = True
        store.prune(started)
        report.as_of = store.as_of()
    log.info(
        "warnings import: %d read, %d new, %d for other areas, %d refused, %d feed(s) failed, as of %s",
        report.read, report.new, report.other_areas, len(report.refused), len(report.failed_feeds), report.as_of or "never",
    )
    return report


def _import_folder(store: WarningsStore, config: WarningsConfig, report: ImportReport, now: dt.datetime) -> bool:
    folder = config.incoming
    if not folder.exists():
        return True  # no folder configured or made: nothing dropped, nothing missed
    if not folder.is_dir():
        log.warning("warnings folder %s is not a folder", folder)
        return False
    try:
        waiting = incoming_files(folder)
    except OSError as exc:  # a share gone away, permissions lost: the feeds are still read
        log.warning("warnings folder %s cannot be read: %s", folder, exc.strerror or exc)
        store.record_source(str(folder), ok_at=now, error=f"cannot be read: {exc.strerror or exc}")
        return False
    for path in waiting:
        harvest = read_file(path)
        _keep(store, harvest, path.name, report, now, config.keys())
        if path.is_symlink() or not path.is_dir():  # a link or a pipe is moved itself, never followed or read
            file_away(path, folder.parent / ("done" if harvest.alerts else "refused"))
    store.record_source(str(folder), ok_at=now)
    return True


def _keep(
    store: WarningsStore, harvest: Harvest, source: str, report: ImportReport, now: dt.datetime, keys: tuple[AreaKey, ...]
) -> None:
    """Keep what concerns the configured areas, with only those areas (DWD's national zip holds
    every municipality with its polygon); an Update or Cancel for elsewhere is kept without areas,
    for what it ends. With no areas configured everything is kept, for ``rathaus warnings list``."""
    report.refused.extend(harvest.refused)
    for name, alert in harvest.alerts:
        report.read += 1
        if keys:
            if not any(concerns(alert, key) for key in keys):
                report.other_areas += 1
                if not ends_referenced(alert):
                    continue
                alert = replace(alert, areas=())
            else:
                alert = trimmed(alert, keys)
        reason = never_shown_because(alert)
        if reason is not None:
            report.not_for_citizens += 1
            log.info("warning %s (%s) kept but never shown to citizens: %s", alert.identifier, printable(name), reason)
        if store.add(alert, source=source, now=now):
            report.new += 1
