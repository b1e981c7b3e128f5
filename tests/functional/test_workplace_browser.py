"""The staff workplace in a real browser (Chromium from Debian, driven by Playwright) against the
workplace running under uvicorn on 127.0.0.1, with the real town-hall server and a real kiosk.

One browser for the module; each test gets a fresh context (no cookies carried over)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from kiosk import refcode
from kiosk.config import KioskConfig, save_config
from kiosk.runtime import open_runtime
from sync.embedded import start_embedded_server
from sync.server import create_app as create_server_app
from sync.workplace import WorkplaceConfig, create_app, open_accounts
from sync.workplace import accounts as accounts_module

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CHEAP = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "Feldweg-hinter-der-Kirche"
TYPED = {
    "topic": "strassen",
    "message": "Am Feldweg hinter der Kirche in Lüderitz liegt ein umgestürzter Baum.",
    "name": "Gertrud Wendeborn-Quast",
    "wants_reply": False,
}
ANSWER = "Der Bauhof räumt den Weg am Donnerstag."


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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def town(enrol):
    """Kiosk and town hall with the real server, the workplace and two accounts."""
    kiosk_dir, townhall_dir = enrol("kirche-luederitz")
    with open_accounts(townhall_dir, hasher=CHEAP) as accounts:
        accounts.add_user("erika", PASSWORD, role="clerk", display_name="Erika Sachbearbeiterin")
        accounts.add_user("chefin", PASSWORD, role="head", display_name="Helga Amtsleiterin")
    with start_embedded_server(create_server_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url))
        with start_embedded_server(create_app(WorkplaceConfig(townhall_dir, hasher=CHEAP))) as workplace:
            yield kiosk_dir, townhall_dir, workplace.url


def log_in(page, url, username="erika", password=PASSWORD):
    """By keyboard only: the name field has the focus, Tab to the password, Enter."""
    page.goto(url + "/inbox")
    # The name field takes the focus by itself (autofocus, applied with the first rendering).
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def _kiosk_screen_after_sync(kiosk_dir, code: str, visitor_for) -> str:
    """At the kiosk, in its own thread and event loop (the browser's driver owns this one): sync,
    then type the receipt code on the status screen, as the citizen does; returns the screen."""

    async def look_up() -> str:
        from kiosk.ui.app import KioskApp

        with open_runtime(kiosk_dir) as runtime:
            report = runtime.sync_now(lang="de")
            assert report.error is None and report.statuses == 1
            app = KioskApp(runtime, kiosk_mode=True, lang="de")
            async with app.run_test(size=(100, 40)) as pilot:
                visitor = visitor_for(pilot)
                await visitor.press_button("Status eines Antrags abfragen")
                await visitor.type(code.lower())
                await visitor.press("enter")
                for _ in range(100):
                    await pilot.pause(0.1)
                    if ANSWER in visitor.text:
                        break
                text = visitor.text
                await app.workers.wait_for_complete()
            return text

    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(look_up())))
    thread.start()
    thread.join(60)
    assert result, "the kiosk never showed its status screen"
    return result[0]


def test_a_clerk_answers_by_receipt_code_and_the_kiosk_shows_the_answer(town, page, visitor_for):
    from playwright.sync_api import expect

    kiosk_dir, townhall_dir, url = town
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        queued = runtime.submit(form, TYPED)
        assert runtime.sync_now(lang="de").sent == 1
    code = queued.reference

    log_in(page, url)
    page.wait_for_url(url + "/inbox")
    expect(page.get_by_role("heading", name="Anträge")).to_be_visible()  # waits for the page the click opened

    # The citizen reads the code from the receipt over the phone, in small letters with a space.
    page.get_by_label("Mit dem Code vom Beleg finden").fill(code.lower()[:3] + " " + code.lower()[3:])
    page.get_by_role("button", name="Finden").click()
    expect(page.get_by_role("heading", name=refcode.display(code) + " – Nachricht an das Rathaus")).to_be_visible()  # waits for the page the click opened
    expect(page.get_by_text(TYPED["message"])).to_be_visible()  # waits for the page the click opened

    page.get_by_label("Neuer Stand").select_option(label="bewilligt")
    page.get_by_label("Nachricht an Bürger/in", exact=False).fill(ANSWER)
    page.get_by_role("button", name="Vorschau am Kiosk").click()
    preview = page.locator(".kiosk-preview")
    assert "Der Kiosk zeigt für " + refcode.display(code) in preview.inner_text()
    assert ANSWER in preview.inner_text()
    page.get_by_role("button", name="Speichern und senden").click()
    expect(page.get_by_role("status").filter(has_text="Gespeichert")).to_be_visible()  # waits for the page the click opened

    # Kiosks at a glance: the kiosk was just heard from, so no warning.
    page.get_by_role("link", name="Kioske").click()
    row = page.get_by_role("row").filter(has_text="kirche-luederitz")
    assert "1 Antrag am" in row.inner_text() and "meldet sich nicht" not in row.inner_text()

    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(url + "/login?bye=1")
    page.goto(url + "/inbox")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()  # waits for the page the click opened

    screen = _kiosk_screen_after_sync(kiosk_dir, code, visitor_for)
    assert ANSWER in screen and "Nachricht vom Rathaus" in screen
    assert TYPED["name"] not in screen  # the status shows nothing of the application itself


def test_wrong_password_expired_session_missing_csrf_and_a_clerk_on_a_head_page_are_refused(town, page, monkeypatch):
    from playwright.sync_api import expect

    kiosk_dir, townhall_dir, url = town

    log_in(page, url, password="falsch-geraten")
    assert page.get_by_role("alert").inner_text() == "Der Benutzername oder das Passwort ist falsch."

    log_in(page, url)
    page.wait_for_url(url + "/inbox")
    # A page for the head of office, opened by a clerk.
    answer = page.goto(url + "/access-log")
    assert answer.status == 403 and "nicht freigegeben" in page.get_by_role("alert").inner_text()

    # A form whose CSRF token went missing (as one sent from another site would be).
    page.goto(url + "/paper")
    page.evaluate("document.querySelectorAll('main input[name=csrf_token]').forEach(e => e.remove())")
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Erfassen").click()
    assert sent.value.status == 403 and "nicht von diesem Arbeitsplatz" in page.get_by_role("alert").inner_text()
    assert "Erfasst" not in page.content()

    # Half an hour without a click: the session has ended.
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=31)
    monkeypatch.setattr(accounts_module, "_now", lambda: later)
    page.goto(url + "/inbox")
    assert page.url.startswith(url + "/login")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()  # waits for the page the click opened


def test_readable_at_200_percent_zoom_and_usable_in_english(town, browser, tmp_path):
    kiosk_dir, townhall_dir, url = town
    with open_runtime(kiosk_dir) as runtime:
        queued = runtime.submit(runtime.form("nachricht"), TYPED)
        runtime.sync_now(lang="de")
    # 200 % zoom of a 1280-pixel-wide window: 640 CSS pixels at device scale 2.
    context = browser.new_context(viewport={"width": 640, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    try:
        log_in(page, url)
        page.wait_for_url(url + "/inbox")
        page.get_by_role("button", name="English").click()
        page.get_by_role("heading", name="Applications").wait_for()  # the page comes back in English
        page.get_by_label("Find by receipt code").fill(queued.reference)
        page.keyboard.press("Enter")
        page.wait_for_url("**/applications/**")
        for name in ("item", "inbox", "stats"):
            if name != "item":
                # stats: the newest weeks (the ones that matter) were off to the right, out of sight
                page.goto(url + ("/inbox?filter=all" if name == "inbox" else "/stats"))
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} page scrolls sideways at 200 % zoom"
            cut = page.evaluate(
                "[...document.querySelectorAll('main td, main th, main dd')]"
                ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length"
            )
            assert cut == 0, f"{name} page cuts cells off at 200 % zoom"
            page.screenshot(path=str(tmp_path / f"workplace-{name}-200.png"), full_page=True)
        # Every form control has a label a screen reader reads out.
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)"
        )
        assert unlabelled == []
    finally:
        context.close()
