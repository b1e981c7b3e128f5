"""``rathaus demo``: a kiosk and its town hall on one machine, with sample applications.

Everything lives in one folder (default ``./var/demo``): a town hall with keys, one enrolled kiosk,
two sample applications already delivered, one of them answered, so the status look-up can be tried
at once. The town-hall server runs embedded on 127.0.0.1 while the kiosk is open.

The demo kiosk stands in Tangerhütte (warning area 15090535) and shows one official warning: a
sample the demo's own town hall imports at each start, so it travels the real way (CAP file,
import, signed download, banner). It cannot be taken for a real one: its headline, description and
sender say "Demo" and "not a real warning" in both languages, its severity is the mildest
("Vorsicht"), and it never leaves the demo folder (no feeds are configured, nothing is fetched).
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kiosk.config import KioskConfig, load_config, save_config
from kiosk.forms import FormDefinition, FormSession
from kiosk.refcode import display

DEMO_PIN = "246813"
DEMO_KIOSK_ID = "dgh-demo-1"
DEMO_MUNICIPALITY = "Einheitsgemeinde Tangerhütte"
DEMO_WARNING_AREA = "15090535"  # AGS of Tangerhütte
DEMO_WARNING_FILE = "demo-sample-warning.xml"
DEMO_WARNING_HOURS = 24

# A CAP 1.2 alert as MoWaS publishes one, marked as a demo sample in every text a citizen reads.
_DEMO_WARNING = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>demo.rathaus-kiosk.sample-warning</identifier>
  <sender>demo@rathaus-kiosk.invalid</sender>
  <sent>{sent}</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>de-DE</language>
    <category>Other</category>
    <event>Beispielwarnung</event>
    <urgency>Future</urgency>
    <severity>Minor</severity>
    <certainty>Possible</certainty>
    <senderName>Rathaus-Kiosk Demo (keine Behörde)</senderName>
    <headline>DEMO: Beispiel einer amtlichen Warnung – keine echte Warnung</headline>
    <description>Dies ist ein Beispiel aus der Demo von Rathaus-Kiosk, keine echte Warnung. So zeigt der Kiosk amtliche Warnungen des Deutschen Wetterdienstes, des Katastrophenschutzes (MoWaS) und der Hochwasserzentralen für seinen Ort an.</description>
    <instruction>Nichts zu tun: Dies ist nur ein Beispiel. Echte Warnungen hören Sie auch im Radio, über Sirenen und Warn-Apps wie NINA.</instruction>
    <expires>{expires}</expires>
    <area><areaDesc>Einheitsgemeinde Tangerhütte (Demo)</areaDesc><geocode><valueName>AGS</valueName><value>{area}</value></geocode></area>
  </info>
  <info>
    <language>en-GB</language>
    <category>Other</category>
    <event>Sample warning</event>
    <urgency>Future</urgency>
    <severity>Minor</severity>
    <certainty>Possible</certainty>
    <senderName>Rathaus-Kiosk demo (not an authority)</senderName>
    <headline>DEMO: sample of an official warning – not a real warning</headline>
    <description>This is a sample from the Rathaus-Kiosk demo, not a real warning. This is how the kiosk shows official warnings of the German weather service, civil protection (MoWaS) and the flood centres for its place.</description>
    <instruction>Nothing to do: this is only a sample. Real warnings also come on the radio, by sirens and in warning apps such as NINA.</instruction>
    <expires>{expires}</expires>
    <area><areaDesc>Einheitsgemeinde Tangerhütte (demo)</areaDesc><geocode><valueName>AGS</valueName><value>{area}</value></geocode></area>
  </info>
</alert>
"""
_CODES_FILE = "sample-codes.txt"

# Sample answers as a person would type them, question by question.
_SAMPLES: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "nachricht",
        {
            "topic": "strassen",
            "message": "Die Straßenlaterne vor dem Gemeindehaus ist seit einer Woche dunkel.",
            "name": "Erika Mustermann",
            "wants_reply": False,
        },
    ),
    (
        "nachricht",
        {
            "topic": "lob",
            "message": "Vielen Dank für den neuen Bücherschrank am Dorfplatz!",
            "name": "",
            "wants_reply": False,
        },
    ),
)


@dataclass(frozen=True)
class DemoSetup:
    """Where the demo's kiosk and town hall keep their files, and what to try."""

    base: Path
    kiosk_dir: Path
    townhall_dir: Path
    sample_codes: tuple[str, ...]


def _fill(form_id: str, typed: dict[str, Any], forms: list[FormDefinition]) -> tuple[FormDefinition, dict[str, Any]]:
    form = next(f for f in forms if f.id == form_id)
    session = FormSession(form, lang="de")
    while not session.at_review:
        field = session.current
        if field.id in typed and typed[field.id] != "":
            session.answer(typed[field.id])
        else:
            session.skip()
    return form, session.answers()


def prepare_demo(base: Path, *, reset: bool = False) -> DemoSetup:
    """Create (once) keys, enrolment, settings and sample data; reuse them on later runs."""
    from sync.allowlist import Allowlist
    from sync.keys import init_kiosk, init_townhall, kiosk_is_initialised, townhall_is_initialised
    from sync.keys import enrolment_request_path, townhall_public_keys_path

    base = Path(base)
    if reset and base.exists():
        shutil.rmtree(base)
    kiosk_dir, townhall_dir = base / "kiosk", base / "townhall"
    if not townhall_is_initialised(townhall_dir):
        init_townhall(townhall_dir, name=DEMO_MUNICIPALITY)
    from sync.calendar.config import EXAMPLE, calendar_path

    if not calendar_path(townhall_dir).exists():  # bookable times: the example calendar
        shutil.copyfile(EXAMPLE, calendar_path(townhall_dir))
    if not kiosk_is_initialised(kiosk_dir):
        init_kiosk(kiosk_dir, kiosk_id=DEMO_KIOSK_ID, townhall_public=townhall_public_keys_path(townhall_dir))
        Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, DEMO_KIOSK_ID))
        save_config(
            kiosk_dir,
            KioskConfig(
                municipality=DEMO_MUNICIPALITY,
                location="Dorfgemeinschaftshaus (Demo)",
                sync_interval_seconds=20,
                warning_area=DEMO_WARNING_AREA,
            ).with_staff_pin(DEMO_PIN),
        )
    _place_kiosk(kiosk_dir)
    refresh_demo_warning(townhall_dir)
    codes_file = base / _CODES_FILE
    if not codes_file.exists():
        codes = _deliver_samples(kiosk_dir, townhall_dir)
        codes_file.write_text("\n".join(codes) + "\n", encoding="utf-8")
    codes = tuple(line for line in codes_file.read_text(encoding="utf-8").split() if line)
    return DemoSetup(base=base, kiosk_dir=kiosk_dir, townhall_dir=townhall_dir, sample_codes=codes)


def _deliver_samples(kiosk_dir: Path, townhall_dir: Path) -> list[str]:
    """Queue the sample applications, deliver them, and let the town hall answer the first."""
    from kiosk.runtime import open_runtime
    from sync.embedded import start_embedded_server
    from sync.inbox import Inbox
    from sync.server import create_app

    with start_embedded_server(create_app(townhall_dir)) as server:
        _point_kiosk_at(kiosk_dir, server.url)
        with open_runtime(kiosk_dir) as runtime:
            queued = [runtime.submit(*_fill(form_id, typed, runtime.forms)) for form_id, typed in _SAMPLES]
            runtime.sync_now(lang="de")
            with Inbox(townhall_dir) as inbox:
                inbox.set_status(
                    queued[0].reference,
                    "in_progress",
                    "Danke für den Hinweis! Der Bauhof tauscht die Lampe in dieser Woche aus.",
                )
            runtime.sync_now(lang="de")
    return [display(q.reference) for q in queued]


def _place_kiosk(kiosk_dir: Path) -> None:
    """A demo folder made before the demo had warnings gets its warning area too."""
    config = load_config(kiosk_dir)
    if not config.warning_area:
        save_config(kiosk_dir, replace(config, warning_area=DEMO_WARNING_AREA))


def refresh_demo_warning(townhall_dir: Path, *, now: dt.datetime | None = None) -> None:
    """The demo town hall imports its sample warning afresh (valid for a day from now), so the
    kiosk shows a current warning and a current "Stand" at every start."""
    from sync.warnings.config import load_warnings_config
    from sync.warnings.importer import run_import

    moment = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    settings = townhall_dir / "warnings.toml"
    if not settings.exists():
        settings.write_text(
            "# The demo's warnings: only its own sample, no feeds (docs/warnings.md)\n"
            f'areas = ["{DEMO_WARNING_AREA}"]\n',
            encoding="utf-8",
        )
    incoming = townhall_dir / "warnings" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S+00:00")  # noqa: E731
    text = _DEMO_WARNING.format(
        sent=stamp(moment), expires=stamp(moment + dt.timedelta(hours=DEMO_WARNING_HOURS)), area=DEMO_WARNING_AREA
    )
    part = incoming / (DEMO_WARNING_FILE + ".part")
    part.write_text(text, encoding="utf-8")
    part.replace(incoming / DEMO_WARNING_FILE)
    run_import(load_warnings_config(townhall_dir), now=moment)


def _point_kiosk_at(kiosk_dir: Path, url: str) -> None:
    config = load_config(kiosk_dir)
    if config.server_url != url:
        save_config(kiosk_dir, replace(config, server_url=url))


def run_demo_session(setup: DemoSetup, *, kiosk_mode: bool, lang: str) -> None:
    """Serve the town hall on 127.0.0.1 and run the kiosk against it until it is closed."""
    from kiosk.runtime import open_runtime
    from kiosk.ui.app import KioskApp
    from sync.embedded import start_embedded_server
    from sync.server import create_app

    _place_kiosk(setup.kiosk_dir)
    refresh_demo_warning(setup.townhall_dir)
    with start_embedded_server(create_app(setup.townhall_dir)) as server:
        _point_kiosk_at(setup.kiosk_dir, server.url)
        with open_runtime(setup.kiosk_dir) as runtime:
            runtime.sync_now(lang=lang)  # the sample warning is on the start screen at once
            KioskApp(runtime, kiosk_mode=kiosk_mode, lang=lang, demo_codes=setup.sample_codes).run()
