"""Assisted mode at the kiosk, by keyboard and badge scanner: a helper signs in, the citizen agrees
(or withdraws), a representative acts under a power of attorney, and what is sealed says so."""

from __future__ import annotations

import datetime as dt

import pytest

from assisted_mode import audit, credentials
from assisted_mode.powers import PowerTerms
from assisted_mode.volunteers import VolunteerTerms
from kiosk import assistance
from kiosk.store import OutboxState
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.consent import ConsentScreen
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.widgets.service_button import ServiceButton
from sync.envelope import open_item
from sync.envelope.assistance_channels import KioskPower, power_to_json, volunteer_to_json
from sync.keys import load_townhall_keys
from tests.assisted_support import cheap_argon2
from tests.functional.conftest import SCREEN_SIZE

TODAY = dt.date.today()
BADGE_SECRET = "3" * 32
POWER_SECRET = "4" * 32
PIN = "428913"
MESSAGE = {"topic": "strassen", "message": "Die Laterne am Anger ist dunkel.", "name": None, "wants_reply": False}


@pytest.fixture
def helpers(runtime, monkeypatch):
    """The kiosk holds the town hall's volunteers and powers, as its last download brought them."""
    cheap_argon2(monkeypatch)
    last = (TODAY + dt.timedelta(days=90)).isoformat()

    def hand_down(*, volunteer_revoked: str = "", power_until: str = last, power_revoked: str = "") -> None:
        volunteer = VolunteerTerms(
            "V0007", "Anna M.", last, volunteer_revoked,
            "" if volunteer_revoked else credentials.hash_secret(BADGE_SECRET),
            "" if volunteer_revoked else credentials.hash_secret(PIN),
        )
        power = KioskPower(
            PowerTerms("P0003", ("nachricht",), (TODAY - dt.timedelta(days=10)).isoformat(), power_until, power_revoked),
            "" if power_revoked else credentials.hash_secret(POWER_SECRET), "Karl S.", "Maria S.",
        )
        runtime.store.replace_channel_entries("volunteers", [volunteer_to_json(volunteer)], version=1, as_of=None)
        runtime.store.replace_channel_entries("powers", [power_to_json(power)], version=1, as_of=None)

    hand_down()
    return hand_down


async def _ask_for_help(visitor, choice: str) -> None:
    await visitor.press_button("Someone is helping me")
    await visitor.press_button(choice)


async def _scan(visitor, code: str) -> None:
    """A USB scanner: the code's characters, then Enter, into the focused field."""
    await visitor.type(code + "\n")
    await visitor.settle()


async def _start_message(visitor) -> None:
    await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
    await visitor.press("enter")


def _opened(runtime, townhall_dir, reference):
    sealed = runtime.store.db.execute("SELECT sealed FROM outbox WHERE reference = ?", [reference]).fetchone()[0]
    keys = load_townhall_keys(townhall_dir)
    return open_item(bytes(sealed), keys.encryption)[1]


def _actions(runtime) -> list[str]:
    return [entry.action for entry in runtime.store.audit_entries()]


async def test_a_relative_helps_with_consent_and_the_receipt_and_the_sealed_item_say_so(
    runtime, visitor_for, _townhall_keys
):
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _ask_for_help(visitor, "A relative, neighbour or friend")
        await visitor.type("Tom Schulze\n")
        await visitor.settle()
        assert isinstance(app.screen, ConsentScreen)
        assert "Tom Schulze will help you fill in this application." in visitor.text
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        assert isinstance(app.screen, StartScreen)
        assert "Tom Schulze is helping you." in visitor.text
        assert "F9: stop the help" in visitor.text

        await _start_message(visitor)
        form = runtime.form("nachricht")
        assert "Tom Schulze is helping you." in visitor.text
        for field_id in ("topic", "message", "name", "wants_reply"):
            await visitor.answer(form.field(field_id), MESSAGE[field_id])
        await visitor.press_button("Send")
        await visitor.settle()
        assert isinstance(app.screen, ReceiptScreen)
        assert "Filled in with help from Tom Schulze." in visitor.text
        reference = app.screen.queued.reference
        await visitor.press_button("Done")
        await visitor.settle()
        assert "is helping you" not in visitor.text  # the help ended with the visit

    sealed = _opened(runtime, _townhall_keys, reference)
    assert sealed["@assistance"]["helper"] == {"kind": "person", "id": "", "name": "Tom Schulze"}
    assert sealed["@assistance"]["consent"]["version"] == "2026-1"
    assert _actions(runtime) == [audit.SIGN_IN, audit.CONSENT, audit.SUBMIT, audit.SIGN_OUT]


async def test_consent_withdrawn_wipes_what_the_helper_typed(runtime, visitor_for, helpers):
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _ask_for_help(visitor, "A volunteer with a badge or volunteer number")
        await _scan(visitor, credentials.badge_code("V0007", BADGE_SECRET))
        assert "Anna M. (V0007) will help you fill in this application." in visitor.text
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        await _start_message(visitor)
        form = runtime.form("nachricht")
        await visitor.answer(form.field("topic"), "strassen")
        await visitor.answer(form.field("message"), "Geheimnis des Helfers", confirm=False)
        await visitor.press("f9")
        await visitor.press_button("Yes, stop the help")
        await visitor.settle()
        assert "Everything typed so far has been deleted." in visitor.text
        assert app.session is None and app.assisted is None
        await visitor.press("enter")
        await visitor.settle()
        assert isinstance(app.screen, StartScreen)
        assert "Geheimnis" not in visitor.text and "helping you" not in visitor.text
    assert runtime.store.counts()[OutboxState.QUEUED] == 0
    assert _actions(runtime) == [audit.SIGN_IN, audit.CONSENT, audit.WITHDRAW, audit.WIPE]


async def test_volunteer_by_id_and_pin_wrong_pin_lock_out_and_revoked(runtime, visitor_for, helpers, monkeypatch):
    now = {"t": dt.datetime.now(dt.timezone.utc)}
    import kiosk.staff_access as staff_access

    monkeypatch.setattr(assistance, "_now", lambda: now["t"])
    monkeypatch.setattr(staff_access, "_clock", lambda: now["t"].timestamp())
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _ask_for_help(visitor, "A volunteer with a badge or volunteer number")

        async def id_and_pin(pin: str) -> None:
            app.screen.query_one("#volunteer-id").focus()
            await visitor.clear_text()
            await visitor.type("v0007\n" + pin + "\n")
            await visitor.settle()

        for _ in range(3):
            await id_and_pin("111111")
        assert "This was not recognised." in visitor.text
        assert "Please wait 1 minute." in visitor.text
        await id_and_pin(PIN)  # the right PIN, but the kiosk waits
        assert "Too many wrong tries. Please wait 1 minute." in visitor.text
        assert not isinstance(app.screen, ConsentScreen)

        now["t"] += dt.timedelta(minutes=2)
        await id_and_pin(PIN)
        assert isinstance(app.screen, ConsentScreen)
        assert "Anna M. (V0007) will help you" in visitor.text
        await visitor.press_button("No")
        await visitor.settle()
        assert isinstance(app.screen, StartScreen) and app.assisted is None

        helpers(volunteer_revoked=(now["t"] - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        await _ask_for_help(visitor, "A volunteer with a badge or volunteer number")
        await _scan(visitor, credentials.badge_code("V0007", BADGE_SECRET))
        assert "This volunteer badge is no longer valid. Please ask the town hall." in visitor.text
        assert not isinstance(app.screen, ConsentScreen)
    assert _actions(runtime) == [audit.SIGN_IN, audit.SIGN_OUT, audit.SIGN_IN_REFUSED]


@pytest.mark.parametrize("case", ["valid", "expired", "wrong_service", "revoked"])
async def test_a_representative_with_a_power_of_attorney(runtime, visitor_for, helpers, case, _townhall_keys):
    if case == "expired":
        helpers(power_until=(TODAY - dt.timedelta(days=1)).isoformat())
    if case == "revoked":
        helpers(power_revoked="2026-01-01T00:00:00Z")
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _ask_for_help(visitor, "I act for someone else with a power of attorney")
        await _scan(visitor, credentials.power_code("P0003", POWER_SECRET))
        if case == "expired":
            assert "This power of attorney is no longer valid: its last day has passed." in visitor.text
            return
        if case == "revoked":
            assert "This power of attorney has been withdrawn. Please ask the town hall." in visitor.text
            return
        assert "Karl S. acts for Maria S. with a power of attorney." in visitor.text
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        if case == "wrong_service":
            await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "termin_buergerbuero")
            await visitor.press("enter")
            await visitor.settle()
            assert "The power of attorney does not cover this service." in visitor.text
            assert app.session is None
            await visitor.press("enter")
            await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "kita_erstattung")
            await visitor.press("enter")
            await visitor.settle()
            assert "This service cannot be applied for on someone else's behalf." in visitor.text
            return
        await _start_message(visitor)
        assert isinstance(app.screen, QuestionScreen)
        assert "Karl S. acts for Maria S. (power of attorney P0003)." in visitor.text
        form = runtime.form("nachricht")
        for field_id in ("topic", "message", "name", "wants_reply"):
            await visitor.answer(form.field(field_id), MESSAGE[field_id])
        await visitor.press_button("Send")
        await visitor.settle()
        assert "Filed by Karl S. on behalf of Maria S. (power of attorney P0003)." in visitor.text
        reference = app.screen.queued.reference
    sealed = _opened(runtime, _townhall_keys, reference)
    assert sealed["@assistance"]["role"] == "representative"
    assert sealed["@assistance"]["power_id"] == "P0003"


async def test_a_volunteer_revoked_during_the_visit_helps_with_no_further_service(runtime, visitor_for, helpers):
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _ask_for_help(visitor, "A volunteer with a badge or volunteer number")
        await _scan(visitor, credentials.badge_code("V0007", BADGE_SECRET))
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        helpers(volunteer_revoked="2026-01-01T00:00:00Z")  # the next download brought the revocation
        await _start_message(visitor)
        await visitor.settle()
        assert "This volunteer badge is no longer valid." in visitor.text
        assert app.session is None


async def test_a_name_typed_with_the_helper_is_not_offered_again_once_the_help_is_stopped(runtime, visitor_for, helpers):
    """The visit remembers a confirmed name to offer it in the next service; answers given while
    the helper was there are wiped with the rest when the citizen stops the help."""
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _ask_for_help(visitor, "A volunteer with a badge or volunteer number")
        await _scan(visitor, credentials.badge_code("V0007", BADGE_SECRET))
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        await _start_message(visitor)
        form = runtime.form("nachricht")
        await visitor.answer(form.field("topic"), "strassen")
        await visitor.answer(form.field("message"), "Die Laterne ist dunkel.")
        await visitor.answer(form.field("name"), "Helga Typedbyhelper")
        await visitor.press("f9")
        await visitor.press_button("Yes, stop the help")
        await visitor.settle()
        await visitor.press("enter")
        await visitor.settle()
        assert not app.visit.knows_something
        await _start_message(visitor)  # the citizen carries on alone
        await visitor.answer(form.field("topic"), "strassen")
        await visitor.answer(form.field("message"), "Allein geschrieben.")
        await visitor.settle()
        assert "Typedbyhelper" not in visitor.text


async def test_f6_after_the_help_is_stopped_does_not_say_the_helpers_answers_again(runtime, visitor_for, helpers, tmp_path):
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("needs Debian package espeak-ng")
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _ask_for_help(visitor, "A volunteer with a badge or volunteer number")
        await _scan(visitor, credentials.badge_code("V0007", BADGE_SECRET))
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        await _start_message(visitor)
        form = runtime.form("nachricht")
        for field_id, value in (("topic", "strassen"), ("message", "Geheimnis des Helfers"), ("name", None), ("wants_reply", False)):
            await visitor.answer(form.field(field_id), value)
        await visitor.settle()
        app.speaker.record_to = tmp_path / "review.wav"  # the loudspeaker, as a file
        await visitor.press("f5")  # the review, with the answers, read aloud
        await visitor.settle()
        assert "Geheimnis des Helfers" in app.speaker.last_text
        await visitor.press("f9")
        await visitor.press_button("Yes, stop the help")
        await visitor.settle()
        await visitor.press("enter")
        await visitor.settle()
        await visitor.press("f6")  # "say it again" now reads the start screen, nothing of before
        await visitor.settle()
        assert "Geheimnis" not in app.speaker.last_text
        app.speaker.stop()


async def test_send_with_a_volunteer_the_kiosk_just_learnt_was_revoked_gives_no_receipt_the_town_hall_would_refuse(
    runtime, visitor_for, helpers
):
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await _ask_for_help(visitor, "A volunteer with a badge or volunteer number")
        await _scan(visitor, credentials.badge_code("V0007", BADGE_SECRET))
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        await _start_message(visitor)
        form = runtime.form("nachricht")
        for field_id in ("topic", "message", "name", "wants_reply"):
            await visitor.answer(form.field(field_id), MESSAGE[field_id])
        helpers(volunteer_revoked="2026-01-01T00:00:00Z")  # a download while the citizen reads the review
        await visitor.press_button("Send")
        await visitor.settle()
        assert not isinstance(app.screen, ReceiptScreen)
        assert "This volunteer badge is no longer valid." in visitor.text
    assert runtime.store.counts()[OutboxState.QUEUED] == 0
