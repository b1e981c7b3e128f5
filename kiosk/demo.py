"""``rathaus demo``: a kiosk and its town hall on one machine, with sample applications.

Everything lives in one folder (default ``./var/demo``): a town hall with keys, one enrolled kiosk,
two sample applications already delivered, one of them answered, so the status look-up can be tried
at once. The town-hall server runs embedded on 127.0.0.1 while the kiosk is open.
"""

from __future__ import annotations

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
            ).with_staff_pin(DEMO_PIN),
        )
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

    with start_embedded_server(create_app(setup.townhall_dir)) as server:
        _point_kiosk_at(setup.kiosk_dir, server.url)
        with open_runtime(setup.kiosk_dir) as runtime:
            KioskApp(runtime, kiosk_mode=kiosk_mode, lang=lang).run()
