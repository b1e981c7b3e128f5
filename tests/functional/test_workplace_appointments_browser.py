"""A clerk books an appointment at the counter and cancels it again, in a real browser (Chromium
from Debian, driven by Playwright) against the workplace running under uvicorn on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from kiosk import refcode
from sync.calendar import load_calendar, open_desk
from sync.calendar.config import TIMEZONE, calendar_path
from sync.calendar.source import forget_calendar_stores
from sync.embedded import start_embedded_server
from sync.keys import init_townhall
from sync.workplace import WorkplaceConfig, create_app, open_accounts

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CHEAP = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "Feldweg-hinter-der-Kirche"
CALENDAR = """
format = 1
state = "ST"
lead_hours = 24
horizon_days = 14

[[places]]
id = "rathaus"
name.de = "Rathaus Tangerhütte"

[[services]]
id = "impfung"
form = "impftermin"
title.de = "Impftermin"
minutes = 30
capacity = 1
places = ["rathaus"]
vaccination = true
""" + "".join(f'hours.{d} = ["09:00-10:00"]\n' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))


def _chromium_installed() -> bool:
    if not CHROMIUM.exists():
        return False
    if shutil.which("dpkg") is None:
        return True
    result = subprocess.run(["dpkg", "-s", "chromium"], capture_output=True, text=True)
    return result.returncode == 0 and "Status: install ok installed" in result.stdout


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _chromium_installed(), reason="needs Debian package chromium"),
]


@pytest.fixture
def workplace(tmp_path):
    townhall_dir = tmp_path / "townhall"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    calendar_path(townhall_dir).write_text(CALENDAR, encoding="utf-8")
    with open_accounts(townhall_dir, hasher=CHEAP) as accounts:
        accounts.add_user("erika", PASSWORD, role="clerk", display_name="Erika Sachbearbeiterin")
    with start_embedded_server(create_app(WorkplaceConfig(townhall_dir, hasher=CHEAP))) as server:
        yield townhall_dir, server.url
    forget_calendar_stores()


def test_a_clerk_books_at_the_counter_and_cancels_in_the_browser(workplace):
    from playwright.sync_api import expect, sync_playwright

    townhall_dir, url = workplace
    config = load_calendar(townhall_dir)
    day = dt.datetime.now(TIMEZONE).date() + dt.timedelta(days=2)
    while not config.slots_on(day):
        day += dt.timedelta(days=1)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(locale="de-DE")
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            page.goto(url + "/appointments")
            page.get_by_label("Benutzername").fill("erika")
            page.get_by_label("Passwort").fill(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(url + "/appointments")
            page.get_by_role("link", name="Termine").click()

            page.get_by_label("Tag", exact=True).fill(day.isoformat())
            page.get_by_role("button", name="Anzeigen").click()
            expect(page.get_by_role("heading", name="Rathaus Tangerhütte")).to_be_visible()  # waits for the page the click opened
            page.get_by_label("Zeit", exact=True).select_option(label="09:30–10:00 Impftermin")
            page.get_by_label("Name oder Notiz für den Schalter", exact=False).fill("Frau Wendeborn")
            page.get_by_role("button", name="Buchen", exact=True).click()

            status = page.get_by_role("status").inner_text()
            code = refcode.parse(status.rsplit(" ", 1)[1].rstrip("."))
            row = page.get_by_role("row").filter(has_text="09:30–10:00")
            assert "Frau Wendeborn" in row.inner_text() and "am Schalter" in row.inner_text()
            desk = open_desk(townhall_dir, lang="de")
            assert [(u.reference, u.key.slot_id) for u in desk.day_view(day).bookings()] == [
                (code, f"impfung@rathaus@{day.isoformat()}T09:30")
            ]

            page.get_by_role("button", name=f"Termin {refcode.display(code)} absagen").click()
            assert "wieder frei" in page.get_by_role("status").inner_text()
            assert "Frau Wendeborn" not in page.content()
            assert desk.day_view(day).bookings() == []
        finally:
            context.close()
            browser.close()
