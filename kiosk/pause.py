"""Pause an application and resume it days later with the code on the pause slip.

``pause_application`` seals the session's answers under the code's key (``assisted_mode.pause``)
and forgets them from memory; ``resume_application`` opens them again, counted against the kiosk's
lock-out (``kiosk.staff_access.counted_attempt``, counter ``pause_code``) so codes cannot be tried
quickly. A draft that expired is deleted unread and the person is told so; a resumed draft is
deleted at once (a slip works once), and the session carries on where it stopped. Answers given
with a helper come back with that help (``Resumed.assisted``): the application still says who
helped, or who files it on whose behalf, and the citizen can still stop the help (F9).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from assisted_mode import audit, pause
from assisted_mode.record import read_assistance
from assisted_mode.visit import AssistedVisit
from kiosk import assistance
from kiosk.errors import RathausError
from kiosk.forms import FormSession
from kiosk.staff_access import counted_attempt

COUNTER = "pause_code"
WRONG = "wrong"
LOCKED = "locked"
EXPIRED = "expired"
CHANGED = "changed"
POWER_UNKNOWN = "power_unknown"


@dataclass(frozen=True)
class PauseSlip:
    code: str  # compact, 12 symbols
    form_id: str
    expires_at: str  # UTC timestamp

    @property
    def display_code(self) -> str:
        return pause.display(self.code)


@dataclass(frozen=True)
class Resumed:
    session: FormSession | None
    problem: str = ""
    wait_seconds: int = 0
    assisted: AssistedVisit | None = None  # the help the answers were given with, if any


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pause_application(runtime: Any, session: FormSession, visit: Any = None) -> PauseSlip:
    """Seal ``session`` under a new pause code; the caller then drops the session from memory."""
    now = assistance._now()
    store = runtime.store
    store.forget_expired_pauses(_stamp(now))
    code = pause.new_pause_code()
    key = pause.derive(code, store.pause_salt())
    expires_at = _stamp(now + dt.timedelta(days=pause.KEEP_DAYS))
    draft = {
        "form_id": session.form.id,
        "form_hash": session.form.content_hash,
        "session": session.snapshot(),
        "helped_by": visit.actor if visit is not None else "",
        "assisted": visit.record().to_json() if visit is not None and visit.consented else None,
    }
    store.keep_paused(key.lookup, pause.seal_draft(key, expires_at, draft), paused_at=_stamp(now), expires_at=expires_at)
    if visit is not None:
        store.append_audit(runtime.kiosk_id, action=audit.PAUSE, actor=visit.actor, at=_stamp(now))
    return PauseSlip(code, session.form.id, expires_at)


def forget_expired(runtime: Any) -> int:
    """Delete paused drafts past their last day, unread (at start and after each visit: a kiosk
    where nobody pauses or resumes again must not keep them)."""
    return runtime.store.forget_expired_pauses(_stamp(assistance._now()))


def resume_application(runtime: Any, typed: str, lang: str) -> Resumed:
    now = assistance._now()
    store = runtime.store
    code = pause.read_pause_code(typed)
    found: dict[str, Any] = {}

    def check() -> bool:
        found["ran"] = True
        if code is None:
            return False
        key = pause.derive(code, store.pause_salt())
        row = store.paused(key.lookup)
        if row is None:
            return False
        sealed, expires_at = row
        if expires_at <= _stamp(now):
            store.forget_paused(key.lookup)
            found["problem"] = EXPIRED
            return False
        draft = pause.open_draft(key, expires_at, sealed)
        if draft is None:
            return False
        store.forget_paused(key.lookup)  # a slip works once
        found["draft"] = draft
        return True

    attempt = counted_attempt(store, check, now.timestamp(), COUNTER)
    store.forget_expired_pauses(_stamp(now))
    if not attempt.accepted:
        problem = found.get("problem", WRONG if found.get("ran") else LOCKED)
        return Resumed(None, problem, attempt.wait_seconds)
    draft = found["draft"]
    try:
        form = runtime.form(draft["form_id"])
    except Exception:
        return Resumed(None, CHANGED)
    if form.content_hash != draft.get("form_hash"):
        return Resumed(None, CHANGED)
    if draft.get("helped_by"):
        store.append_audit(runtime.kiosk_id, action=audit.RESUME, actor=draft["helped_by"], at=_stamp(now))
    try:
        assisted = _help_again(store, draft.get("assisted"))
    except LookupError:
        return Resumed(None, POWER_UNKNOWN)
    # A booking form offers the free times as of now: a time given away meanwhile is no longer
    # offered, and booking it is refused at the end with a plain message.
    return Resumed(FormSession.restore(runtime.prepare_form(form), draft["session"], lang), assisted=assisted)


def _help_again(store: Any, value: Any) -> AssistedVisit | None:
    """The help a paused draft was filled in with, as a visit again (the citizen agreed to it
    before pausing); the power of attorney as the kiosk knows it today, so the screens check it
    again. ``LookupError`` when that power is no longer known here."""
    if not value:
        return None
    try:
        record = read_assistance(value)
    except RathausError:
        raise LookupError("the help recorded with the draft cannot be read") from None
    power = None
    if record.power_id:
        power = assistance.known_powers(store).get(record.power_id)
        if power is None:
            raise LookupError(record.power_id)
    return AssistedVisit(record.role, record.helper, power, record.consent_version, record.consent_given_at)
