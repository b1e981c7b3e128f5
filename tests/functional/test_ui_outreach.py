"""An outreach day: a volunteer opens it, two visitors one after the other, nothing of the first
is visible to the second, and the day ends with counts only and the hand-over by stick."""

from __future__ import annotations

from assisted_mode import audit, credentials
from kiosk.ui.app import KioskApp
from kiosk.ui.screens.consent import ConsentScreen
from kiosk.ui.screens.outreach import OutreachScreen
from kiosk.ui.screens.outreach_summary import OutreachSummaryScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.widgets.service_button import ServiceButton
from sync.usb import BATCH_SUFFIX
from tests.functional.conftest import SCREEN_SIZE
from tests.functional.test_ui_assisted import BADGE_SECRET, helpers  # noqa: F401  (fixture)

FIRST = {"topic": "strassen", "message": "Gertrud Wendeborn meldet: Gullydeckel lose", "name": "Gertrud Wendeborn", "wants_reply": False}


async def test_two_visitors_and_nothing_of_the_first_is_visible_to_the_second(runtime, visitor_for, helpers, tmp_path):  # noqa: F811
    runtime.config = runtime.config.__class__(**{**runtime.config.__dict__, "usb_dir": str(tmp_path / "stick")})
    (tmp_path / "stick").mkdir()
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    seen_by_second: list[str] = []
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Someone is helping me")
        await visitor.press_button("Volunteers: open an outreach day")
        await visitor.type(credentials.badge_code("V0007", BADGE_SECRET) + "\n")
        await visitor.settle()
        assert isinstance(app.screen, OutreachScreen)
        assert "Next: visitor 1." in visitor.text

        # Visitor 1 agrees, hands in a message with their name in it.
        await visitor.press_button("Welcome the next visitor")
        await visitor.settle()
        assert isinstance(app.screen, ConsentScreen)
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
        await visitor.press("enter")
        form = runtime.form("nachricht")
        for field_id in ("topic", "message", "name", "wants_reply"):
            await visitor.answer(form.field(field_id), FIRST[field_id])
        await visitor.press_button("Send")
        await visitor.settle()
        assert isinstance(app.screen, ReceiptScreen)
        first_code = app.screen.queued.reference
        await visitor.press_button("Done")
        await visitor.settle()

        # Between the two: the volunteer's screen, counts only.
        assert isinstance(app.screen, OutreachScreen)
        assert app.session is None and app.assisted is None
        assert "Visitors so far: 1. Handed in: 1." in visitor.text and "Next: visitor 2." in visitor.text

        # Visitor 2: every screen they see, nothing of visitor 1.
        await visitor.press_button("Welcome the next visitor")
        await visitor.settle()
        seen_by_second.append(visitor.text)
        await visitor.press_button("Yes, I agree")
        await visitor.settle()
        seen_by_second.append(visitor.text)
        await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
        await visitor.press("enter")
        await visitor.settle()
        seen_by_second.append(visitor.text)
        await visitor.answer(form.field("topic"), "gruen")
        seen_by_second.append(visitor.text)  # the message question, empty
        await visitor.press("escape")  # back to the first question
        await visitor.settle()
        seen_by_second.append(visitor.text)
        await visitor.press("f9")
        await visitor.press_button("Yes, stop the help")
        await visitor.settle()
        await visitor.press("enter")  # the notice
        await visitor.settle()
        assert isinstance(app.screen, OutreachScreen)
        assert "Visitors so far: 2. Handed in: 1." in visitor.text

        await visitor.press_button("End the day")
        await visitor.settle()
        assert isinstance(app.screen, OutreachSummaryScreen)
        summary = visitor.text
        await visitor.press_button("Write to the USB stick")
        await visitor.settle()
        assert "1 application was written to the USB stick." in visitor.text

    for text in seen_by_second:
        for trace in ("Gertrud", "Gullydeckel", first_code):
            assert trace not in text
    assert "Visitors: 2" in summary and "Applications handed in: 1" in summary
    assert "Help stopped by the visitor: 1" in summary
    assert "Gertrud" not in summary and first_code not in summary
    assert len(list((tmp_path / "stick").rglob(f"*{BATCH_SUFFIX}"))) == 1  # the sealed batch, handed over
    actions = [entry.action for entry in runtime.store.audit_entries()]
    assert actions == [
        audit.SIGN_IN, audit.CONSENT, audit.SUBMIT, audit.CONSENT, audit.WITHDRAW, audit.WIPE, audit.SIGN_OUT
    ]


async def test_the_next_visitor_is_not_offered_the_name_of_one_who_discarded_their_message(runtime, visitor_for, helpers):  # noqa: F811
    """Visitor 1 gives their name, then discards the message; visitor 2's name question is empty."""
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Someone is helping me")
        await visitor.press_button("Volunteers: open an outreach day")
        await visitor.type(credentials.badge_code("V0007", BADGE_SECRET) + "\n")
        await visitor.settle()
        form = runtime.form("nachricht")
        for number, (message, name) in enumerate((("Gullydeckel lose", "Gertrud Wendeborn"), ("Bank kaputt", None)), 1):
            await visitor.press_button("Welcome the next visitor")
            await visitor.settle()
            await visitor.press_button("Yes, I agree")
            await visitor.settle()
            await visitor.tab_to(lambda w: isinstance(w, ServiceButton) and w.form.id == "nachricht")
            await visitor.press("enter")
            await visitor.answer(form.field("topic"), "strassen")
            await visitor.answer(form.field("message"), message)
            await visitor.settle()
            if number == 2:
                assert "Gertrud" not in visitor.text and not app.visit.knows_something
                break
            await visitor.answer(form.field("name"), name)
            await visitor.press_button("Discard message")
            await visitor.press_button("Yes, discard")
            await visitor.settle()
            assert isinstance(app.screen, OutreachScreen)
            assert not app.visit.knows_something  # gone from memory before the next visitor sits down


async def test_an_outreach_day_ends_when_the_kiosk_learns_the_volunteer_was_revoked(runtime, visitor_for, helpers):  # noqa: F811
    """No next visitor is asked to agree to help from a volunteer the town hall has revoked."""
    app = KioskApp(runtime, kiosk_mode=True, lang="en")
    async with app.run_test(size=SCREEN_SIZE) as pilot:
        visitor = visitor_for(pilot)
        await visitor.press_button("Someone is helping me")
        await visitor.press_button("Volunteers: open an outreach day")
        await visitor.type(credentials.badge_code("V0007", BADGE_SECRET) + "\n")
        await visitor.settle()
        helpers(volunteer_revoked="2026-01-01T00:00:00Z")  # the next download brought the revocation
        await visitor.press_button("Welcome the next visitor")
        await visitor.settle()
        assert not isinstance(app.screen, ConsentScreen)
        assert "This volunteer badge is no longer valid." in visitor.text
        assert app.outreach is None and app.assisted is None
    assert [entry.action for entry in runtime.store.audit_entries()][-1] == audit.SIGN_OUT
