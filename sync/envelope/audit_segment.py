"""The ``audit`` member of a ``rathaus-batch/2`` header: entries of a kiosk's audit chain and
its signed head, as bytes on the wire (docs/envelope.md 5.3).

Only the format lives here; the chain rule (how an entry's hash is made, what a gap or a rewrite
is) is ``assisted_mode.audit``, which both the kiosk and the town hall import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sync.envelope import fields as f
from sync.envelope.failures import KIND_BATCH
from sync.envelope.limits import MAX_AUDIT_ENTRIES_PER_BATCH as MAX_ENTRIES_PER_BATCH

SIGN_IN = "sign_in"
SIGN_IN_REFUSED = "sign_in_refused"
CONSENT = "consent"
WITHDRAW = "withdraw"
WIPE = "wipe"
SUBMIT = "submit"
PAUSE = "pause"
RESUME = "resume"
SIGN_OUT = "sign_out"
ACTIONS: tuple[str, ...] = (
    SIGN_IN, SIGN_IN_REFUSED, CONSENT, WITHDRAW, WIPE, SUBMIT, PAUSE, RESUME, SIGN_OUT,
)
ACTOR = re.compile(r"[VP][0-9]{4,6}|person")
"""A volunteer id, a power-of-attorney id, or ``person`` (a helper who is not enrolled)."""
OPTIONAL_CODE = re.compile(r"|[0-9A-HJKMNP-TV-Z]{9}")
_HASH = re.compile(r"[0-9a-f]{64}")
_ENTRY_KEYS = frozenset({"seq", "at", "action", "actor", "reference", "prev"})
_HEAD_KEYS = frozenset({"seq", "hash", "signature"})
_SEGMENT_KEYS = frozenset({"entries", "head"})


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    action: str
    actor: str
    reference: str
    prev: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "at": self.at, "action": self.action, "actor": self.actor,
            "reference": self.reference, "prev": self.prev,
        }


@dataclass(frozen=True)
class SignedHead:
    """The latest entry's number and hash, signed by the kiosk when a batch was built."""

    seq: int
    hash: str
    signature: str  # base64 Ed25519 over the head message

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "signature": self.signature}


@dataclass(frozen=True)
class AuditSegment:
    """What one batch carries: the entries since the last batch (maybe none) and the head."""

    entries: tuple[AuditEntry, ...]
    head: SignedHead

    def to_json(self) -> dict[str, Any]:
        return {"entries": [e.to_json() for e in self.entries], "head": self.head.to_json()}


# -- reading what a batch carries ----------------------------------------------------------------


def read_entry(value: object, position: int = 0) -> AuditEntry:
    fields = f.Fields(value, KIND_BATCH, _ENTRY_KEYS, where=f"audit entry {position}")
    return AuditEntry(
        seq=fields.integer("seq", minimum=1),
        at=fields.timestamp("at"),
        action=fields.choice("action", ACTIONS),
        actor=fields.text("actor", ACTOR),
        reference=fields.text("reference", OPTIONAL_CODE),
        prev=fields.text("prev", _HASH),
    )


def read_segment(value: object) -> AuditSegment:
    """The ``audit`` member of a batch header, checked: consecutive entries ending at the head."""
    fields = f.Fields(value, KIND_BATCH, _SEGMENT_KEYS, where="audit")
    raw = fields.objects("entries", maximum=MAX_ENTRIES_PER_BATCH)
    entries = tuple(read_entry(entry, n) for n, entry in enumerate(raw))
    head_fields = f.Fields(fields.value["head"], KIND_BATCH, _HEAD_KEYS, where="audit head")
    head = SignedHead(
        seq=head_fields.integer("seq", minimum=1),
        hash=head_fields.text("hash", _HASH),
        signature=head_fields.text("signature", re.compile(r"[A-Za-z0-9+/]{86}==")),
    )
    for before, after in zip(entries, entries[1:]):
        if after.seq != before.seq + 1:
            raise fields.fail("entries are not consecutive")
    if entries and entries[-1].seq != head.seq:
        raise fields.fail("the head is not the last entry")
    return AuditSegment(entries, head)
