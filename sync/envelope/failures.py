"""The one way this package fails: ``EnvelopeError`` with a stable code and a plain message.

Codes are part of the format (docs/envelope.md, "Errors"); other programs and the town hall's logs
rely on them, so they never change meaning. Messages are for staff and are translated into the
language of the shell the staff tool runs in; ``detail`` names the technical reason for the log and
never holds answers or other personal data.
"""

from __future__ import annotations

from kiosk.errors import EnvelopeError
from kiosk.i18n import N_, language_from_environment, translator

MALFORMED = "malformed"
TOO_LARGE = "too_large"
UNSUPPORTED_VERSION = "unsupported_version"
UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
BAD_SIGNATURE = "bad_signature"
DIGEST_MISMATCH = "digest_mismatch"
WRONG_RECIPIENT = "wrong_recipient"
TAMPERED = "tampered"
WRONG_KIOSK = "wrong_kiosk"
WRONG_BATCH = "wrong_batch"
STALE = "stale"
UNKNOWN_KIOSK = "unknown_kiosk"
REVOKED_KIOSK = "revoked_kiosk"
ALREADY_ENROLLED = "already_enrolled"

ERROR_CODES: tuple[str, ...] = (
    MALFORMED,
    TOO_LARGE,
    UNSUPPORTED_VERSION,
    UNSUPPORTED_ALGORITHM,
    BAD_SIGNATURE,
    DIGEST_MISMATCH,
    WRONG_RECIPIENT,
    TAMPERED,
    WRONG_KIOSK,
    WRONG_BATCH,
    STALE,
    UNKNOWN_KIOSK,
    REVOKED_KIOSK,
    ALREADY_ENROLLED,
)

# What a message is about; every sentence below starts with one of these.
KIND_ITEM = N_("The sealed application")
KIND_BATCH = N_("The batch")
KIND_ACK = N_("The acknowledgement")
KIND_STATUS_BUNDLE = N_("The status update")
KIND_STATUS_REQUEST = N_("The status request")
KIND_ENROLMENT = N_("The enrolment request")
KIND_ANSWERS = N_("The content of the application")

_MESSAGES = {
    MALFORMED: N_("{kind} is damaged or not in the expected format."),
    TOO_LARGE: N_("{kind} is larger than allowed."),
    UNSUPPORTED_VERSION: N_(
        "{kind} uses format version {version}, which this program does not know. "
        "Please update the software."
    ),
    UNSUPPORTED_ALGORITHM: N_(
        "{kind} uses the method {name}, which this program does not know. Please update the software."
    ),
    BAD_SIGNATURE: N_(
        "{kind} does not carry a valid signature of its sender: "
        "it was changed on the way or comes from someone else."
    ),
    DIGEST_MISMATCH: N_("{kind} does not match its own list of contents."),
    WRONG_RECIPIENT: N_(
        "{kind} was sealed for the key {expected}, not for the key {found} used to open it."
    ),
    TAMPERED: N_("{kind} was changed after it was sealed and cannot be opened."),
    WRONG_KIOSK: N_("{kind} is for kiosk {found}, not for kiosk {expected}."),
    WRONG_BATCH: N_("{kind} is for batch {found}, not for batch {expected}."),
    STALE: N_(
        "{kind} was made at {created_at}, too far from the current time. "
        "Please check the kiosk's clock."
    ),
    UNKNOWN_KIOSK: N_("Kiosk {kiosk_id} is not enrolled at this town hall."),
    REVOKED_KIOSK: N_("Kiosk {kiosk_id} was blocked at {revoked_at}."),
    ALREADY_ENROLLED: N_(
        "Kiosk {kiosk_id} is already enrolled with a different key. "
        "Revoke the old key first with: rathaus keys revoke {kiosk_id}"
    ),
}


def envelope_error(code: str, kind: str = "", *, detail: str = "", **values: object) -> EnvelopeError:
    """Build the error for ``code``; ``kind`` is one of the ``KIND_*`` texts."""
    _ = translator(language_from_environment())
    text = _(_MESSAGES[code]).format(kind=_(kind) if kind else "", **values)
    return EnvelopeError(code, text, detail=detail)
