"""What the kiosk will show for a status, in the kiosk's own words, for the staff's preview.

The sentence comes from the kiosk's wording module itself (``kiosk.ui.wording``, which needs no
terminal), so the preview cannot drift from what the citizen reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import translator
from kiosk.store import OutboxState
from kiosk.ui.wording import status_sentence
from sync.inbox import InboxEntry


@dataclass(frozen=True)
class _View:
    status: str
    state: OutboxState = OutboxState.ANSWERED


def kiosk_preview(status: str, message: str, kind: str | None, entry: InboxEntry, lang: str) -> dict[str, str]:
    """The kiosk's status page for this code as the citizen will read it (in ``lang``)."""
    _ = translator(lang)
    return {
        "service": entry.service,
        "sentence": status_sentence(_View(status), kind, lang, by_stick=False),
        "heading": _("Message from the town hall:") if message else "",
        "message": message,
        "code": entry.reference,
        "paper": "1" if entry.on_paper else "",
    }
