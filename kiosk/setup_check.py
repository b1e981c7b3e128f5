"""``rathaus kiosk --check``: is this kiosk ready for citizens? One line per part, each OK or what to do.

For whoever sets a kiosk up, or comes to look at one that misbehaves: the queue, the keys, the way
to the town hall (network address or stick folder), the printer, speech, the area code for official
warnings, the last exchange. Each look is bounded in time and changes nothing: the database is
opened read-only (no file of root's left behind), the printer is asked for its status, never sent
paper. A line says ``todo`` when something must be done before citizens use the kiosk, ``note``
when the kiosk works without it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tomllib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable

from kiosk.bounded import run_bounded
from kiosk.config import CONFIG_NAME, KioskConfig, load_config
from kiosk.errors import RathausError
from kiosk.i18n import N_, format_datetime, ntranslator, translator

CHECK_SECONDS = 5.0  # the longest any one look may take (town hall, printer, database)
WARNING_AREA = re.compile(r"\d{5}|\d{8}|\d{12}")  # a district key (5 digits), an AGS (8) or an ARS (12)
STALE_EXCHANGE = _dt.timedelta(days=7)
HEALTH_BODY_LIMIT = 4096


class Verdict(str, Enum):
    OK = "ok"
    MUST_DO = "must-do"  # must be done before citizens use the kiosk
    NOTE = "note"  # the kiosk works, but someone should know


@dataclass(frozen=True)
class CheckLine:
    topic: str  # already in the reader's language
    verdict: Verdict
    text: str


TOPICS = {
    "settings": N_("Settings"),
    "store": N_("Queue"),
    "keys": N_("Keys"),
    "townhall": N_("Town hall"),
    "printer": N_("Printer"),
    "speech": N_("Speech"),
    "warnings": N_("Warnings area"),
    "exchange": N_("Last exchange"),
}


def check_kiosk(data_dir: Path, lang: str, *, now: _dt.datetime | None = None) -> list[CheckLine]:
    """Every look, in the order a person setting up works through them."""
    _ = translator(lang)
    data_dir = Path(data_dir)
    lines: list[CheckLine] = []

    def add(topic: str, verdict: Verdict, text: str) -> None:
        lines.append(CheckLine(_(TOPICS[topic]), verdict, text))

    try:
        config = load_config(data_dir)
        if (data_dir / CONFIG_NAME).exists():
            add("settings", Verdict.OK, _("{path} can be read.").format(path=data_dir / CONFIG_NAME))
        else:
            add("settings", Verdict.NOTE, _(
                "{path} does not exist: the defaults apply. Is the data directory right (--data-dir)? "
                "rathaus configure writes the file."
            ).format(path=data_dir / CONFIG_NAME))
    except RathausError as exc:
        config = KioskConfig()
        add("settings", Verdict.MUST_DO, exc.message)
    raw = _raw_settings(data_dir)
    checks: list[tuple[str, Callable[[], tuple[Verdict, str]]]] = [
        ("store", lambda: _check_store(data_dir, lang, _)),
        ("keys", lambda: _check_keys(data_dir, _)),
        ("townhall", lambda: _check_townhall(config, _)),
        ("printer", lambda: _check_printer(config, lang, _)),
        ("speech", lambda: _check_speech(lang, _)),
        ("warnings", lambda: _check_warning_area(config, raw, _)),
        ("exchange", lambda: _check_exchange(data_dir, config, lang, now, _)),
    ]
    for topic, look in checks:
        try:
            verdict, text = look()
        except RathausError as exc:
            verdict, text = Verdict.MUST_DO, exc.message
        except Exception as exc:  # a look that fails must not hide the others
            verdict, text = Verdict.MUST_DO, _("The check failed: {reason}").format(reason=f"{type(exc).__name__}: {exc}")
        add(topic, verdict, text)
    return lines


def _raw_settings(data_dir: Path) -> dict:
    """kiosk.toml as written, for settings this version may not know yet (``warning_area``)."""
    try:
        return tomllib.loads((data_dir / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _readonly(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=CHECK_SECONDS)
    conn.execute(f"PRAGMA busy_timeout = {int(CHECK_SECONDS * 1000)}")
    return conn


def _check_store(data_dir: Path, lang: str, _) -> tuple[Verdict, str]:
    from kiosk.store import DB_NAME
    from kiosk.store.database import check_integrity

    path = data_dir / DB_NAME
    if not path.exists():
        return Verdict.OK, _("{path} does not exist yet; the kiosk creates it when it starts.").format(path=path)
    try:
        conn = _readonly(path)
    except sqlite3.Error as exc:
        return Verdict.MUST_DO, _("{path} cannot be opened ({reason}). Is it the kiosk user's file?").format(
            path=path, reason=exc
        )
    try:
        checked = check_integrity(conn, path, time_limit=CHECK_SECONDS)
        waiting = conn.execute(
            "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sent')"
        ).fetchone()[0] if _has_table(conn, "outbox") else 0
    except sqlite3.Error as exc:
        return Verdict.MUST_DO, _("{path} cannot be read ({reason}).").format(path=path, reason=exc)
    finally:
        conn.close()
    if not checked:
        return Verdict.NOTE, _("{path} opens; its check took too long and was stopped.").format(path=path)
    ngettext = ntranslator(lang)
    waiting_text = ngettext(
        "{count} application waits to be sent.", "{count} applications wait to be sent.", waiting
    ).format(count=waiting)
    return Verdict.OK, _("{path} opens and is undamaged.").format(path=path) + " " + waiting_text


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone() is not None


def _check_keys(data_dir: Path, _) -> tuple[Verdict, str]:
    from sync.keys import KEYS_DIR, KIOSK_SIGNING_KEY, kiosk_is_initialised, load_kiosk_keys, load_pinned_townhall

    if not kiosk_is_initialised(data_dir):
        return Verdict.MUST_DO, _("No keys. Run: rathaus keys init-kiosk --kiosk-id ID --townhall-keys FILE")
    keys = load_kiosk_keys(data_dir)  # refuses a signing key others can read, naming chmod
    load_pinned_townhall(data_dir)
    mode = os.stat(data_dir / KEYS_DIR / KIOSK_SIGNING_KEY).st_mode & 0o777
    return Verdict.OK, _("Kiosk {kiosk_id}, signing key readable by this user only ({mode:o}), town-hall key pinned.").format(
        kiosk_id=keys.kiosk_id, mode=mode
    )


def _check_townhall(config: KioskConfig, _) -> tuple[Verdict, str]:
    if config.server_url:
        import httpx

        url = config.server_url.rstrip("/") + "/v1/health"
        def ask() -> tuple[int, bytes]:
            with httpx.stream("GET", url, timeout=CHECK_SECONDS, follow_redirects=False) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > HEALTH_BODY_LIMIT:  # a health answer is a few bytes
                        break
                return response.status_code, body[:HEALTH_BODY_LIMIT]

        try:  # bounded as a whole: httpx's timeouts do not cover looking up the name
            status, body = run_bounded(ask, CHECK_SECONDS + 1, name="townhall-check")
            reason = f"HTTP {status}"
            reached = status == 200 and json.loads(body).get("ok") is True
        except (httpx.HTTPError, ValueError, AttributeError, TimeoutError) as exc:
            reached, reason = False, type(exc).__name__
        if reached:
            return Verdict.OK, _("{url} answers.").format(url=config.server_url)
        return Verdict.MUST_DO, _(
            "{url} does not answer ({reason}). Check the network and the address "
            "(rathaus configure --server-url), or leave it empty to use a USB stick."
        ).format(url=config.server_url, reason=reason)
    folder = Path(config.usb_dir)
    if folder.is_dir():
        return Verdict.OK, _("No town-hall address: applications travel by USB stick, mounted at {path}.").format(
            path=folder
        )
    return Verdict.MUST_DO, _(
        "No town-hall address, and the stick folder {path} does not exist. Create it (where the stick "
        "is mounted) or set one: rathaus configure --usb-dir PATH or --server-url URL."
    ).format(path=folder)


def _check_printer(config: KioskConfig, lang: str, _) -> tuple[Verdict, str]:
    from kiosk.printing import PrinterKind, PrinterTimeouts, parse_printer, query_status

    target = parse_printer(config.printer, lang)
    if not target.configured:
        return Verdict.NOTE, _(
            "No printer: citizens copy their code from the screen. To add one: rathaus configure --printer …"
        )
    if target.kind is PrinterKind.CUPS:
        lpstat = shutil.which("lpstat")
        if shutil.which("lp") is None or lpstat is None:
            return Verdict.MUST_DO, _("The CUPS commands lp and lpstat are missing: apt install cups-client")
        try:
            result = subprocess.run(
                [lpstat, "-p", target.address], capture_output=True, text=True,
                timeout=CHECK_SECONDS, stdin=subprocess.DEVNULL, check=False,
            )
        except subprocess.TimeoutExpired:
            return Verdict.MUST_DO, _("CUPS does not answer within {seconds} seconds.").format(seconds=int(CHECK_SECONDS))
        if result.returncode != 0:
            return Verdict.MUST_DO, _("CUPS does not know the printer {queue}: {reason}").format(
                queue=target.address, reason=(result.stderr or result.stdout).strip()[:200]
            )
        if "disabled" in result.stdout:
            return Verdict.MUST_DO, _("The printer {queue} is paused in CUPS: cupsenable {queue}").format(queue=target.address)
        return Verdict.OK, _("{queue} (CUPS) is ready.").format(queue=target.address)
    if target.kind is PrinterKind.ESCPOS_FILE:
        from kiosk.printing.target import device_file_refused

        refused = device_file_refused(target.address, lang)
        if refused:
            return Verdict.MUST_DO, refused + " " + _("Set the right one: rathaus configure --printer escpos-file:PATH")
        device = Path(target.address)
        if not device.exists():
            return Verdict.MUST_DO, _("{path} does not exist. Is the printer plugged in and switched on?").format(path=device)
        if not os.access(device, os.W_OK):
            return Verdict.MUST_DO, _("{path} exists but this user may not write to it (group lp?).").format(path=device)
        return Verdict.OK, _("{path} is there (a device file cannot report paper or errors).").format(path=device)
    try:
        status = query_status(
            target, PrinterTimeouts(connect=CHECK_SECONDS / 2, status=1.0, job=CHECK_SECONDS), lang=lang
        )
    except TimeoutError:
        return Verdict.MUST_DO, _("The receipt printer {printer} does not answer.").format(printer=target.describe())
    except Exception as exc:  # the printer library's own errors: not reachable
        message = getattr(exc, "message", "") or f"{type(exc).__name__}"
        return Verdict.MUST_DO, _("The receipt printer {printer} cannot be reached: {reason}").format(
            printer=target.describe(), reason=message
        )
    if status is None or not status.answered:
        return Verdict.NOTE, _("{printer} is reachable but does not report its status.").format(printer=target.describe())
    if status.paper_out or status.online is False:
        return Verdict.MUST_DO, _("{printer} has no paper or its cover is open.").format(printer=target.describe())
    if status.paper_low:
        return Verdict.NOTE, _("{printer} is ready; the paper roll is nearly empty.").format(printer=target.describe())
    return Verdict.OK, _("{printer} is ready and has paper.").format(printer=target.describe())


def _check_speech(lang: str, _) -> tuple[Verdict, str]:
    if not shutil.which("espeak-ng"):
        return Verdict.MUST_DO, _("espeak-ng is missing, so nothing can be read aloud: apt install espeak-ng")
    import tempfile
    import wave

    from kiosk.speech import Speaker

    # Say a word in each language into a file (never the loudspeaker): an espeak-ng without its
    # voices, or one that fails to start, would otherwise be called fine and stay silent at F5.
    silent = []
    with tempfile.TemporaryDirectory(prefix="rathaus-check-") as folder:
        for language, word in (("de", "Guten Tag"), ("en", "Hello")):
            path = Path(folder) / f"{language}.wav"
            frames = 0
            if Speaker().to_wav(word, language, path, timeout=CHECK_SECONDS):
                try:
                    with wave.open(str(path), "rb") as sound:
                        frames = sound.getnframes()
                except (OSError, EOFError, wave.Error):
                    frames = 0
            if frames == 0:
                silent.append(language)
    if silent:
        return Verdict.MUST_DO, _(
            "espeak-ng is installed but says nothing in {languages}: apt install --reinstall espeak-ng espeak-ng-data"
        ).format(languages=", ".join(silent))
    return Verdict.OK, _("espeak-ng is installed and speaks German and English: questions can be read aloud.")


def _check_warning_area(config: KioskConfig, raw: dict, _) -> tuple[Verdict, str]:
    value = getattr(config, "warning_area", None)
    if value is None:  # a version without the setting: look in the file itself
        value = raw.get("warning_area", (raw.get("extra") or {}).get("warning_area", ""))
    value = str(value or "").strip()
    if not value:
        return Verdict.MUST_DO, _(
            "not set: the kiosk cannot show official warnings for its area. Give it the municipality "
            "key (AGS): rathaus configure --warning-area 15090535 (Tangerhütte's key)."
        )
    if not WARNING_AREA.fullmatch(value):
        return Verdict.MUST_DO, _(
            "'{value}' is not a municipality key (AGS, 8 digits, or ARS, 12 digits). Set the right one: "
            "rathaus configure --warning-area AGS"
        ).format(
            value=value[:40]
        )
    return Verdict.OK, _("Official warnings for area {area}.").format(area=value)


def _check_exchange(data_dir: Path, config: KioskConfig, lang: str, now: _dt.datetime | None, _) -> tuple[Verdict, str]:
    from kiosk.store import DB_NAME
    from kiosk.store.settings import LAST_SYNC_AT

    path = data_dir / DB_NAME
    last = None
    if path.exists():
        conn = _readonly(path)
        try:
            if _has_table(conn, "settings"):
                row = conn.execute("SELECT value FROM settings WHERE key = ?", [LAST_SYNC_AT]).fetchone()
                last = row[0] if row else None
        finally:
            conn.close()
    how = _("rathaus sync") if config.server_url else _("a USB stick transfer (F12, staff screen)")
    if not last:
        return Verdict.MUST_DO, _("None yet. Try one now: {how}.").format(how=how)
    moment = _dt.datetime.fromisoformat(str(last).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    now = now or _dt.datetime.now(_dt.timezone.utc)
    when = format_datetime(moment, lang)
    if now - moment > STALE_EXCHANGE:
        return Verdict.NOTE, _("{when}, more than a week ago. Next: {how}.").format(when=when, how=how)
    return Verdict.OK, _("{when}.").format(when=when)
