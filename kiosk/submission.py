"""Turning a citizen's answers into a sealed, queued application, in one step.

The answers are sealed for the town hall's encryption key and signed by the kiosk in memory, inside the store's
transaction, with the receipt reference and capture time bound into the seal: the plain answers
never reach the kiosk's disk, and a power cut leaves either the whole sealed application in the
queue or nothing (and then no receipt was printed either).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assisted_mode.record import AssistanceRecord, with_assistance
from kiosk.forms import FormDefinition
from kiosk.store import AuditNote, QueuedSubmission, Store

from sync.envelope import ItemMeta, seal_item
from sync.envelope.suites import RecipientPublicKey


def submit_application(
    store: Store,
    form: FormDefinition,
    answers: Mapping[str, Any],
    *,
    kiosk_id: str,
    recipient: RecipientPublicKey,
    signing_key: Ed25519PrivateKey,
    now: datetime | None = None,
    assistance: AssistanceRecord | None = None,
    audit_actor: str = "",
) -> QueuedSubmission:
    """Seal ``answers`` to ``form`` for the town hall and queue them; returns the receipt data.

    ``answers`` are what ``FormSession.answers()`` gives: only questions of this form. The item is
    sealed with the suite of the pinned town-hall key ``recipient`` and signed with this kiosk's
    ``signing_key``, so staff can tell at opening that this kiosk made it.

    An assisted application seals ``assistance`` beside the answers (``@assistance``, docs/envelope.md
    4.8) and records ``submit`` by ``audit_actor`` in the audit chain in the same transaction.
    """
    asked = {field.id for field in form.fields}
    unknown = sorted(set(answers) - asked)
    if unknown:
        # A programming error, not something a citizen did: name the questions, never the values.
        raise ValueError(f"answers for questions form {form.id!r} does not ask: {', '.join(unknown)}")

    def seal(reference: str, captured_at: str) -> bytes:
        meta = ItemMeta(
            form_id=form.id,
            form_version=form.version,
            form_hash=form.content_hash,
            kiosk_id=kiosk_id,
            reference=reference,
            captured_at=captured_at,
        )
        return seal_item(meta, with_assistance(answers, assistance), recipient, signing_key)

    return store.queue_submission(
        form_id=form.id,
        form_version=form.version,
        form_hash=form.content_hash,
        seal=seal,
        now=now,
        audit=AuditNote(kiosk_id, audit_actor) if assistance is not None else None,
    )
