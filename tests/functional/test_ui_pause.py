"""Pause with a slip and carry on days later: the answers come back without typing them again,
nobody without the code can open them, and an old slip has expired."""

from __future__ import annotations

import datetime as dt

import pytest

from assisted_mode.pause import new_pause_code
from kiosk import assistance
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.pause_slip import PauseSlipScreen
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.widgets.service_button import ServiceButton
from tests.assisted_support import cheap_argon2
from tests.functional.conftest import SCREEN_SIZE
from tests.functional.test_ui_assisted import helpers  # noqa: F401  (fixture)

SECRET_WORDS = "Die Laterne vor Hausnummer 12 flackert"


@pytest.fixture
def clock(monkeypatch):
    import kiosk.staff_access as staff_access

    state = {"now": dt.datetime.now(dt.timezone.utc)}
    monkeypatch.setattr(assistance, "_now", lambda: state["now"])
    monkeypatch.setattr(staff_access, "_clock", lambda: state["now"].timestamp())
    return state


async def _pause_after_two_answers(app, visitor, runtime) -> str:
    await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
    await visitor.press("enter")
    form = runtime.form("nachricht")
    await visitor.answer(form.field("topic"), "strassen")
    await visitor.answer(form.field("message"), SECRET_WORDS)
    assert visitor.question_label() == form.field("name").text("label", "en")
    await visitor.press("f8")
    await visitor.settle()
    assert isinstance(app.screen, PauseSlipScreen)
    assert app.session is None  # the answers left memory
    code = app.screen.slip.display_code
    assert code in visitor.text and "Your application is paused." in visitor.text
    await visitor.press_button("Done")
    await visitor.settle()
    return code


async def _carry_on(visitor, code: str) -> None:
    await visitor.press_button("Check the status of an application")
    await visitor.type(code.lower() + "\n")
    await visitor.settle()


async def test_pause_and_resume_three_days_later_without_typing_again(runtime, visitor_for, monkeypatch, clock):
    cheap_argon2(monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        code = await _pause_after_two_answers(app, visitor, runtime)
        assert runtime.store.paused_count() == 1
        raw = b"".join(p.read_bytes() for p in runtime.data_dir.rglob("*") if p.is_file())
        assert SECRET_WORDS.encode() not in raw and code.replace("-", "").encode() not in raw

        clock["now"] += dt.timedelta(days=3)
        await _carry_on(visitor, "ABC-DEF-GHJ-KMN")  # a mistyped code is caught on the spot
        assert "This pause code cannot be right: one character is probably mistyped." in visitor.text
        await visitor.press("escape")
        await visitor.settle()
        await _carry_on(visitor, new_pause_code())  # someone else's guess: nothing opens
        assert "No paused application was found with this code." in visitor.text
        await visitor.press("escape")
        await visitor.settle()
        await _carry_on(visitor, code)
        assert isinstance(app.screen, QuestionScreen)
        form = runtime.form("nachricht")
        assert visitor.question_label() == form.field("name").text("label", "en")
        await visitor.press("escape")  # one back: the message is there as typed
        await visitor.settle()
        assert SECRET_WORDS in visitor.text
        assert runtime.store.paused_count() == 0  # a slip works once


async def test_an_expired_pause_slip_opens_nothing(runtime, visitor_for, monkeypatch, clock):
    cheap_argon2(monkeypatch)
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        code = await _pause_after_two_answers(app, visitor, runtime)
        clock["now"] += dt.timedelta(days=15)
        await _carry_on(visitor, code)
        assert "This pause slip has expired and its answers have been deleted." in visitor.text
        assert app.session is None and runtime.store.paused_count() == 0
        await visitor.press("escape")
        await visitor.settle()
        assert isinstance(app.screen, StartScreen)


async def test_an_application_paused_with_a_representative_is_still_filed_on_behalf_after_resuming(
    runtime, visitor_for, monkeypatch, clock, helpers, _townhall_keys  # noqa: F811
):
    """Answers typed under a power of attorney are not handed in as the resumer's own: the
    resumed application says who filed it on whose behalf, as it would have without the pause."""
    from assisted_mode import audit, credentials
    from kiosk.ui.screens.receipt import ReceiptScreen
    from tests.functional.test_ui_assisted import MESSAGE, POWER_SECRET, _opened

    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Someone is helping me")
        await visitor.press_button("I act for someone else with a power of attorney")
        await visitor.type(credentials.power_code("P0003", POWER_SECRET) + "\n")
        await visitor.settle()
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        code = await _pause_after_two_answers(app, visitor, runtime)
        assert app.assisted is None  # the representative's turn ended with the pause

        clock["now"] += dt.timedelta(days=2)
        await _carry_on(visitor, code)
        assert isinstance(app.screen, QuestionScreen)
        assert "Karl S. acts for Maria S." in visitor.text
        form = runtime.form("nachricht")
        for field_id in ("name", "wants_reply"):
            await visitor.answer(form.field(field_id), MESSAGE[field_id])
        await visitor.press_button("Send")
        await visitor.settle()
        assert isinstance(app.screen, ReceiptScreen)
        assert "Filed by Karl S. on behalf of Maria S." in visitor.text
        reference = app.screen.queued.reference

    sealed = _opened(runtime, _townhall_keys, reference)
    assert sealed["@assistance"]["role"] == "representative" and sealed["@assistance"]["power_id"] == "P0003"
    submit = [e for e in runtime.store.audit_entries() if e.action == audit.SUBMIT]
    assert [(e.actor, e.reference) for e in submit] == [("P0003", reference)]


async def test_a_draft_paused_under_a_power_revoked_since_cannot_be_filed_on_behalf(
    runtime, visitor_for, monkeypatch, clock, helpers  # noqa: F811
):
    from assisted_mode import credentials
    from tests.functional.test_ui_assisted import POWER_SECRET

    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Someone is helping me")
        await visitor.press_button("I act for someone else with a power of attorney")
        await visitor.type(credentials.power_code("P0003", POWER_SECRET) + "\n")
        await visitor.settle()
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        code = await _pause_after_two_answers(app, visitor, runtime)
        clock["now"] += dt.timedelta(days=1)
        helpers(power_revoked=(clock["now"] - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        await _carry_on(visitor, code)
        assert "The power of attorney has been withdrawn." in visitor.text
        assert app.session is None and app.assisted is None


async def test_an_expired_pause_is_deleted_even_when_nobody_pauses_or_resumes_again(runtime, visitor_for, monkeypatch, clock):
    """'Kept for 14 days, then deleted unread' holds at a kiosk where F8 is not pressed again."""
    from kiosk.forms import FormSession
    from kiosk.pause import pause_application

    cheap_argon2(monkeypatch)
    pause_application(runtime, FormSession(runtime.form("nachricht"), "en"))
    clock["now"] += dt.timedelta(days=15)
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        await pilot.pause()
        assert runtime.store.paused_count() == 0  # the kiosk started: gone

        visitor = visitor_for(pilot)
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
        await visitor.press("enter")
        await visitor.answer(runtime.form("nachricht").field("topic"), "strassen")
        await visitor.press("f8")
        await visitor.settle()
        assert runtime.store.paused_count() == 1
        clock["now"] += dt.timedelta(days=15)  # the kiosk runs on for weeks without a restart
        await visitor.press_button("Done")  # a visit ends
        await visitor.settle()
        assert runtime.store.paused_count() == 0
