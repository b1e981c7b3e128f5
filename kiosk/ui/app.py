"""The kiosk application: screens for citizens, guarded against leaving, kind about time.

``KioskApp`` owns what one visit needs (the form being filled, the language) and what the terminal
needs between visits (the idle watch, the background exchange with the town hall, the staff exit).
Screens ask the app to move on (``start_service``, ``show_review``, ``return_to_start`` ...), so
the order of screens is decided in one place.

Keys everywhere: Tab / Shift+Tab move between buttons and fields (on the start screen the arrow
keys too), Enter confirms, Escape goes one step back, F1 opens the help of a question (on the start
screen: how the kiosk is used), F2 switches Deutsch/English, F12 with the staff PIN opens the staff
screen (USB stick, sync, closing the kiosk). Colours come from kiosk/ui/theme.py: a 16-colour
terminal such as the Linux console gets colours it can show.

For visitors who need it, each with one key and for this visit only (kiosk/visit.py): F3 plain
language beside the official wording, F4 larger text, F5 reads the screen aloud (again: stops),
F6 repeats it, F7 ten times the usual time before "Do you need more time?".
"""

from __future__ import annotations

import logging
import sys
import traceback
from time import monotonic
from typing import Any

from textual import events
from textual.app import App
from rich.text import Text
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from assisted_mode.outreach import PAUSED, SUBMITTED, WITHDRAWN, OutreachDay
from assisted_mode.visit import AssistedVisit
from kiosk.assistance import end_help, give_consent, helped_by_person, still_enrolled, withdraw_consent
from kiosk.errors import RathausError, StoreError, StoreFullError
from kiosk.forms import FormDefinition, FormSession
from kiosk.i18n import DEFAULT_LANGUAGE, Gettext, normalise_language, translator
from kiosk.logfile import logging_to_file
from kiosk.pause import forget_expired as forget_expired_pauses
from kiosk.pause import pause_application
from kiosk.speech import Speaker
from kiosk.visit import Visit
from kiosk.ui.messages import ProblemOccurred, SubmissionQueued, SyncFinished
from kiosk.ui.screens.base import LanguageAware
from kiosk.ui.screens.confirm import ConfirmScreen
from kiosk.ui.screens.notice import NoticeScreen
from kiosk.ui.screens.question import QuestionScreen
from kiosk.ui.screens.receipt import ReceiptScreen
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.screens.staff import StaffScreen
from kiosk.ui.screens.staff_pin import StaffPinScreen
from kiosk.ui.screens.start import StartScreen
from kiosk.ui.screens.status import StatusScreen
from kiosk.ui.screens.still_there import StillThereScreen
from kiosk.ui.theme import HIGH_CONTRAST, THEMES, theme_for
from kiosk.ui.assisted_wording import receipt_helper_line, service_refusal
from kiosk.ui.visitor_aids import VisitorAids
from kiosk.ui.wording import word
from sync.envelope.fields import utc_timestamp as utc_now_text

log = logging.getLogger("rathaus.kiosk.ui")
_ENDED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
# WCAG 2.2.1: the person gets at least 20 seconds to answer "Do you need more time?"
MIN_ANSWER_SECONDS = 20

class KioskApp(VisitorAids, App[None]):
    """The citizen kiosk. ``kiosk_mode`` locks it for a public terminal."""

    CSS_PATH = "app.tcss"
    TITLE = "Rathaus-Kiosk"
    ENABLE_COMMAND_PALETTE = False
    MODES = {"kiosk": StartScreen}
    DEFAULT_MODE = "kiosk"
    BINDINGS = [
        Binding("f2", "switch_language", "Deutsch/English", show=False, priority=True),
        Binding("f3", "toggle_plain_language", "Plain language", show=False, priority=True),
        Binding("f4", "toggle_large_text", "Larger text", show=False, priority=True),
        Binding("f5", "read_aloud", "Read aloud", show=False, priority=True),
        Binding("f6", "repeat_aloud", "Repeat", show=False, priority=True),
        Binding("f7", "more_time", "More time", show=False, priority=True),
        Binding("f12", "staff_exit", "Staff", show=False, priority=True),
        Binding("f9", "stop_help", "Stop the help", show=False, priority=True),
        Binding("f8", "pause", "Pause", show=False),
    ]

    def __init__(
        self,
        runtime: Any,
        *,
        kiosk_mode: bool = True,
        lang: str = "de",
        idle_seconds: float | None = None,
        answer_seconds: float | None = None,
        demo_codes: tuple[str, ...] = (),
        helper_name: str = "",
    ) -> None:
        super().__init__()
        self.demo_codes = demo_codes  # ``rathaus demo``: sample receipt codes, shown where they are typed
        self.helper_name = helper_name
        """Helper mode (``rathaus kiosk --helper NAME``): this computer's owner helps every visit."""
        self.runtime = runtime
        self.kiosk_mode = kiosk_mode
        self.start_language = normalise_language(lang or DEFAULT_LANGUAGE)
        self.lang = self.start_language
        config = runtime.config
        self.idle_seconds = float(idle_seconds if idle_seconds is not None else config.idle_seconds)
        self.answer_seconds = float(
            answer_seconds
            if answer_seconds is not None
            else max(MIN_ANSWER_SECONDS, config.answer_seconds)
        )
        self.session: FormSession | None = None
        self.assisted: AssistedVisit | None = None
        """The helper the citizen agreed to, for this visit only (``assisted_mode.visit``)."""
        self.outreach: OutreachDay | None = None
        """An outreach day a volunteer opened: visitors one after another (``assisted_mode.outreach``)."""
        self._outreach_volunteer: AssistedVisit | None = None
        self._pausing = False
        self.visit = Visit()
        self.speaking_for: Any = None  # the screen whose text is being read aloud
        self.speaker = Speaker(amplitude=getattr(config, "speech_amplitude", 100))
        self._last_activity = monotonic()
        self._idle_prompt_open = False
        self._sync_worker: Worker | None = None
        self._send_again = False  # an application was queued while a round was already running
        self.townhall_refuses = False  # the last exchange was refused (e.g. the kiosk is revoked)
        for theme in THEMES:
            self.register_theme(theme)
        # A Linux console (TERM=linux: 16 colours) gets colours it can show; see kiosk/ui/theme.py.
        self.theme = theme_for(self.console.color_system).name

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """The kiosk's own colour variables (``$rk-...``), should a theme lack one."""
        return dict(HIGH_CONTRAST.variables)

    # --- texts ---------------------------------------------------------------------------------

    @property
    def gettext(self) -> Gettext:
        """``_`` for the language on screen now."""
        return translator(self.lang)

    # --- start-up ------------------------------------------------------------------------------

    def run(self, *args: Any, **kwargs: Any) -> None:
        """Run on the terminal; log lines go to the data folder meanwhile, never onto the screen."""
        with logging_to_file(self.runtime.data_dir):
            return super().run(*args, **kwargs)

    def on_mount(self) -> None:
        self.apply_visit_look()
        forget_expired_pauses(self.runtime)
        self.set_interval(min(1.0, max(self.idle_seconds / 4, 0.05)), self._check_idle)
        config = self.runtime.config
        if config.server_url:
            self.set_interval(max(1, config.sync_interval_seconds), self.sync_in_background)
            self.sync_in_background()

    # --- one visit -----------------------------------------------------------------------------

    def start_service(self, form: FormDefinition) -> None:
        """Begin filling in ``form`` from its first question (with a helper: if the service
        accepts that kind of help and, for a representative, the power of attorney covers it; a
        booking form with the kiosk's free times as of now)."""
        if self.assisted is not None:
            refusal = service_refusal(self.assisted, form, self.lang, self.runtime.store)
            if refusal:
                _ = self.gettext
                self.push_screen(NoticeScreen(_("Not possible with this help"), refusal))
                return
        self.session = FormSession(self.runtime.prepare_form(form), self.lang)
        self.push_screen(QuestionScreen())

    # --- help from someone (assisted mode) -------------------------------------------------------

    def begin_help(self) -> None:
        """"Someone is helping me": who helps, then the citizen's consent. In helper mode the
        helper is the computer's owner: straight to the consent."""
        if self.helper_name:
            self.ask_consent(helped_by_person(self.runtime, self.helper_name))
            return
        from kiosk.ui.screens.helper_choice import HelperChoiceScreen

        self.push_screen(HelperChoiceScreen())

    def ask_consent(self, visit: AssistedVisit) -> None:
        from kiosk.ui.screens.consent import ConsentScreen

        self.push_screen(ConsentScreen(visit))

    def consent_given(self, visit: AssistedVisit) -> None:
        """The citizen said yes: from now on every screen says who helps, until the visit ends."""
        self.assisted = give_consent(self.runtime, visit)
        self.return_to_start(keep_help=True)
        start = self.screen_stack[0]
        if isinstance(start, LanguageAware):
            self.call_later(start.apply_language)  # the start screen shows who helps now

    def refuse_help(self, visit: AssistedVisit) -> None:
        """"No" on the consent screen: nobody helps; the helper's sign-in ends here (on an
        outreach day the volunteer stays signed in for the next visitor)."""
        if self.outreach is None:
            end_help(self.runtime, visit)
        self.return_to_start()

    # --- outreach days ---------------------------------------------------------------------------

    def begin_outreach(self, volunteer: AssistedVisit) -> None:
        """A signed-in volunteer opens an outreach day: visitors one at a time."""
        self.outreach = OutreachDay(volunteer.helper.id, volunteer.helper.name, utc_now_text())
        self._outreach_volunteer = volunteer
        self.return_to_start()

    def welcome_next_visitor(self) -> None:
        """The next visitor is seated: their number, then their own consent to the help."""
        if self.outreach is None or self._outreach_volunteer is None:
            return
        if not still_enrolled(self.runtime, self._outreach_volunteer):
            self.end_outreach_day()
            _ = self.gettext
            self.push_screen(NoticeScreen(_("Not possible with this help"), _("This volunteer badge is no longer valid. Please ask the town hall.")))
            return
        self.outreach.next_visitor()
        self.end_visit()  # the last visitor's choices (larger text, language) are not this one's
        if self.lang != self.start_language:
            self._set_language(self.start_language)
        self.ask_consent(self._outreach_volunteer)

    def end_outreach_day(self) -> None:
        """Counts only, then the hand-over of the sealed applications."""
        day, volunteer = self.outreach, self._outreach_volunteer
        if day is None or volunteer is None:
            return
        day.visitor_left()
        self.outreach, self._outreach_volunteer = None, None
        end_help(self.runtime, volunteer)
        self.return_to_start()
        from kiosk.ui.screens.outreach_summary import OutreachSummaryScreen

        self.push_screen(OutreachSummaryScreen(day))

    def _note_outcome(self, outcome: str) -> None:
        if self.outreach is not None and self.outreach.visitor:
            self.outreach.note(outcome)

    # --- pause and resume -------------------------------------------------------------------------

    def action_pause(self) -> None:
        """F8 while filling in: seal the answers given so far under a pause slip's code (the
        question on screen is asked again on resuming), show and print the slip. Making the key
        takes an Argon2id moment, so it runs in a thread."""
        if self.session is None or self._pausing or not isinstance(self.screen, (QuestionScreen, ReviewScreen)):
            return
        self._pausing = True
        session, visit = self.session, self.assisted
        self.run_worker(lambda: self._pause_in_thread(session, visit), thread=True, group="pause", exit_on_error=False)

    def _pause_in_thread(self, session: FormSession, visit: AssistedVisit | None) -> None:
        try:
            slip = pause_application(self.runtime, session, visit)
        except RathausError as exc:
            self.call_from_thread(self._pause_failed, exc)
            return
        self.call_from_thread(self._paused, slip)

    def _pause_failed(self, error: RathausError) -> None:
        self._pausing = False
        self.show_problem(error)  # the answers are still here

    def _paused(self, slip: Any) -> None:
        self._pausing = False
        self._note_outcome(PAUSED)
        self.session = None  # the answers leave memory now; only the sealed draft remains
        self.return_to_start()
        from kiosk.ui.screens.pause_slip import PauseSlipScreen

        self.push_screen(PauseSlipScreen(slip))

    def resume_paused(self, resumed: Any) -> None:
        """A pause slip's code opened its draft: on from where the person stopped."""
        self.return_to_start()
        if resumed.assisted is not None:  # answers given with help stay answers given with help
            refusal = service_refusal(resumed.assisted, resumed.session.form, self.lang, self.runtime.store)
            if refusal:
                _ = self.gettext
                self.push_screen(NoticeScreen(_("Not possible with this help"), refusal))
                return
            self.assisted = resumed.assisted
            start = self.screen_stack[0]
            if isinstance(start, LanguageAware):
                start.language_stale = True
        self.session = resumed.session
        self.push_screen(ReviewScreen() if self.session.at_review else QuestionScreen())

    def action_stop_help(self) -> None:
        """F9: the citizen withdraws their consent; everything typed with the helper is wiped."""
        if self.assisted is None or any(isinstance(s, ConfirmScreen) for s in self.screen_stack):
            return
        _ = self.gettext

        def answered(stop: bool | None) -> None:
            if not stop or self.assisted is None:
                return
            visit, self.assisted = self.assisted, None
            withdraw_consent(self.runtime, visit)
            self._note_outcome(WITHDRAWN)
            self.session = None  # the answers leave memory now
            self.visit.forget_answers()  # also a name or address kept to offer in the next service
            self.speaker.forget()  # and a reading of them that F6 would repeat
            self.return_to_start()
            start = self.screen_stack[0]
            if isinstance(start, LanguageAware):
                self.call_later(start.apply_language)
            self.push_screen(
                NoticeScreen(_("The help has stopped"), _("Everything typed so far has been deleted."))
            )

        self.push_screen(
            ConfirmScreen(
                _("Stop the help?"),
                _("Everything typed so far will be deleted. You can start again on your own."),
                yes=_("Yes, stop the help"),
                no=_("No, continue"),
            ),
            answered,
        )

    def show_question(self) -> None:
        """The session's current question (used when coming from the review)."""
        self.switch_screen(QuestionScreen())

    def show_review(self) -> None:
        self.switch_screen(ReviewScreen())

    def show_status_lookup(self) -> None:
        self.push_screen(StatusScreen())

    def on_submission_queued(self, message: SubmissionQueued) -> None:
        """Sealed and queued: the answers leave memory, the receipt is all that remains."""
        if self.session is None:
            self.send_soon()
            return  # the visit was cleared meanwhile; the application waits in the queue all the same
        if not isinstance(self.screen, ReviewScreen):
            if any(isinstance(screen, ReviewScreen) for screen in self.screen_stack):
                # A window ("more time?", staff PIN) is open over the review: show the receipt
                # once it has closed through its own answer.
                self.set_timer(0.3, lambda: self.post_message(SubmissionQueued(message.queued)))
            return
        form = self.session.form
        self.session = None
        self._note_outcome(SUBMITTED)
        helped_by = receipt_helper_line(self.assisted, self.lang) if self.assisted is not None else ""
        self.switch_screen(ReceiptScreen(form, message.queued, helped_by=helped_by))
        self.send_soon()

    def ask_to_cancel(self) -> None:
        """Confirm before the answers of an unfinished application are thrown away."""
        _ = self.gettext
        kind = self.session.form.kind if self.session is not None else None

        def cancelled(confirmed: bool | None) -> None:
            if confirmed:
                self.return_to_start()

        self.push_screen(
            ConfirmScreen(
                word(kind, "cancel?", self.lang),
                word(kind, "cancel-consequence", self.lang),
                yes=word(kind, "cancel-yes", self.lang),
                no=_("No, continue"),
            ),
            cancelled,
        )

    def return_to_start(self, *, reset_language: bool = False, keep_help: bool = False) -> None:
        """Forget the visit's answers and show the start screen (in the default language after
        a finished or abandoned visit, so the next person is greeted as usual). The help ends
        with the visit, unless ``keep_help`` (the citizen just agreed to it)."""
        self.session = None
        # Silence, and nothing to repeat with F6: what was read (a status, a summary of answers)
        # belonged to a screen that is gone, and the next person may be standing here already.
        self.speaker.forget()
        if self.assisted is not None and not keep_help:
            visit, self.assisted = self.assisted, None
            if self.outreach is None:  # on an outreach day the volunteer stays for the next visitor
                end_help(self.runtime, visit)
            start = self.screen_stack[0]
            if isinstance(start, LanguageAware):
                start.language_stale = True  # its helper line goes
        while len(self.screen_stack) > 1:
            self.pop_screen()
        if reset_language:  # the visit is over
            self.end_visit()
            forget_expired_pauses(self.runtime)
        if reset_language and self.lang != self.start_language:
            self._set_language(self.start_language)
        start = self.screen_stack[0]
        if isinstance(start, LanguageAware) and start.language_stale:
            self.call_later(start.apply_language)
        elif isinstance(start, StartScreen):
            start.refresh_connection()
        if self.outreach is not None and not keep_help:
            # Between two visitors: nothing of the last one stays, on screen or in memory.
            self.outreach.visitor_left()
            self.end_visit()  # their answers to offer again, their larger text, their voice
            if isinstance(start, LanguageAware):
                start.language_stale = True
            from kiosk.ui.screens.outreach import OutreachScreen

            self.push_screen(OutreachScreen())

    # --- language ------------------------------------------------------------------------------

    def action_switch_language(self) -> None:
        self._set_language("en" if self.lang == "de" else "de")

    def _set_language(self, lang: str) -> None:
        self.lang = normalise_language(lang)
        if self.session is not None:
            self.session.lang = self.lang
        self._rebuild_visible_screens()

    # --- leaving -------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Ctrl+Q quits on a helper's own computer; a public terminal ignores it."""
        if not self.kiosk_mode:
            await super().action_quit()

    def action_help_quit(self) -> None:
        """Ctrl+C: on a public terminal nothing happens, not even a hint about quitting."""
        if not self.kiosk_mode:
            super().action_help_quit()

    def action_staff_exit(self) -> None:
        """F12: with their PIN, staff reach the staff screen (stick, sync, closing the kiosk).

        The PIN window itself counts wrong PINs and says how long to wait after too many.
        """
        if any(isinstance(screen, (StaffPinScreen, StaffScreen)) for screen in self.screen_stack):
            return
        window = StaffPinScreen()

        def leave(correct: bool | None) -> None:
            if correct:
                self._last_activity = monotonic()
                self.push_screen(StaffScreen(pin_too_short=window.pin_too_short))

        self.push_screen(window, leave)

    # --- no time pressure ----------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event,
            (events.Key, events.MouseDown, events.MouseScrollUp, events.MouseScrollDown, events.Paste),
        ):
            self._last_activity = monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        if self.speaker.speaking:  # listening to the screen being read is being there
            self._last_activity = monotonic()
        quiet_allowed = self.idle_seconds * self.visit.time_factor
        if self._idle_prompt_open or monotonic() - self._last_activity < quiet_allowed:
            return
        staff = [screen for screen in self.screen_stack if isinstance(screen, StaffScreen)]
        if staff:
            if staff[0].busy:  # a stick being written is no sign that staff have gone
                self._last_activity = monotonic()
            else:  # never left open for the next citizen, and no question to staff who left
                self.return_to_start(reset_language=True)
            return
        if self.outreach is not None and self.session is None and self.assisted is None:
            return  # between visitors of an outreach day the volunteer is in charge of the screen
        if (
            len(self.screen_stack) <= 1
            and self.session is None
            and self.assisted is None
            and not self.visit.knows_something
        ):
            if self.lang != self.start_language:
                self._set_language(self.start_language)  # the next person is greeted as usual
            if self.visit != Visit():
                self.end_visit()  # choices of someone who left without starting anything
            return
        self._idle_prompt_open = True

        def answered(keep: bool | None) -> None:
            self._idle_prompt_open = False
            self._last_activity = monotonic()
            if not keep:
                self.return_to_start(reset_language=True)

        saved = any(isinstance(screen, ReceiptScreen) for screen in self.screen_stack)
        self.speaker.stop()
        self.push_screen(
            StillThereScreen(self.answer_seconds * self.visit.time_factor, already_saved=saved),
            answered,
        )

    # --- the town hall -------------------------------------------------------------------------

    def sync_in_background(self) -> None:
        """Exchange with the town hall in a thread, one exchange at a time."""
        if self._sync_worker is not None and self._sync_worker.is_running:
            return
        self._sync_worker = self.run_worker(
            self._sync_once, thread=True, group="sync", exit_on_error=False
        )

    def send_soon(self) -> None:
        """No needless waiting: while the town hall is reachable, a new application leaves at
        once instead of at the next timed round."""
        if not (self.runtime.config.server_url and self.runtime.link_up):
            return
        if self._sync_worker is not None and self._sync_worker.is_running:
            self._send_again = True  # that round may be past its uploads: one more right after it
            return
        self.sync_in_background()

    def _sync_once(self) -> None:
        """One attempt per round: the next round is the retry, and a dead link never keeps the
        kiosk from closing for long."""
        from sync.outbox import BACKGROUND_TIMEOUTS, RetryPolicy  # the network client: not at start

        try:
            report = self.runtime.sync_now(
                lang=self.lang, policy=RetryPolicy(attempts=1), timeouts=BACKGROUND_TIMEOUTS
            )
        except RathausError as exc:  # the footer shows the waiting count; nobody at the screen can act
            log.info("exchange with the town hall failed: %s", exc.detail or exc.message)
            return
        self.post_message(SyncFinished(report))

    def on_sync_finished(self, message: SyncFinished) -> None:
        error = getattr(message.report, "error", None)
        if error:
            log.info("exchange with the town hall incomplete: %s", error)
        if getattr(message.report, "refused", False):
            if not self.townhall_refuses:
                log.warning("the town hall refuses this kiosk: %s", error)
            self.townhall_refuses = True
        elif not error:  # only a successful exchange shows that the town hall accepts us again
            self.townhall_refuses = False
        self.refresh_connection_lines()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A round that ended while an application waited for it: the next one starts now."""
        if event.worker is self._sync_worker and event.state in _ENDED and self._send_again:
            self._send_again = False
            self.send_soon()

    def refresh_connection_lines(self) -> None:
        """Read the queue again for the start screen's footer (after a sync or a USB transfer)."""
        for screen in self.screen_stack:
            if isinstance(screen, StartScreen):
                screen.refresh_connection()

    # --- problems ------------------------------------------------------------------------------

    def on_problem_occurred(self, message: ProblemOccurred) -> None:
        self.show_problem(message.error)

    def _fatal_error(self) -> None:
        """A bug ends the kiosk (systemd starts it again). Textual would print a traceback with
        every variable on the screen, answers included; the log gets only where it happened, the
        screen a calm sentence."""
        error = sys.exc_info()[1] or self._exception
        log.error(
            "unexpected %s ended the kiosk:\n%s",
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__ if error else None)),
        )
        _ = self.gettext
        self.bell()
        self._exit_renderables.append(
            Text(_("Sorry, something went wrong. The kiosk restarts; please start again in a moment."))
        )
        self._close_messages_no_wait()

    def show_problem(self, error: RathausError | None) -> None:
        """The one place where a failure reaches the person: plain words, never a traceback."""
        _ = self.gettext
        if error is None:
            text = _("Something went wrong. Please ask the staff for help.")
        else:
            if error.detail:
                log.info("%s: %s", type(error).__name__, error.detail)
            text = error.message
            if isinstance(error, StoreFullError):  # the citizen's own words: answers still here
                text = error.citizen_message
            elif isinstance(error, StoreError):  # its words (file names, programs) are for staff
                log.info("store: %s", error.message)
                text = _(
                    "Your application could not be saved at this kiosk. Your answers are still "
                    "here: please try again, or ask the staff for help."
                )
        self.push_screen(NoticeScreen(_("Sorry"), text))
