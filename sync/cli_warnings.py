"""``rathaus warnings``: the town hall's official warnings for its kiosks.

``rathaus warnings import`` reads the incoming folder and every feed of ``warnings.toml`` (or the
files named); a systemd timer runs it every five minutes (deploy/townhall). ``rathaus warnings
list`` shows what is active now, for which areas, what the kiosks get and what is never shown.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from kiosk.errors import RathausError
from kiosk.i18n import format_datetime, language_from_environment, translator
from kiosk.paths import add_townhall_dir_argument, townhall_dir

EX_TEMPFAIL = 75


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    warnings = subparsers.add_parser(
        "warnings",
        help=_("official warnings (CAP) for the kiosks: import and list"),
        description=_(
            "Official warnings (CAP 1.2 from DWD, MoWaS/NINA, flood centres) for the kiosks. "
            "Settings in warnings.toml in the town-hall data directory (see docs/warnings.md)."
        ),
    )
    commands = warnings.add_subparsers(dest="warnings_command", metavar="COMMAND")
    commands.required = True
    run = commands.add_parser(
        "import",
        help=_("read the incoming folder and the feeds (or the files given)"),
        description=_(
            "Read CAP files (XML, DWD zip, NINA JSON) from the incoming folder and every configured feed; "
            "files given by name are read and left where they are."
        ),
    )
    add_townhall_dir_argument(run)
    run.add_argument("files", nargs="*", type=Path, metavar="FILE", help=_("CAP files to import instead"))
    run.set_defaults(handler=run_import_command)
    show = commands.add_parser(
        "list",
        help=_("show the warnings active now and for which areas"),
        description=_("Show the warnings the town hall holds now, which of them the kiosks get, and why others are not shown."),
    )
    add_townhall_dir_argument(show)
    show.set_defaults(handler=run_list)


def run_import_command(args: argparse.Namespace) -> int:
    from sync.warnings.config import load_warnings_config
    from sync.warnings.importer import run_import

    _ = translator(language_from_environment())
    config = load_warnings_config(townhall_dir(args))
    if not args.files and not config.feeds and not config.incoming.is_dir():
        raise RathausError(
            _("Nothing to import: no feeds in {path} and no folder {folder}.").format(
                path=config.data_dir / "warnings.toml", folder=config.incoming
            )
        )
    report = run_import(config, files=args.files or None)
    print(
        _("{read} warning message(s) read, {new} new, {other} for other areas, {refused} refused.").format(
            read=report.read, new=report.new, other=report.other_areas, refused=len(report.refused)
        )
    )
    for refusal in report.refused:
        print(_("Refused: {name}: {reason}").format(name=refusal.name, reason=refusal.reason))
    for url in report.failed_feeds:
        print(_("Feed not reached: {url}").format(url=url))
    if not config.areas:
        print(_("Note: no areas in warnings.toml, so the kiosks get no warnings."))
    return EX_TEMPFAIL if report.failed_feeds else (1 if report.refused and not report.read else 0)


def run_list(args: argparse.Namespace) -> int:
    for line in listing(townhall_dir(args), dt.datetime.now(dt.timezone.utc), language_from_environment()):
        print(line)
    return 0


def listing(data_dir: Path, now: dt.datetime, lang: str) -> list[str]:
    """The lines of ``rathaus warnings list`` at ``now``."""
    from sync.warnings.alerts import concerns, never_shown_because, shown_order
    from sync.warnings.config import load_warnings_config
    from sync.warnings.snapshot import for_citizens
    from sync.warnings.store import DB_NAME, WarningsStore, as_of_datetime

    _ = translator(lang)
    lines: list[str] = []
    config = load_warnings_config(data_dir)
    areas = ", ".join(key.ars or key.ags for key in config.areas) or _("none")
    lines.append(_("Areas of the kiosks: {areas}").format(areas=areas))
    if not (config.folder / DB_NAME).exists():  # nothing imported yet; listing creates nothing
        lines.append(_("Complete as of: never (the kiosks say that warnings could not be fetched)"))
        lines.append(_("No active warning messages are held."))
        return lines
    with WarningsStore(config.folder) as store:
        as_of = as_of_datetime(store.as_of())
        lines.append(
            _("Complete as of: {when}").format(when=format_datetime(as_of, lang))
            if as_of
            else _("Complete as of: never (the kiosks say that warnings could not be fetched)")
        )
        for source in store.sources():
            if source.last_error and (source.last_ok_at is None or source.last_error_at >= source.last_ok_at):
                lines.append(_("Source {name}: failing since {when}: {reason}").format(
                    name=source.name, when=source.last_error_at, reason=source.last_error
                ))
            else:
                lines.append(_("Source {name}: read {when}").format(name=source.name, when=source.last_ok_at))
        current = shown_order(store.current(now))
        sent = {a.key for a in for_citizens(current, config.keys())}
    if not current:
        lines.append(_("No active warning messages are held."))
    for alert in current:
        text = alert.text(lang)
        until = format_datetime(as_of_datetime(alert.expires), lang) if alert.expires else _("until lifted")
        if alert.key in sent:
            verdict = _("sent to the kiosks")
        else:
            reason = never_shown_because(alert)
            if reason:
                verdict = _("never shown: {reason}").format(reason=reason)
            elif not any(concerns(alert, key) for key in config.keys()):
                verdict = _("another area")
            else:
                verdict = _("not shown")
        lines.append(f"- [{alert.severity}] {text.headline or text.event} ({alert.identifier}); {until}; {verdict}")
    return lines
