"""The staff workplace without a browser (Starlette's TestClient): who gets in, what each role
may see, what is refused, and what a clerk sees and does with an application."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import time
import warnings

import pytest
from argon2 import PasswordHasher

with warnings.catch_warnings():  # Starlette 1.0 would like httpx2; httpx is what this project has
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from kiosk import refcode
from kiosk.forms import builtin_forms_dir, load_form
from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, item_digest, seal_item, utc_timestamp
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_public,
    townhall_public_keys_path,
)
from sync.server.storage import BatchRecord, ItemRecord, open_storage
from sync.workplace import WorkplaceConfig, create_app
from sync.workplace import accounts as accounts_module
from sync.workplace.accounts import lock_seconds, open_accounts

CHEAP = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "Lindenweg-7-Tangerhuette"
KITA = load_form(builtin_forms_dir() / "kita_erstattung.toml")
ANSWERS = {
    "parent_name": "Erika Mustermann-Quast",
    "address": {"street": "Lindenweg", "number": "7", "postcode": "39517", "town": "Tangerhütte"},
    "child_name": "Paul Mustermann",
    "child_birth_date": "2019-08-14",
    "kita": "regenbogen",
    "months": ["2021-03"],
    "monthly_fee": "120.00",
    "account_holder": "Erika Mustermann-Quast",
    "iban": "DE89370400440532013000",
    "confirmation": True,
}


@pytest.fixture
def townhall(tmp_path, server_database):
    """A town hall with a kiosk and three staff accounts; its records on SQLite and on PostgreSQL
    (the accounts stay in the town's own folder either way)."""
    townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk_dir, kiosk_id="kiosk-lueder", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-lueder"))
    with open_accounts(townhall_dir, hasher=CHEAP) as accounts:
        accounts.add_user("erika", PASSWORD, role="clerk", display_name="Erika Sachbearbeiterin")
        accounts.add_user("chefin", PASSWORD, role="head", display_name="Helga Amtsleiterin")
        accounts.add_user("it", PASSWORD, role="it", display_name="Ingo IT")
    return townhall_dir, kiosk_dir


_counter = iter(range(1, 100_000))


def arrive(townhall_dir, kiosk_dir, answers=ANSWERS, *, received_at=None, flip=False):
    signing = load_kiosk_keys(kiosk_dir).signing
    reference = refcode.new_reference()
    public = load_townhall_public(townhall_public_keys_path(townhall_dir))
    meta = ItemMeta("kita_erstattung", KITA.version, KITA.content_hash, "kiosk-lueder", reference, "2026-03-02T09:15:00Z")
    sealed = seal_item(meta, answers, public.encryption, signing)
    if flip:
        sealed = sealed[:-100] + bytes([sealed[-100] ^ 1]) + sealed[-99:]
    n = next(_counter)
    batch_id = f"{n:032x}"
    item = ItemRecord(
        reference, item_digest(sealed), batch_id, "kiosk-lueder", "kita_erstattung", KITA.version,
        KITA.content_hash, meta.captured_at, received_at or utc_timestamp(), sealed,
    )
    with open_storage(townhall_dir) as storage:
        storage.store_batch(BatchRecord(batch_id, "kiosk-lueder", n, meta.captured_at, item.received_at, (item.digest,)), [item])
    return reference


@pytest.fixture
def client(townhall):
    app = create_app(WorkplaceConfig(townhall[0], hasher=CHEAP))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def token(client) -> str:
    if "rk_csrf" not in client.cookies:
        client.get("/login")
    return client.cookies["rk_csrf"]


def login(client, username="erika", password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token(client), "next": "/inbox"})


def test_every_page_asks_to_log_in_first(client):
    for path in ("/inbox", "/kiosks", "/stats", "/access-log", "/paper", "/export?service=kita_erstattung"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    page = client.get("/login")
    assert "Anmelden" in page.text and 'for="username"' in page.text and 'for="password"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_a_login_sets_a_strict_httponly_session_cookie_and_logout_ends_it(client):
    answer = login(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("rk_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Max-Age=" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1
    stolen = client.cookies["rk_session"]
    assert client.get("/inbox").status_code == 200
    assert client.post("/logout", data={"csrf_token": token(client)}).status_code == 303
    client.cookies.set("rk_session", stolen)  # a copy of the cookie is worth nothing after logout
    assert client.get("/inbox").status_code == 303


def test_logging_in_over_an_open_session_ends_that_session(client):
    login(client)
    first = client.cookies["rk_session"]
    login(client, "chefin")  # a colleague at the same browser, without logging out first
    assert client.get("/access-log").status_code == 200
    client.cookies.set("rk_session", first)
    assert client.get("/inbox").status_code == 303  # the clerk's session is over


def test_an_answer_sent_after_the_session_ended_says_it_was_not_saved_and_leads_back_to_the_application(client, townhall):
    code = arrive(*townhall)
    login(client)
    client.cookies.delete("rk_session")  # as after 30 minutes without a click
    answer = client.post(
        f"/applications/{code}/status?kiosk=kiosk-lueder",
        data={"csrf_token": token(client), "status": "accepted", "message": "Bewilligt.", "action": "save"},
    )
    assert answer.status_code == 401 and "nicht gespeichert" in answer.text
    login_form = answer.text[answer.text.index('action="/login"'):]
    back = re.search(r'name="next" value="([^"]+)"', login_form).group(1).replace("&amp;", "&")
    assert back == f"/applications/{code}?kiosk=kiosk-lueder"
    again = client.post("/login", data={"username": "erika", "password": PASSWORD, "csrf_token": token(client), "next": back})
    assert again.status_code == 303 and again.headers["location"] == back


def test_switching_language_on_a_preview_returns_to_the_application_not_to_a_missing_page(client, townhall):
    code = arrive(*townhall)
    login(client)
    preview = client.post(
        f"/applications/{code}/status?kiosk=kiosk-lueder",
        data={"csrf_token": token(client), "status": "accepted", "message": "Bewilligt.", "action": "preview"},
    )
    switch = preview.text[preview.text.index('action="/language"'):]
    back = re.search(r'name="next" value="([^"]+)"', switch).group(1).replace("&amp;", "&")
    english = client.post("/language", data={"csrf_token": token(client), "lang": "en", "next": back})
    assert english.status_code == 303
    page = client.get(english.headers["location"])
    assert page.status_code == 200 and refcode.display(code) in page.text


def test_behind_the_tls_proxy_the_cookies_are_secure(townhall):
    app = create_app(WorkplaceConfig(townhall[0], hasher=CHEAP))
    with TestClient(app, base_url="https://rathaus.example", follow_redirects=False) as https:
        answer = login(https)
        cookies = answer.headers.get_list("set-cookie")
        assert all("Secure" in c for c in cookies if c.startswith("rk_session="))


def test_a_wrong_password_is_refused_and_repeated_ones_lock_the_name_even_across_a_restart(client, townhall):
    answer = login(client, password="falsch-falsch")
    assert answer.status_code == 401 and "Benutzername oder das Passwort ist falsch" in answer.text
    assert "rk_session" not in client.cookies
    for _ in range(2):
        answer = login(client, password="falsch-falsch")
    assert answer.status_code == 401 and "Zu viele falsche Passwörter" in answer.text
    # Locked: even the right password is refused now, and after a restart too.
    assert login(client).status_code == 401
    restarted = create_app(WorkplaceConfig(townhall[0], hasher=CHEAP))
    with TestClient(restarted, follow_redirects=False) as again:
        assert login(again).status_code == 401
    # Unknown names are locked the same way, so the lock-out tells nobody which names exist.
    for _ in range(3):
        answer = login(client, username="gibt-es-nicht", password="falsch-falsch")
    assert "Zu viele falsche Passwörter" in answer.text


class _SlowHasher(PasswordHasher):
    """A password check that takes a while, as Argon2id does on the real machine; counts checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8192, parallelism=1)
        self.checks = 0

    def verify(self, hash, password):  # noqa: A002
        self.checks += 1
        time.sleep(0.3)
        return super().verify(hash, password)


def test_wrong_passwords_sent_all_at_once_get_no_more_guesses_than_one_after_another(townhall):
    import threading
    from sync.workplace.accounts import LoginRefused

    slow = _SlowHasher()
    with open_accounts(townhall[0], hasher=slow) as accounts:
        slow.checks = 0
        start = threading.Barrier(12)
        refused: list[str] = []

        def guess(n: int) -> None:
            start.wait()
            try:
                accounts.login("Erika", f"guess-number-{n}")
            except LoginRefused as exc:
                refused.append(exc.message)

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(refused) == 12
        assert slow.checks == 3  # the free tries only; the other nine were refused as locked unchecked
        with pytest.raises(LoginRefused):
            accounts.login("erika", PASSWORD)  # locked now, even with the right password


def test_made_up_names_are_forgotten_a_day_after_their_lock_ended(townhall):
    from sync.workplace.accounts import LoginRefused

    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.timezone.utc)
    with open_accounts(townhall[0], hasher=CHEAP) as accounts:
        for n in range(50):
            with pytest.raises(LoginRefused):
                accounts.login(f"erfunden-{n}", "falsch-falsch", now=start)
        with pytest.raises(LoginRefused):
            accounts.login("erika", "falsch-falsch", now=start + dt.timedelta(days=1, minutes=1))
        rows = accounts._db.execute("SELECT username FROM login_failures").fetchall()
    assert rows == [("erika",)]


def test_the_lock_out_grows_with_every_further_failure():
    assert [lock_seconds(n) for n in (1, 2, 3, 4, 5, 20)] == [0, 0, 30, 60, 120, 3600]


def test_an_expired_session_sends_back_to_the_login(client, monkeypatch):
    login(client)
    assert client.get("/inbox").status_code == 200
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=31)
    monkeypatch.setattr(accounts_module, "_now", lambda: later)
    answer = client.get("/inbox")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    refused = client.post("/paper", data={"csrf_token": token(client), "service": "kita_erstattung", "received_on": "2026-03-02"})
    assert refused.status_code == 401 and "Sitzung ist abgelaufen" in refused.text


def test_a_forged_session_cookie_is_no_session(client):
    login(client)
    client.cookies.set("rk_session", client.cookies["rk_session"][:-3] + "AAA")
    assert client.get("/inbox").status_code == 303


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(client, townhall):
    code = arrive(*townhall)
    login(client)
    answer = client.post(f"/applications/{code}/status", data={"status": "accepted", "message": "Bewilligt.", "action": "save"})
    assert answer.status_code == 403 and "nicht von diesem Arbeitsplatz" in answer.text
    wrong = client.post(
        f"/applications/{code}/status",
        data={"status": "accepted", "message": "Bewilligt.", "action": "save", "csrf_token": "x" * 43},
    )
    assert wrong.status_code == 403
    with open_storage(townhall[0]) as storage:
        assert storage.status_history(code) == []
    assert client.post("/login", data={"username": "erika", "password": PASSWORD}).status_code == 403


def test_a_form_sent_from_another_host_of_the_network_is_refused_even_with_a_planted_token(client, townhall):
    code = arrive(*townhall)
    login(client)
    # A sibling host (same site) can set a cookie for this one: it knows the token it planted.
    for site in ("same-site", "cross-site"):
        answer = client.post(
            f"/applications/{code}/status?kiosk=kiosk-lueder",
            data={"csrf_token": token(client), "status": "accepted", "message": "Bewilligt.", "action": "save"},
            headers={"sec-fetch-site": site},
        )
        assert answer.status_code == 403
    with open_storage(townhall[0]) as storage:
        assert storage.status_history(code) == []
    own = client.post(
        f"/applications/{code}/status?kiosk=kiosk-lueder",
        data={"csrf_token": token(client), "status": "accepted", "message": "Bewilligt.", "action": "save"},
        headers={"sec-fetch-site": "same-origin"},
    )
    assert own.status_code == 303


def test_a_neighbouring_host_cannot_make_a_clerks_browser_open_print_or_export_in_her_name(client, townhall):
    code = arrive(*townhall)
    login(client)
    for path in (f"/applications/{code}?kiosk=kiosk-lueder", f"/applications/{code}/pdf?kiosk=kiosk-lueder", "/export?service=kita_erstattung"):
        # e.g. <img src="https://staff.rathaus.intern/..."> on another intranet host: same site, cookies go along
        answer = client.get(path, headers={"sec-fetch-site": "same-site"})
        assert answer.status_code == 403 and "von einer anderen Adresse" in answer.text
    assert 'href="/applications/' in answer.text or 'href="/export?' in answer.text  # one click opens it here
    with open_accounts(townhall[0], hasher=CHEAP) as accounts:
        assert accounts.access_log() == []
    with open_storage(townhall[0]) as storage:
        (item,) = storage.items()
    assert item.opened_at is None and item.exported_at is None
    assert client.get("/login", headers={"sec-fetch-site": "cross-site"}).status_code in (200, 303)
    assert client.get(f"/applications/{code}?kiosk=kiosk-lueder", headers={"sec-fetch-site": "none"}).status_code == 200
    assert client.get(f"/applications/{code}?kiosk=kiosk-lueder", headers={"sec-fetch-site": "same-origin"}).status_code == 200


def test_a_form_post_with_thousands_of_fields_is_refused_plainly_not_a_server_error(client, townhall):
    code = arrive(*townhall)
    login(client)
    body = f"csrf_token={token(client)}&status=accepted&message=x&action=save&" + "&".join(f"f{n}=1" for n in range(5000))
    answer = client.post(
        f"/applications/{code}/status?kiosk=kiosk-lueder", content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 403 and "nicht von diesem Arbeitsplatz" in answer.text
    with open_storage(townhall[0]) as storage:
        assert storage.status_history(code) == []


def test_a_clerk_cannot_open_the_access_log_or_manage_kiosks_and_it_cannot_read_applications(client, townhall):
    code = arrive(*townhall)
    login(client)
    page = client.get("/inbox").text
    assert "/access-log" not in page
    answer = client.get("/access-log")
    assert answer.status_code == 403 and "nicht freigegeben" in answer.text
    assert client.post("/kiosks/revoke", data={"csrf_token": token(client), "kiosk_id": "kiosk-lueder", "confirm": "yes"}).status_code == 403
    assert Allowlist(townhall[0]).list()[0].active
    client.post("/logout", data={"csrf_token": token(client)})
    login(client, "it")
    assert client.get(f"/applications/{code}?kiosk=kiosk-lueder").status_code == 403
    assert client.get("/kiosks").status_code == 200


def test_a_clerk_finds_an_application_by_its_code_and_reads_it_with_german_questions(client, townhall):
    older = arrive(*townhall, received_at="2026-01-05T08:00:00Z")
    code = arrive(*townhall, {**ANSWERS, "child_name": "Lena Mustermann"})
    login(client)
    listing = client.get("/inbox").text
    assert listing.index(refcode.display(older)) < listing.index(refcode.display(code))  # oldest first
    assert "Tage" in listing and "Erika Mustermann" not in listing  # lists show no content
    typed = code.lower()[:3] + " " + code.lower()[3:]
    found = client.get("/inbox", params={"code": typed})
    assert found.status_code == 303
    page = client.get(found.headers["location"])
    assert page.status_code == 200
    label = KITA.field("child_name").text("label", "de")
    assert f"<dt>{label}</dt>" in page.text and "<dd>Lena Mustermann</dd>" in page.text
    assert "Gesendet von Kiosk kiosk-lueder; seine Signatur ist geprüft." in page.text
    typo = client.get("/inbox", params={"code": code[:-1] + ("A" if code[-1] != "A" else "B")})
    assert typo.status_code == 200 and 'class="problem"' in typo.text


def test_setting_a_status_previews_the_kiosk_words_then_saves_and_a_rejection_needs_a_reason(client, townhall):
    code = arrive(*townhall)
    login(client)
    url = f"/applications/{code}/status?kiosk=kiosk-lueder"
    preview = client.post(url, data={"csrf_token": token(client), "status": "accepted", "message": "Die Erstattung kommt im April.", "action": "preview"})
    assert preview.status_code == 200
    assert "Der Kiosk zeigt für" in preview.text and "Die Erstattung kommt im April." in preview.text
    assert "bewilligt" in preview.text.lower()
    with open_storage(townhall[0]) as storage:
        assert storage.status_history(code) == []  # a preview saves nothing
    refused = client.post(url, data={"csrf_token": token(client), "status": "rejected", "message": "", "action": "save"})
    assert refused.status_code == 400 and "Grund" in refused.text
    saved = client.post(url, data={"csrf_token": token(client), "status": "accepted", "message": "Die Erstattung kommt im April.", "note": "Akte 12/26", "action": "save"})
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "Gespeichert" in page.text and "Akte 12/26" in page.text
    with open_storage(townhall[0]) as storage:
        (update,) = storage.status_history(code)
    assert (update.status, update.message, update.staff_note) == ("accepted", "Die Erstattung kommt im April.", "Akte 12/26")
    done = client.get("/inbox", params={"filter": "done"}).text
    assert refcode.display(code) in done
    assert refcode.display(code) not in client.get("/inbox", params={"filter": "new"}).text
    data = client.get("/inbox.json", params={"filter": "done"}).json()
    assert [(a["reference"], a["status"], a["opened"]) for a in data["applications"]] == [(code, "accepted", True)]
    assert data["counts"]["new"] == 0 and "Mustermann" not in json.dumps(data)


def test_the_head_of_office_sees_who_opened_what_and_never_its_content(client, townhall):
    code = arrive(*townhall)
    login(client)
    client.get(f"/applications/{code}?kiosk=kiosk-lueder")
    client.get(f"/applications/{code}/pdf?kiosk=kiosk-lueder")
    client.post("/logout", data={"csrf_token": token(client)})
    login(client, "chefin")
    log = client.get("/access-log")
    assert log.status_code == 200
    rows = re.findall(r"<tr><td[^>]*>.*?</tr>", log.text)
    assert any("Erika Sachbearbeiterin" in row and refcode.display(code) in row and "geöffnet" in row for row in rows)
    assert any("als PDF gedruckt" in row for row in rows)
    assert "Mustermann" not in log.text
    only = client.get("/access-log", params={"code": code}).text
    assert refcode.display(code) in only


def test_an_export_shows_in_the_access_log_of_every_application_it_held(client, townhall):
    exported = [arrive(*townhall), arrive(*townhall)]
    login(client)
    assert client.get("/export", params={"service": "kita_erstattung", "format": "csv"}).status_code == 200
    client.post("/logout", data={"csrf_token": token(client)})
    login(client, "chefin")
    for code in exported:
        # "Who has seen my application?": the clerk who downloaded it in the export did.
        only = client.get("/access-log", params={"code": refcode.display(code)}).text
        rows = re.findall(r"<tr><td[^>]*>.*?</tr>", only, re.S)
        assert any("Erika Sachbearbeiterin" in row and "exportiert" in row and refcode.display(code) in row for row in rows)
    assert "Mustermann" not in client.get("/access-log").text


def test_the_access_log_shows_openings_on_the_command_line_by_the_sudo_user(client, townhall, monkeypatch):
    from sync.workplace.accounts import record_command_line_access

    monkeypatch.setenv("SUDO_USER", "i.it")
    record_command_line_access(townhall[0], "open", [("7KQM2X9TJ", "kiosk-lueder", "kita_erstattung")])
    login(client, "chefin")
    page = client.get("/access-log", params={"code": "7KQ-M2X-9TJ"}).text
    (row,) = re.findall(r"<tr><td[^>]*>.*?</tr>", page, re.S)
    assert "i.it (rathaus inbox)" in row and row.count("rathaus inbox") == 1 and "geöffnet" in row


def test_a_long_access_log_says_that_older_entries_are_found_by_code(client, townhall):
    from sync.workplace.accounts import Staff

    with open_accounts(townhall[0], hasher=CHEAP) as accounts:
        clerk = Staff("erika", "Erika Sachbearbeiterin", "clerk")
        accounts.log_access(clerk, "open", "7KQM2X9TJ", kiosk_id="kiosk-lueder", service="kita_erstattung")
        accounts.log_accesses(clerk, "export", [(f"A{n:08d}", "kiosk-lueder", "kita_erstattung") for n in range(500)])
    login(client, "chefin")
    page = client.get("/access-log").text
    assert "Nur die letzten 500 Einträge werden gezeigt" in page and "7KQ-M2X-9TJ" not in page
    assert "mit dem Anliegen exportiert" in page
    one = client.get("/access-log", params={"code": "7KQ-M2X-9TJ"}).text
    assert "7KQ-M2X-9TJ" in one and "Nur die letzten" not in one


def test_a_damaged_application_is_shown_as_damaged_and_never_blocks_the_others(client, townhall):
    good = arrive(*townhall)
    bad = arrive(*townhall, flip=True)
    login(client)
    listing = client.get("/inbox").text
    assert "1 beschädigter Antrag" in listing and refcode.display(bad) in listing
    refused = client.get(f"/applications/{bad}?kiosk=kiosk-lueder")
    assert refused.status_code == 422 and refcode.display(bad) in refused.text
    assert client.get(f"/applications/{good}?kiosk=kiosk-lueder").status_code == 200
    export = client.get("/export", params={"service": "kita_erstattung", "format": "csv"})
    assert export.status_code == 200 and export.headers["x-rathaus-skipped"] == refcode.display(bad)
    # The browser shows no header: the page with the download button says what the file lacks.
    page = client.get("/inbox", params={"service": "kita_erstattung"}).text
    assert f"Beschädigte Anträge (oben aufgeführt) fehlen im Export: {refcode.display(bad)}." in page
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [refcode.display(good)]
    assert "attachment" in export.headers["content-disposition"]


def test_a_paper_application_joins_the_same_list_and_takes_a_status(client, townhall):
    arrive(*townhall)
    login(client)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert client.post("/paper", data={"csrf_token": token(client), "service": "kita_erstattung", "received_on": future}).status_code == 400
    done = client.post("/paper", data={"csrf_token": token(client), "service": "kita_erstattung", "received_on": "2026-03-02", "note": "Akte 7/26"})
    assert done.status_code == 200
    code = re.search(r'big-code code">([0-9A-Z-]+)<', done.text).group(1)
    listing = client.get("/inbox").text
    assert code in listing and "Papier" in listing
    page = client.get(f"/applications/{refcode.parse(code)}?kiosk=(paper)")
    assert "Papierakte" in page.text
    saved = client.post(
        f"/applications/{refcode.parse(code)}/status?kiosk=(paper)",
        data={"csrf_token": token(client), "status": "in_progress", "message": "", "action": "save", "kiosk": "(paper)"},
    )
    assert saved.status_code == 303
    assert code in client.get("/inbox", params={"filter": "in_progress"}).text


def _squash_fp(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def test_kiosks_at_a_glance_warn_about_a_silent_kiosk_and_enrol_only_with_the_right_fingerprint(client, townhall, tmp_path):
    townhall_dir, _kiosk_dir = townhall
    login(client, "it")
    page = client.get("/kiosks").text
    assert "kiosk-lueder" in page and "meldet sich nicht" in page and "nie" in page
    with open_storage(townhall_dir) as storage:
        storage.record_kiosk_contact("kiosk-lueder", utc_timestamp(), "batch", batch_items=3)
    page = client.get("/kiosks").text
    assert "meldet sich nicht" not in page and "3 Anträge am" in page

    other = tmp_path / "kiosk2"
    request = init_kiosk(other, kiosk_id="kiosk-schernebeck", townhall_public=townhall_public_keys_path(townhall_dir))
    data = enrolment_request_path(other, "kiosk-schernebeck").read_bytes()
    checked = client.post(
        "/kiosks/check", data={"csrf_token": token(client)}, files={"request_file": ("enrolment.json", data, "application/json")}
    )
    # Only the kiosk's own screen can give the fingerprint: one shown here would just be copied.
    assert checked.status_code == 200 and "kiosk-schernebeck" in checked.text
    assert _squash_fp(request.fingerprint) not in _squash_fp(checked.text)
    hidden = re.search(r'name="request" value="([^"]+)"', checked.text).group(1)
    wrong = client.post("/kiosks/approve", data={"csrf_token": token(client), "request": hidden, "fingerprint": "0000-1111-2222-3333-4444"})
    assert wrong.status_code == 400 and "Nicht zulassen" in wrong.text
    assert [k.kiosk_id for k in Allowlist(townhall_dir).list()] == ["kiosk-lueder"]
    typed = request.fingerprint.lower().replace("-", " ")
    approved = client.post(
        "/kiosks/approve", data={"csrf_token": token(client), "request": hidden, "fingerprint": typed, "place": "Dorfgemeinschaftshaus Schernebeck"}
    )
    assert approved.status_code == 303
    assert "kiosk-schernebeck" in [k.kiosk_id for k in Allowlist(townhall_dir).list()]
    assert client.post("/kiosks/place", data={"csrf_token": token(client), "kiosk_id": "kiosk-lueder", "place": "Bibliothek Lüderitz"}).status_code == 303
    page = client.get("/kiosks").text
    assert "Dorfgemeinschaftshaus Schernebeck" in page and "Bibliothek Lüderitz" in page

    unconfirmed = client.post("/kiosks/revoke", data={"csrf_token": token(client), "kiosk_id": "kiosk-schernebeck"})
    assert unconfirmed.status_code == 400
    assert client.post("/kiosks/revoke", data={"csrf_token": token(client), "kiosk_id": "kiosk-schernebeck", "confirm": "yes", "reason": "gestohlen"}).status_code == 303
    assert "gesperrt am" in client.get("/kiosks").text


def test_the_weekly_chart_draws_what_the_table_beside_it_says(client, townhall):
    for _ in range(3):
        arrive(*townhall)
    login(client)
    page = client.get("/stats").text
    assert "<svg" in page and page.count('class="bar"') == 8
    assert re.search(r"Kita-Beiträge zurückbekommen</th>(<td[^>]*>0</td>){7}<td[^>]*>3</td><td[^>]*>3</td>", page)


def test_staff_can_switch_to_english_and_back(client, townhall):
    login(client)
    answer = client.post("/language", data={"csrf_token": token(client), "lang": "en", "next": "/inbox"})
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
    page = client.get("/inbox").text
    assert '<html lang="en">' in page and "Find by receipt code" in page
    client.post("/language", data={"csrf_token": token(client), "lang": "de", "next": "https://evil.example/"})
    assert "Mit dem Code vom Beleg finden" in client.get("/inbox").text


def test_a_login_link_never_sends_staff_to_another_site(client):
    answer = client.post("/login", data={"username": "erika", "password": PASSWORD, "csrf_token": token(client), "next": "//evil.example/x"})
    assert answer.headers["location"] == "/"


def test_the_account_file_holds_no_password_and_is_for_the_service_user_only(townhall):
    path = townhall[0] / "staff" / "staff.db"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    rows = sqlite3.connect(path).execute("SELECT password_hash FROM accounts").fetchall()
    assert all(row[0].startswith("$argon2id$") and PASSWORD not in row[0] for row in rows)


def test_a_kiosk_cannot_plant_a_spreadsheet_formula_as_a_csv_heading(client, townhall):
    arrive(*townhall, {**ANSWERS, '=HYPERLINK("http://evil.example","Bitte klicken")': "x", "@SUM(A1)": "=1+1"})
    login(client)
    export = client.get("/export", params={"service": "kita_erstattung", "format": "csv"})
    heading, row = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))[:2]
    assert not any(cell.startswith(("=", "@", "+", "-")) for cell in heading + row)
    assert '\'=HYPERLINK("http://evil.example","Bitte klicken")' in heading and "'=1+1" in row


def test_many_planted_damaged_items_are_named_only_a_few_in_the_download_header(client, townhall):
    good = arrive(*townhall)
    for _ in range(40):
        arrive(*townhall, flip=True)
    login(client)
    export = client.get("/export", params={"service": "kita_erstattung", "format": "csv"})
    assert export.status_code == 200 and refcode.display(good) in export.content.decode("utf-8-sig")
    header = export.headers["x-rathaus-skipped"]
    assert len(header) < 400 and header.endswith("(40 in all)")  # 400 codes would be 5 KiB: more than nginx buffers by default


def test_json_of_the_export_is_for_programs(client, townhall):
    arrive(*townhall)
    login(client)
    answer = client.get("/export", params={"service": "kita_erstattung", "format": "json"})
    assert json.loads(answer.content)["submissions"][0]["answers"]["child_name"] == "Paul Mustermann"


def test_an_unknown_page_and_an_unexpected_failure_are_plain_pages_without_a_traceback(townhall, monkeypatch):
    app = create_app(WorkplaceConfig(townhall[0], hasher=CHEAP))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        login(client)
        missing = client.get("/gibt-es-nicht")
        assert missing.status_code == 404 and "Diese Seite gibt es hier nicht." in missing.text
        wp = app.state.workplace
        monkeypatch.setattr(wp.storage, "current_statuses", lambda: 1 / 0)
        broken = client.get("/inbox")
        assert broken.status_code == 500 and "schiefgegangen" in broken.text
        assert "Traceback" not in broken.text and "ZeroDivision" not in broken.text


def test_an_unexpected_failure_quoting_an_answer_never_reaches_the_server_log(townhall, monkeypatch, caplog):
    import sync.inbox.paper

    code = arrive(*townhall)

    def broken_pdf(opened, **_kw):
        raise ValueError(f"cannot set {opened.answers['child_name']}")  # as a library might word it

    monkeypatch.setattr(sync.inbox.paper, "submission_pdf", broken_pdf)
    app = create_app(WorkplaceConfig(townhall[0], hasher=CHEAP))
    # What leaves the app is what uvicorn logs with its whole traceback and text.
    with TestClient(app, follow_redirects=False, raise_server_exceptions=True) as client:
        login(client)
        answer = client.get(f"/applications/{code}/pdf?kiosk=kiosk-lueder")
    assert answer.status_code == 500 and "schiefgegangen" in answer.text
    assert "ValueError" in caplog.text and "Mustermann" not in caplog.text


def test_a_file_upload_without_the_csrf_token_is_refused_too(client, townhall, tmp_path):
    login(client, "it")
    other = tmp_path / "kiosk3"
    init_kiosk(other, kiosk_id="kiosk-bellingen", townhall_public=townhall_public_keys_path(townhall[0]))
    data = enrolment_request_path(other, "kiosk-bellingen").read_bytes()
    answer = client.post("/kiosks/check", files={"request_file": ("enrolment.json", data, "application/json")})
    assert answer.status_code == 403
    answer = client.post("/kiosks/check", data={"csrf_token": "falsch"}, files={"request_file": ("e.json", data, "application/json")})
    assert answer.status_code == 403


def test_the_head_of_office_unlocks_a_colleague_without_a_terminal_and_a_clerk_cannot(client, townhall):
    for _ in range(3):
        login(client, password="falsch-falsch")
    assert login(client).status_code == 401  # erika is locked out
    assert client.get("/accounts").status_code == 303
    login(client, "chefin")
    page = client.get("/accounts").text
    assert "gesperrt für" in page and "erika entsperren" in page
    assert client.post("/accounts", data={"csrf_token": token(client), "username": "erika", "action": "unlock"}).status_code == 303
    client.post("/logout", data={"csrf_token": token(client)})
    assert login(client).status_code == 303
    assert client.get("/accounts").status_code == 403
    assert client.post("/accounts", data={"csrf_token": token(client), "username": "chefin", "action": "disable", "confirm": "yes"}).status_code == 403
