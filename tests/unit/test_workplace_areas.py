"""The assisted-mode and booking pages of the staff workplace (Starlette's TestClient): the audit
page, volunteers and powers of attorney, who helped with an application, and the appointment
desk. Each action is checked on the registry or calendar it changes, each role where it is refused."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest
from argon2 import PasswordHasher

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from assisted_mode import audit
from assisted_mode.credentials import read_code
from assisted_mode.record import PERSON, REPRESENTATIVE, AssistanceRecord, Helper, with_assistance
from kiosk import refcode
from kiosk.forms import builtin_forms_dir, load_form
from sync.allowlist import Allowlist
from sync.assistance import open_registry
from sync.envelope import ItemMeta, item_digest, seal_item, utc_timestamp
from sync.envelope.audit_segment import AuditSegment
from sync.keys import enrolment_request_path, init_kiosk, init_townhall, load_kiosk_keys, load_townhall_public, townhall_public_keys_path
from sync.calendar import open_desk, unit_from_text
from sync.calendar.config import TIMEZONE, calendar_path
from sync.calendar.source import forget_calendar_stores
from sync.server.storage import BatchRecord, ItemRecord, open_storage
from sync.workplace import WorkplaceConfig, create_app
from sync.workplace.accounts import open_accounts

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
CALENDAR = """
format = 1
state = "ST"
lead_hours = 24
horizon_days = 14

[[places]]
id = "rathaus"
name.de = "Rathaus Tangerhütte"
name.en = "Town hall Tangerhütte"

[[services]]
id = "impfung"
form = "impftermin"
title.de = "Impftermin"
title.en = "Vaccination"
minutes = 30
capacity = 1
places = ["rathaus"]
vaccination = true
""" + "".join(f'hours.{d} = ["09:00-10:00"]\n' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")) + """
[[services]]
id = "ausweis"
form = "termin_buergerbuero"
title.de = "Personalausweis"
minutes = 30
capacity = 1
places = ["rathaus"]
""" + "".join(f'hours.{d} = ["11:00-11:30"]\n' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))


@pytest.fixture
def townhall(tmp_path):
    townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    init_kiosk(kiosk_dir, kiosk_id="kiosk-lueder", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-lueder"))
    calendar_path(townhall_dir).write_text(CALENDAR, encoding="utf-8")
    with open_accounts(townhall_dir, hasher=CHEAP) as accounts:
        accounts.add_user("erika", PASSWORD, role="clerk", display_name="Erika Sachbearbeiterin")
        accounts.add_user("chefin", PASSWORD, role="head", display_name="Helga Amtsleiterin")
        accounts.add_user("it", PASSWORD, role="it", display_name="Ingo IT")
    yield townhall_dir, kiosk_dir
    forget_calendar_stores()


@pytest.fixture
def client(townhall):
    app = create_app(WorkplaceConfig(townhall[0], hasher=CHEAP))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def token(client) -> str:
    if "rk_csrf" not in client.cookies:
        client.get("/login")
    return client.cookies["rk_csrf"]


def login(client, username):
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token(client), "next": "/"})
    assert answer.status_code == 303


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": token(client)}, **kwargs)


def booking_day(townhall_dir) -> dt.date:
    """A day from the day after tomorrow on with times (no public holiday), within the horizon."""
    from sync.calendar import load_calendar

    config = load_calendar(townhall_dir)
    day = dt.datetime.now(TIMEZONE).date() + dt.timedelta(days=2)
    while not config.slots_on(day):
        day += dt.timedelta(days=1)
    return day


# -- the audit page ---------------------------------------------------------------------------


def _audit_chain(townhall_dir, kiosk_dir, count=4):
    key = load_kiosk_keys(kiosk_dir).signing
    entries, previous, last_hash = [], None, ""
    for n in range(count):
        previous, last_hash = audit.next_entry(
            "kiosk-lueder", previous, at=f"2026-03-02T09:1{n}:00Z", action=audit.SIGN_IN, actor="V0001"
        )
        entries.append(previous)
    head = audit.sign_head("kiosk-lueder", previous.seq, last_hash, key)
    return entries, head


def test_the_audit_page_says_per_kiosk_whether_its_chain_is_intact(client, townhall):
    townhall_dir, kiosk_dir = townhall
    entries, head = _audit_chain(townhall_dir, kiosk_dir)
    login(client, "chefin")
    assert "Bisher hat kein Kiosk eine Prüfspur geschickt" in client.get("/audit").text
    with open_registry(townhall_dir) as registry:
        registry.store_audit("kiosk-lueder", "b1", AuditSegment(tuple(entries), head))
    page = client.get("/audit")
    assert page.status_code == 200 and "kiosk-lueder" in page.text and "vollständig" in page.text
    assert "nicht vollständig" not in page.text

    # an entry deleted at the town hall: the page names the gap in plain words
    with open_registry(townhall_dir) as registry:
        registry._db.execute("DELETE FROM audit_entries WHERE seq = 2")
    page = client.get("/audit")
    assert "nicht vollständig" in page.text and "Einträge 2 bis 2 fehlen" in page.text


@pytest.mark.parametrize(("user", "status"), [("it", 200), ("erika", 403)])
def test_it_sees_the_audit_page_and_clerks_do_not(client, user, status):
    login(client, user)
    assert client.get("/audit").status_code == status


# -- volunteers and powers ----------------------------------------------------------------------


def test_the_head_enrols_a_volunteer_sees_badge_and_pin_once_and_prints_the_badge(client, townhall):
    townhall_dir = townhall[0]
    login(client, "chefin")
    page = post(client, "/helpers/volunteers/enrol", {"name": "Anna Müller", "valid_until": "2030-06-30", "pin": "yes"})
    assert page.status_code == 200 and "Nur jetzt sichtbar" in page.text
    code = re.search(r'id="badge-code">([^<]+)<', page.text).group(1)
    pin = re.search(r'id="pin">([^<]+)<', page.text).group(1)
    assert read_code(code).holder_id == "V0001" and re.fullmatch(r"\d+", pin)
    with open_registry(townhall_dir) as registry:
        assert [(v.volunteer_id, v.name, v.has_pin) for v in registry.volunteers()] == [("V0001", "Anna Müller", True)]
    listing = client.get("/helpers")
    assert "Anna Müller" in listing.text and code not in listing.text and pin not in listing.text

    card = post(client, "/helpers/card", {"code": code})
    assert card.status_code == 200 and card.headers["content-type"] == "application/pdf"
    assert card.content.startswith(b"%PDF") and card.headers["cache-control"] == "no-store"
    # a made-up code for the same volunteer gives no card
    forged = code[:-3] + ("000" if not code.endswith("000") else "111")
    assert post(client, "/helpers/card", {"code": forged}).status_code == 400

    # a new badge: the old card can no longer be printed, the new one can
    renewed = post(client, "/helpers/volunteers/secret", {"volunteer_id": "V0001", "what": "badge"})
    new_code = re.search(r'id="badge-code">([^<]+)<', renewed.text).group(1)
    assert new_code != code and post(client, "/helpers/card", {"code": code}).status_code == 400
    assert post(client, "/helpers/card", {"code": new_code}).status_code == 200
    new_pin = post(client, "/helpers/volunteers/secret", {"volunteer_id": "V0001", "what": "pin"})
    assert re.search(r'id="pin">(\d+)<', new_pin.text)

    refused = post(client, "/helpers/volunteers/revoke", {"volunteer_id": "V0001", "reason": "Ausweis verloren"})
    assert refused.status_code == 400 and not open_registry(townhall_dir).volunteer("V0001").revoked
    done = post(client, "/helpers/volunteers/revoke", {"volunteer_id": "V0001", "reason": "Ausweis verloren", "confirm": "yes"})
    assert done.status_code == 303
    with open_registry(townhall_dir) as registry:
        assert registry.volunteer("V0001").revoked
    log = client.get("/access-log").text
    assert "hat eine Ehrenamtliche oder einen Ehrenamtlichen aufgenommen" in log and "V0001" in log


def test_the_head_records_a_power_of_attorney_and_a_clerk_revokes_it(client, townhall):
    townhall_dir = townhall[0]
    login(client, "chefin")
    page = post(client, "/helpers/powers/record", {
        "principal": "Erika Mustermann-Quast", "agent": "Karin Quast", "services": ["kita_erstattung", "no-such-service"],
        "valid_from": "2026-01-01", "valid_until": "2030-12-31", "paper": "Az. 12-34/2026",
    })
    assert page.status_code == 200
    code = re.search(r'id="power-code">([^<]+)<', page.text).group(1)
    with open_registry(townhall_dir) as registry:
        power = registry.power("P0001")
    assert power.services == ("kita_erstattung",) and power.paper_reference == "Az. 12-34/2026"
    assert post(client, "/helpers/card", {"code": code}).content.startswith(b"%PDF")
    wrong = post(client, "/helpers/powers/record", {
        "principal": "A B", "agent": "C D", "services": "kita_erstattung", "valid_from": "2026-05-01", "valid_until": "2026-04-01",
    })
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    client.cookies.set("rk_lang", "en")
    undated = post(client, "/helpers/powers/record", {"principal": "A B", "agent": "C D", "services": "kita_erstattung", "valid_from": "soon", "valid_until": "2027-01-01"})
    assert undated.status_code == 400 and "Please give each day as a date" in undated.text
    unserviced = post(client, "/helpers/powers/record", {"principal": "A B", "agent": "C D", "valid_from": "2026-01-01", "valid_until": "2027-01-01"})
    assert unserviced.status_code == 400 and "at least one service" in unserviced.text
    client.cookies.set("rk_lang", "de")
    with open_registry(townhall_dir) as registry:
        assert [p.power_id for p in registry.powers()] == ["P0001"]
    client.post("/logout", data={"csrf_token": token(client)})

    login(client, "erika")
    listing = client.get("/helpers")
    assert "Karin Quast" in listing.text and "Az. 12-34/2026" in listing.text
    assert 'action="/helpers/powers/record"' not in listing.text  # a clerk sees, but does not record
    refused = post(client, "/helpers/powers/record", {"principal": "A B", "agent": "C D", "services": "kita_erstattung",
                                                      "valid_from": "2026-01-01", "valid_until": "2027-01-01"})
    assert refused.status_code == 403
    assert post(client, "/helpers/volunteers/enrol", {"name": "X Y", "valid_until": "2030-01-01"}).status_code == 403
    assert post(client, "/helpers/card", {"code": code}).status_code == 403
    assert post(client, "/helpers/powers/revoke", {"power_id": "P0001", "confirm": "yes"}).status_code == 303
    with open_registry(townhall_dir) as registry:
        assert registry.power("P0001").revoked_at


def test_it_may_not_see_volunteers_or_powers_and_every_post_needs_the_form_token(client, townhall):
    login(client, "it")
    assert client.get("/helpers").status_code == 403
    assert client.get("/appointments").status_code == 403
    client.post("/logout", data={"csrf_token": token(client)})
    login(client, "chefin")
    for path, data in [
        ("/helpers/volunteers/enrol", {"name": "Anna Müller", "valid_until": "2030-06-30"}),
        ("/helpers/powers/record", {"principal": "A B", "agent": "C D", "services": "kita_erstattung", "valid_from": "2026-01-01", "valid_until": "2027-01-01"}),
        ("/helpers/volunteers/revoke", {"volunteer_id": "V0001", "confirm": "yes"}),
        ("/appointments/book", {"unit": "impfung@rathaus@2030-01-01T09:00#0"}),
        ("/appointments/cancel", {"reference": "7KQM2X9TJ"}),
        ("/appointments/answer", {"reference": "7KQM2X9TJ", "answer": "decline", "reason": "x"}),
        ("/appointments/vaccination", {"reference": "7KQM2X9TJ"}),
        ("/appointments/quota", {"unit": "impfung@rathaus@2030-01-01T09:00#0", "change": "grant"}),
    ]:
        assert client.post(path, data=data).status_code == 403, path
    with open_registry(townhall[0]) as registry:
        assert registry.volunteers() == [] and registry.powers() == []


def test_the_application_page_says_who_filed_it_on_whose_behalf(client, townhall):
    townhall_dir, kiosk_dir = townhall
    with open_registry(townhall_dir) as registry:
        registry.record_power(principal="Erika Mustermann-Quast", agent="Karin Quast", services=["kita_erstattung"],
                              valid_from="2026-01-01", valid_until="2030-12-31", paper_reference="Az. 7")
    record = AssistanceRecord(REPRESENTATIVE, Helper(PERSON, "Karin Q."), "1", "2026-03-02T09:10:00Z",
                              principal="Erika M.", power_id="P0001")
    reference = refcode.new_reference()
    meta = ItemMeta("kita_erstattung", KITA.version, KITA.content_hash, "kiosk-lueder", reference, "2026-03-02T09:15:00Z")
    public = load_townhall_public(townhall_public_keys_path(townhall_dir))
    sealed = seal_item(meta, with_assistance(ANSWERS, record), public.encryption, load_kiosk_keys(kiosk_dir).signing)
    item = ItemRecord(reference, item_digest(sealed), "b" * 32, "kiosk-lueder", "kita_erstattung", KITA.version,
                      KITA.content_hash, meta.captured_at, utc_timestamp(), sealed)
    with open_storage(townhall_dir) as storage:
        storage.store_batch(BatchRecord("b" * 32, "kiosk-lueder", 1, meta.captured_at, item.received_at, (item.digest,)), [item])
    login(client, "erika")
    page = client.get(f"/applications/{reference}?kiosk=kiosk-lueder")
    assert page.status_code == 200
    assert "Karin Q." in page.text and "P0001" in page.text and "Az. 7" in page.text
    assert 'id="assistance-heading"' in page.text


# -- appointments ---------------------------------------------------------------------------------


def test_a_clerk_books_at_the_counter_sees_it_in_the_day_view_and_cancels_it(client, townhall):
    townhall_dir = townhall[0]
    day = booking_day(townhall_dir)
    login(client, "erika")
    page = client.get(f"/appointments?day={day.isoformat()}")
    assert page.status_code == 200 and "Rathaus Tangerhütte" in page.text and "09:00–09:30" in page.text
    unit = f"impfung@rathaus@{day.isoformat()}T09:00#0"
    answer = post(client, "/appointments/book", {"unit": unit, "label": "Herr Lehmann", "day": day.isoformat()})
    assert answer.status_code == 303
    code = re.search(r"code=([0-9A-Z]+)", answer.headers["location"]).group(1)
    page = client.get(answer.headers["location"])
    assert refcode.display(code) in page.text and "Herr Lehmann" in page.text and "am Schalter" in page.text
    desk = open_desk(townhall_dir, lang="de")
    assert [u.reference for u in desk.day_view(day).bookings()] == [code]

    twice = post(client, "/appointments/book", {"unit": unit, "day": day.isoformat()})
    assert twice.status_code == 400 and "nicht frei" in twice.text

    cancelled = post(client, "/appointments/cancel", {"reference": code, "kiosk": "counter", "day": day.isoformat()})
    assert cancelled.status_code == 303
    assert desk.day_view(day).bookings() == []
    client.post("/logout", data={"csrf_token": token(client)})
    login(client, "chefin")
    log = client.get("/access-log").text
    assert "hat einen Termin am Schalter gebucht" in log and "hat einen Termin abgesagt" in log and refcode.display(code) in log


IMPF = load_form(builtin_forms_dir() / "impftermin.toml")


def _kiosk_item(townhall_dir, kiosk_dir, answers, n):
    reference = refcode.new_reference()
    meta = ItemMeta("impftermin", IMPF.version, IMPF.content_hash, "kiosk-lueder", reference, utc_timestamp())
    public = load_townhall_public(townhall_public_keys_path(townhall_dir))
    sealed = seal_item(meta, answers, public.encryption, load_kiosk_keys(kiosk_dir).signing)
    batch = f"{n:032x}"
    item = ItemRecord(reference, item_digest(sealed), batch, "kiosk-lueder", "impftermin", IMPF.version,
                      IMPF.content_hash, meta.captured_at, utc_timestamp(), sealed)
    with open_storage(townhall_dir) as storage:
        storage.store_batch(BatchRecord(batch, "kiosk-lueder", n, meta.captured_at, item.received_at, (item.digest,)), [item])
    return reference


def test_bookings_and_requests_from_a_kiosk_show_once_their_applications_have_arrived(client, townhall):
    townhall_dir, kiosk_dir = townhall
    day = booking_day(townhall_dir)
    unit = f"impfung@rathaus@{day.isoformat()}T09:00#0"
    open_desk(townhall_dir, lang="de").grant("kiosk-lueder", unit_from_text(unit))
    booked = _kiosk_item(townhall_dir, kiosk_dir, {"appointment": {"unit": unit, "serial": 1}}, 1)
    asked = _kiosk_item(townhall_dir, kiosk_dir, {"appointment": "request", "windows": [f"{day.isoformat()}/am"]}, 2)
    login(client, "erika")
    page = client.get(f"/appointments?day={day.isoformat()}")
    row = re.search(r"<tr><th scope=\"row\">09:00–09:30</th>.*?</tr>", page.text, re.S).group(0)
    assert refcode.display(booked) in row and "am Kiosk kiosk-lueder" in row
    assert refcode.display(asked) in page.text and "Vom Kiosk kiosk-lueder" in page.text
    # the request can only be confirmed on what is still free: 09:30 that day, not the kiosk's 09:00
    assert f'value="impfung@rathaus@{day.isoformat()}T09:30#0"' in page.text
    assert f'<option value="{unit}"' not in page.text


def test_pending_requests_are_confirmed_moved_or_declined_and_a_vaccination_is_recorded(client, townhall):
    townhall_dir = townhall[0]
    day = booking_day(townhall_dir)
    desk = open_desk(townhall_dir, lang="de")
    first, second, third = (refcode.new_reference() for _ in range(3))
    for code in (first, second, third):
        desk.register_request("kiosk-lueder", code, "impfung", [f"{day.isoformat()}/am"], utc_timestamp())
    login(client, "erika")
    page = client.get("/appointments")
    assert refcode.display(first) in page.text and "Vormittag" in page.text

    unit = f"impfung@rathaus@{day.isoformat()}T09:00#0"
    confirmed = post(client, "/appointments/answer", {"reference": first, "kiosk": "kiosk-lueder", "answer": "confirm", "unit": unit})
    assert confirmed.status_code == 303 and "done=confirmed" in confirmed.headers["location"]
    assert desk.store.booking("kiosk-lueder", first).state == "confirmed"

    later = f"impfung@rathaus@{(day + dt.timedelta(days=1)).isoformat()}T09:30#0"
    if not desk.config.slots_on(day + dt.timedelta(days=1)):
        later = f"impfung@rathaus@{day.isoformat()}T09:30#0"
    proposed = post(client, "/appointments/answer", {"reference": second, "kiosk": "kiosk-lueder", "answer": "propose", "unit": later})
    assert proposed.status_code == 303 and desk.store.booking("kiosk-lueder", second).state == "proposed"

    no_reason = post(client, "/appointments/answer", {"reference": third, "kiosk": "kiosk-lueder", "answer": "decline", "reason": " "})
    assert no_reason.status_code == 400 and desk.store.booking("kiosk-lueder", third).state == "pending"
    declined = post(client, "/appointments/answer", {"reference": third, "kiosk": "kiosk-lueder", "answer": "decline", "reason": "Impfstoff fehlt"})
    assert declined.status_code == 303
    assert (desk.store.booking("kiosk-lueder", third).state, desk.store.booking("kiosk-lueder", third).reason) == ("declined", "Impfstoff fehlt")
    assert "Keine Anfrage wartet" in client.get("/appointments").text

    vaccination = {"reference": refcode.display(first), "birth_date": "1941-05-03", "vaccine": "Comirnaty", "lot": "FK1234",
                   "given_on": day.isoformat(), "place": "Rathaus", "given_by": "Dr. Weber"}
    assert post(client, "/appointments/vaccination", {**vaccination, "lot": ""}).status_code == 400
    passport = desk.book_at_counter(unit_from_text(f"ausweis@rathaus@{day.isoformat()}T11:00#0"))
    wrong = post(client, "/appointments/vaccination", {**vaccination, "reference": passport.reference})
    assert wrong.status_code == 400 and "kein Impftermin" in wrong.text
    assert desk.store.vaccinations_for("kiosk-lueder", "2000-01-01T00:00:00Z") == []
    assert post(client, "/appointments/vaccination", vaccination).status_code == 303
    assert len(desk.store.vaccinations_for("kiosk-lueder", "2000-01-01T00:00:00Z")) == 1


def test_the_head_hands_a_time_to_a_kiosk_and_takes_it_back(client, townhall):
    townhall_dir = townhall[0]
    day = booking_day(townhall_dir)
    unit = f"impfung@rathaus@{day.isoformat()}T09:30#0"
    login(client, "erika")
    assert post(client, "/appointments/quota", {"unit": unit, "kiosk_id": "kiosk-lueder", "change": "grant"}).status_code == 403
    client.post("/logout", data={"csrf_token": token(client)})
    login(client, "chefin")
    assert post(client, "/appointments/quota", {"unit": unit, "kiosk_id": "kiosk-lueder", "change": "grant", "day": day.isoformat()}).status_code == 303
    desk = open_desk(townhall_dir, lang="de")
    held = [u for s in desk.day_view(day).slots for u in s.units if u.state == "quota"]
    assert [(u.holder, f"{u.key.slot_id}#{u.key.unit}") for u in held] == [("kiosk-lueder", unit)]
    assert "für Kiosk kiosk-lueder reserviert" in client.get(f"/appointments?day={day.isoformat()}").text
    answer = post(client, "/appointments/quota", {"unit": unit, "change": "withdraw", "day": day.isoformat()})
    assert "done=withdrawn" in answer.headers["location"]


def test_without_a_calendar_the_appointments_page_says_how_to_set_one_up(client, townhall):
    calendar_path(townhall[0]).unlink()
    login(client, "erika")
    page = client.get("/appointments")
    assert page.status_code == 400 and "rathaus calendar init" in page.text and 'role="alert"' in page.text
