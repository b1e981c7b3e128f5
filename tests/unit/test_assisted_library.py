"""Assisted mode through the library, kiosk to town hall: volunteers and powers go down in the
signed download, a helper signs in, the citizen agrees, the application is sealed with who
helped, the batch carries the audit chain, and the town hall checks both."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from assisted_mode import audit
from kiosk import assistance
from kiosk.assistance import LOCKED, WRONG
from kiosk.forms import builtin_forms_dir, load_form
from kiosk.store.audit_log import pending
from sync.allowlist import Allowlist
from sync.assistance.audit_check import check_audit, check_kiosk_audit
from sync.assistance.registry import Registry
from sync.assistance.inbox_view import describe_assistance
from sync.inbox import Inbox
from sync.intake import receive_batch
from sync.keys import load_townhall_keys
from sync.outbox import batch_builder
from sync.server.storage import open_storage
from tests.assisted_support import cheap_argon2, town_and_kiosk

TODAY = dt.date.today()
FIRST_DAY = (TODAY - dt.timedelta(days=30)).isoformat()
LAST_DAY = (TODAY + dt.timedelta(days=120)).isoformat()
NACHRICHT = load_form(builtin_forms_dir() / "nachricht.toml")
KITA = load_form(builtin_forms_dir() / "kita_erstattung.toml")


@pytest.fixture
def town(enrol, monkeypatch):
    cheap_argon2(monkeypatch)
    setup = town_and_kiosk(enrol)
    yield setup
    setup.runtime.close()


@pytest.fixture
def clock(monkeypatch):
    """The kiosk's idea of now (validity of volunteers and powers, and the lock-out)."""
    state = {"now": dt.datetime.now(dt.timezone.utc).replace(microsecond=0)}
    monkeypatch.setattr(assistance, "_now", lambda: state["now"])
    import kiosk.staff_access as staff_access

    monkeypatch.setattr(staff_access, "_clock", lambda: state["now"].timestamp())
    return state


MESSAGE = {"topic": "strassen", "message": "Die Straßenlaterne ist kaputt.", "name": "", "wants_reply": False}


def _message_answers(fill):
    return dict(MESSAGE)


def _send(town):
    """Take the next batch and hand it to the town hall, as a sync does; returns the result."""
    keys = load_townhall_keys(town.townhall_dir, need_encryption=False)
    batch = town.runtime.store.take_batch(batch_builder(town.runtime.kiosk_keys, town.runtime.townhall))
    with open_storage(town.townhall_dir) as storage:
        result = receive_batch(storage, Allowlist(town.townhall_dir), batch.data, townhall=keys)
    from sync.outbox import apply_ack

    apply_ack(town.runtime.store, result.ack, batch_id=batch.batch_id, kiosk_id="kiosk-lueder",
              townhall=town.runtime.townhall)
    return result


def test_a_volunteer_signs_in_by_badge_and_the_town_hall_sees_who_helped(town, clock, fill):
    with town.registry() as registry:
        enrolled = registry.enrol_volunteer("Anna Meier", LAST_DAY)
    town.fetch()
    signed_in = assistance.sign_in_with_code(town.runtime, enrolled.badge_code)
    assert signed_in.visit is not None and signed_in.visit.helper.name == "Anna M."
    visit = assistance.give_consent(town.runtime, signed_in.visit)
    queued = town.runtime.submit(NACHRICHT, _message_answers(fill), assistance=visit)

    assert _send(town).refused == ()
    with Inbox(town.townhall_dir, lang="en") as inbox:
        opened = inbox.open(queued.reference)
    assert "@assistance" not in opened.answers
    with town.registry() as registry:
        view = describe_assistance(opened, registry, "en")
    assert view.summary == f"Assisted by Anna M. (volunteer {enrolled.volunteer.volunteer_id})."
    assert "Enrolled volunteer: Anna Meier." in view.details
    assert view.valid and [e.action for e in view.audit] == [audit.SUBMIT]
    assert [(k.kiosk_id, k.intact) for k in check_audit(town.townhall_dir)] == [("kiosk-lueder", True)]


def test_id_and_pin_wrong_pin_lock_out_and_revoked_volunteer(town, clock):
    with town.registry() as registry:
        enrolled = registry.enrol_volunteer("Bernd Krause", LAST_DAY)
    vid = enrolled.volunteer.volunteer_id
    town.fetch()
    assert assistance.sign_in_with_pin(town.runtime, vid.lower(), enrolled.pin).visit is not None
    wrong = "000000" if enrolled.pin != "000000" else "111111"
    tries = [assistance.sign_in_with_pin(town.runtime, vid, wrong) for _ in range(3)]
    assert [t.problem for t in tries] == [WRONG, WRONG, WRONG]
    assert tries[-1].wait_seconds == 60
    locked = assistance.sign_in_with_pin(town.runtime, vid, enrolled.pin)
    assert locked.visit is None and locked.problem == LOCKED
    clock["now"] += dt.timedelta(minutes=2)
    assert assistance.sign_in_with_pin(town.runtime, vid, enrolled.pin).visit is not None

    with town.registry() as registry:
        registry.revoke_volunteer(vid, "badge lost", now=clock["now"])
    town.fetch()
    refused = assistance.sign_in_with_code(town.runtime, enrolled.badge_code)
    assert refused.visit is None and refused.problem == "revoked"
    actions = [entry.action for entry in town.runtime.store.audit_entries()]
    assert actions == [audit.SIGN_IN, audit.SIGN_IN, audit.SIGN_IN_REFUSED]


def test_the_town_hall_refuses_an_application_resting_on_a_volunteer_revoked_before(town, clock, fill):
    with town.registry() as registry:
        enrolled = registry.enrol_volunteer("Anna Meier", LAST_DAY)
    town.fetch()
    visit = assistance.give_consent(town.runtime, assistance.sign_in_with_code(town.runtime, enrolled.badge_code).visit)
    with town.registry() as registry:  # revoked at the town hall; the kiosk has not heard yet
        registry.revoke_volunteer(enrolled.volunteer.volunteer_id, now=clock["now"] - dt.timedelta(hours=1))
    assisted = town.runtime.submit(NACHRICHT, _message_answers(fill), assistance=visit)
    plain = town.runtime.submit(NACHRICHT, _message_answers(fill))

    result = _send(town)
    assert [item.code for item in result.refused] == ["revoked_helper"]
    assert town.runtime.store.needing_attention() == [(assisted.reference, "revoked_helper")]
    with Inbox(town.townhall_dir) as inbox:
        assert [entry.code for entry in inbox.list()] == [plain.reference]


@pytest.mark.parametrize(
    "service, days_later, revoke, expected",
    [
        ("nachricht", 0, False, "valid"),
        ("nachricht", 200, False, "expired"),
        ("termin_buergerbuero", 0, False, "wrong_service"),
        ("nachricht", 0, True, "revoked"),
    ],
)
def test_a_power_of_attorney_is_checked_at_the_kiosk(town, clock, service, days_later, revoke, expected):
    with town.registry() as registry:
        recorded = registry.record_power(
            principal="Maria Schulze", agent="Karl Schulze", services=["nachricht"],
            valid_from=FIRST_DAY, valid_until=LAST_DAY, paper_reference="Vollmacht 12/2026",
        )
        if revoke:
            registry.revoke_power(recorded.power.power_id, now=clock["now"] - dt.timedelta(minutes=5))
    town.fetch()
    clock["now"] += dt.timedelta(days=days_later)
    opened = assistance.sign_in_with_code(town.runtime, recorded.code)
    if expected in ("expired", "revoked"):
        assert opened.visit is None and opened.problem == expected
        return
    assert opened.visit.principal == "Maria S." and opened.visit.helper.name == "Karl S."
    assert opened.visit.power_standing(service, clock["now"]) == expected


def test_filed_on_behalf_and_checked_by_the_town_hall_at_capture_time(town, clock, fill):
    with town.registry() as registry:
        recorded = registry.record_power(
            principal="Maria Schulze", agent="Karl Schulze", services=["nachricht"],
            valid_from=FIRST_DAY, valid_until=LAST_DAY, paper_reference="Vollmacht 12/2026",
        )
    town.fetch()
    visit = assistance.give_consent(town.runtime, assistance.sign_in_with_code(town.runtime, recorded.code).visit)
    queued = town.runtime.submit(NACHRICHT, _message_answers(fill), assistance=visit)
    _send(town)
    with town.registry() as registry:  # revoked after capture: the application stands
        registry.revoke_power(recorded.power.power_id, now=clock["now"] + dt.timedelta(days=1))
    with Inbox(town.townhall_dir, lang="en") as inbox:
        opened = inbox.open(queued.reference)
    with town.registry() as registry:
        view = describe_assistance(opened, registry, "en")
    assert view.summary == "Filed by Karl S. on behalf of Maria S. under power of attorney P0001."
    assert "Recorded at the town hall: Karl Schulze for Maria Schulze, paper reference Vollmacht 12/2026." in view.details
    assert view.checks == ["The power of attorney was valid for this service when the application was made."]


def test_the_kiosk_log_is_append_only(town, clock):
    assistance.helped_by_person(town.runtime, "Opa Heinz")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        town.runtime.store.db.execute("UPDATE audit_log SET actor = 'V0001'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        town.runtime.store.db.execute("DELETE FROM audit_log")
    assert pending(town.runtime.store.db).head_seq == 1


def test_rewritten_deleted_and_reordered_entries_at_the_town_hall_are_caught(town, clock, fill):
    for name in ("Opa Heinz", "Tante Erna", "Nachbar Kurt"):
        visit = assistance.give_consent(town.runtime, assistance.helped_by_person(town.runtime, name))
        town.runtime.submit(NACHRICHT, _message_answers(fill), assistance=visit)
        assistance.end_help(town.runtime, visit)
    _send(town)
    assert check_audit(town.townhall_dir)[0].intact

    def tampered(*statements: str) -> list[str]:
        """Change a copy of the town hall's register as someone with access to its file could."""
        copy = town.townhall_dir / f"tampered-{len(statements)}-{abs(hash(statements))}.db"
        with sqlite3.connect(town.townhall_dir / "assistance.db") as source, sqlite3.connect(copy) as target:
            source.backup(target)
            for statement in statements:
                target.execute(statement)
        registry = Registry(copy)
        try:
            return [p.kind for p in check_kiosk_audit(registry, Allowlist(town.townhall_dir), "kiosk-lueder").problems]
        finally:
            registry.close()

    assert tampered() == []
    assert "broken_link" in tampered("UPDATE audit_entries SET actor = 'V0001' WHERE seq = 3")
    last = len(town.runtime.store.audit_entries())
    assert "head_mismatch" in tampered(f"UPDATE audit_entries SET at = '2026-01-01T00:00:00Z' WHERE seq = {last}")
    assert "gap" in tampered("DELETE FROM audit_entries WHERE seq = 5")
    assert "out_of_order" in tampered(
        "UPDATE audit_entries SET seq = -2 WHERE seq = 2",
        "UPDATE audit_entries SET seq = 2 WHERE seq = 3",
        "UPDATE audit_entries SET seq = 3 WHERE seq = -2",
    )


def test_the_kiosk_forgets_delivered_entries_after_thirty_days_but_keeps_the_chain_going(town, clock, fill):
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for action in (audit.SIGN_IN, audit.CONSENT, audit.SIGN_OUT):
        town.runtime.store.append_audit("kiosk-lueder", action=action, actor="person", at=old)
    town.runtime.submit(NACHRICHT, _message_answers(fill))
    _send(town)
    assert [e.seq for e in town.runtime.store.audit_entries()] == [3]  # the last stays: the next names it
    assistance.helped_by_person(town.runtime, "Opa Heinz")
    town.runtime.submit(NACHRICHT, _message_answers(fill))
    _send(town)
    assert check_audit(town.townhall_dir)[0].intact


def test_an_application_whose_audit_entry_came_in_an_earlier_batch_is_still_refused_for_a_revoked_helper(town, clock, fill):
    """A slow link sends few items per batch, while the first batch already carries every audit
    entry: the later batches' items are checked against the entries the town hall holds."""
    with town.registry() as registry:
        enrolled = registry.enrol_volunteer("Anna Meier", LAST_DAY)
    town.fetch()
    visit = assistance.give_consent(town.runtime, assistance.sign_in_with_code(town.runtime, enrolled.badge_code).visit)
    with town.registry() as registry:  # revoked at the town hall; the kiosk has not heard yet
        registry.revoke_volunteer(enrolled.volunteer.volunteer_id, now=clock["now"] - dt.timedelta(hours=1))
    first = town.runtime.submit(NACHRICHT, _message_answers(fill), assistance=visit)
    second = town.runtime.submit(NACHRICHT, _message_answers(fill), assistance=visit)

    keys = load_townhall_keys(town.townhall_dir, need_encryption=False)
    from sync.outbox import apply_ack

    refused = []
    for _ in range(2):
        batch = town.runtime.store.take_batch(batch_builder(town.runtime.kiosk_keys, town.runtime.townhall), max_items=1)
        with open_storage(town.townhall_dir) as storage:
            result = receive_batch(storage, Allowlist(town.townhall_dir), batch.data, townhall=keys)
        apply_ack(town.runtime.store, result.ack, batch_id=batch.batch_id, kiosk_id="kiosk-lueder",
                  townhall=town.runtime.townhall)
        refused += [item.code for item in result.refused]
    assert refused == ["revoked_helper", "revoked_helper"]
    assert sorted(town.runtime.store.needing_attention()) == sorted(
        [(first.reference, "revoked_helper"), (second.reference, "revoked_helper")]
    )


def test_signing_in_with_ones_own_badge_gives_no_fresh_guesses_at_another_volunteers_pin(town, clock):
    """A volunteer who guesses a colleague's PIN cannot reset the lock-out with their own badge."""
    with town.registry() as registry:
        insider = registry.enrol_volunteer("Ingo Innen", LAST_DAY)
        target = registry.enrol_volunteer("Anna Meier", LAST_DAY)
    town.fetch()
    target_id = target.volunteer.volunteer_id
    guesses = iter(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" != target.pin)
    for _ in range(2):
        assert assistance.sign_in_with_pin(town.runtime, target_id, next(guesses)).problem == WRONG
    assert assistance.sign_in_with_code(town.runtime, insider.badge_code).visit is not None  # still fine
    third = assistance.sign_in_with_pin(town.runtime, target_id, next(guesses))
    assert third.problem == WRONG and third.wait_seconds == 60
    assert assistance.sign_in_with_pin(town.runtime, target_id, target.pin).problem == LOCKED
    clock["now"] += dt.timedelta(days=1, minutes=2)  # a day without a wrong try: the count is forgotten
    assert assistance.sign_in_with_pin(town.runtime, target_id, next(guesses)).wait_seconds == 0
