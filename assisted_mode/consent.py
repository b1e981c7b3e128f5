"""The consent a citizen gives before anyone helps, in words that carry a version.

The words are part of the kiosk's interface (translated like every other text); what is sealed
with the application is the version of those words and the moment they were agreed to, so the
town hall can later show exactly which sentence the citizen said yes to. A change of wording is a
new version here, never an edit of an old one: ``CONSENT_TEXTS`` keeps every version ever shown.
"""

from __future__ import annotations

import re

from kiosk.i18n import N_, translator

CONSENT_VERSION = "2026-1"

CONSENT_TEXTS: dict[str, dict[str, str]] = {
    "2026-1": {
        "assistant": N_(
            "{helper} will help you fill in this application. {helper} sees the answers you "
            "give. You check everything yourself at the end and decide whether it is sent. "
            "You can stop the help at any time: then everything typed so far is deleted."
        ),
        "representative": N_(
            "{helper} acts for {principal} with a power of attorney. {helper} fills in and "
            "sends this application on behalf of {principal}. The town hall checks the power "
            "of attorney. You can stop at any time: then everything typed so far is deleted."
        ),
    }
}


def consent_text(role: str, lang: str, *, helper: str, principal: str = "", version: str = CONSENT_VERSION) -> str:
    """The consent sentence of ``version`` for ``role`` in ``lang``, with the names filled in."""
    _ = translator(lang)
    text = _(CONSENT_TEXTS[version][role]).format(helper=helper, principal=principal)
    # A short name ends with a full stop ("Maria S."): at the end of a sentence one is enough.
    return re.sub(r"(?<=[^\s.]\.)\.(?=\s|$)", "", text)
