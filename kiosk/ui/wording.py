"""The words around the questions, fitting what the person hands in and where it is now.

A service's ``kind`` (docs/forms.md) says what it hands in: an *application* is approved or refused
and is cancelled; a *message* to the town hall is neither, so it is discarded, and the town hall
"deals with" it. The texts here are the kiosk's own (translated in ui.po); the form only names
its kind.

Where an application is, is said as it is: until the town hall confirms it, it is saved at this
kiosk, also while a batch with it is being sent or waits for a connection; on a kiosk served by USB
stick it goes with the next transport.
"""

from __future__ import annotations

from typing import Any

from kiosk.i18n import N_, translator
from kiosk.store import OutboxState

_WORDS: dict[str, dict[str, str]] = {
    "application": {
        "cancel": N_("Cancel application"),
        "cancel?": N_("Cancel the application?"),
        "cancel-consequence": N_("Your answers will be deleted."),
        "cancel-yes": N_("Yes, cancel"),
        "sealing": N_("Sealing your application …"),
        "saved": N_("Thank you! Your application has been saved."),
    },
    "message": {
        "cancel": N_("Discard message"),
        "cancel?": N_("Discard the message?"),
        "cancel-consequence": N_("What you have written will be deleted."),
        "cancel-yes": N_("Yes, discard"),
        "sealing": N_("Sealing your message …"),
        "saved": N_("Thank you! Your message has been saved."),
    },
}

# The town hall's status (sync.envelope.STATUSES) in the words of the kind.
_STATUS: dict[str, dict[str, str]] = {
    "application": {
        "received": N_("The town hall has received your application."),
        "in_progress": N_("The town hall is working on your application."),
        "accepted": N_("Your application has been approved."),
        "rejected": N_("Your application could not be approved."),
        "appointment_confirmed": N_("Your appointment is confirmed."),
        "needs_information": N_("The town hall needs more information from you."),
        "answered": N_("The town hall has answered your application."),
    },
    "message": {
        "received": N_("The town hall has received your message."),
        "in_progress": N_("The town hall is dealing with your message."),
        "accepted": N_("The town hall has dealt with your message."),
        "rejected": N_("The town hall cannot take up your message, sorry."),
        "appointment_confirmed": N_("Your appointment is confirmed."),
        "needs_information": N_("The town hall needs more information from you."),
        "answered": N_("The town hall has answered your message."),
    },
}

_WAITING: dict[str, dict[str, str]] = {
    "application": {
        "network": N_(
            "Your application is saved at this kiosk. It will be sent to the town hall as soon "
            "as there is a connection."
        ),
        "stick": N_(
            "Your application is saved at this kiosk. It goes to the town hall with the next USB "
            "transport."
        ),
        "on-stick": N_(
            "Your application is on a USB stick on its way to the town hall. It stays saved at "
            "this kiosk until the town hall confirms it."
        ),
        "arrived": N_("Your application has arrived at the town hall. There is no answer yet."),
    },
    "message": {
        "network": N_(
            "Your message is saved at this kiosk. It will be sent to the town hall as soon as "
            "there is a connection."
        ),
        "stick": N_(
            "Your message is saved at this kiosk. It goes to the town hall with the next USB "
            "transport."
        ),
        "on-stick": N_(
            "Your message is on a USB stick on its way to the town hall. It stays saved at this "
            "kiosk until the town hall confirms it."
        ),
        "arrived": N_("Your message has arrived at the town hall. There is no answer yet."),
    },
}


def _kind(kind: str | None) -> str:
    return kind if kind in _WORDS else "application"


def word(kind: str | None, key: str, lang: str) -> str:
    """One of the texts above (``"cancel"``, ``"saved"`` ...) for a service of this kind."""
    return translator(lang)(_WORDS[_kind(kind)][key])


def status_sentence(view: Any, kind: str | None, lang: str, *, by_stick: bool) -> str:
    """One plain, true sentence about where the application or message behind a code is."""
    _ = translator(lang)
    kind = _kind(kind)
    if view.status:
        return _(_STATUS[kind].get(view.status, _STATUS[kind]["answered"]))
    if view.state == OutboxState.ANSWERED:
        return _(_STATUS[kind]["answered"])
    if view.state == OutboxState.ACKNOWLEDGED:
        return _(_WAITING[kind]["arrived"])
    if by_stick:
        return _(_WAITING[kind]["on-stick" if view.state == OutboxState.SENT else "stick"])
    # Queued, or in a batch sent but not confirmed: still here until the town hall confirms it.
    return _(_WAITING[kind]["network"])
