"""The audit chain: the rule that links on-behalf actions, and the check that finds any change.

Each kiosk keeps an append-only log of what helpers did (sign-in, consent, withdraw, wipe,
submit, pause, resume, sign-out, a refused volunteer) with ids only: the volunteer's or the power
of attorney's id, a receipt code where there is one, never a name or an answer. Every entry names
the hash of the one before, so rewriting, deleting or reordering one changes every hash after it.
Each batch carries the entries since the last batch and the latest hash signed by the kiosk's key
(the *head*); the town hall keeps entries and heads and checks the whole chain with
``check_chain``. Both sides import this module and nothing else decides what an entry hash is.

    entry_hash = hex(SHA-256("rathaus-audit/1" LF || kiosk_id LF || entry-json))
    head message = "rathaus-audit-head/1" LF || kiosk_id LF || decimal(seq) LF || hash

``entry-json`` is the entry as sorted, whitespace-free JSON (docs/envelope.md, section 5.3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.i18n import N_
from sync.envelope.wire import encode_json

from sync.envelope.audit_segment import (  # the format; re-exported for both sides
    ACTIONS,
    ACTOR,
    CONSENT,
    MAX_ENTRIES_PER_BATCH,
    PAUSE,
    RESUME,
    SIGN_IN,
    SIGN_IN_REFUSED,
    SIGN_OUT,
    SUBMIT,
    WIPE,
    WITHDRAW,
    AuditEntry,
    AuditSegment,
    SignedHead,
    read_entry,
    read_segment,
)
from sync.envelope.audit_segment import OPTIONAL_CODE as _OPTIONAL_CODE

GENESIS = "0" * 64
ENTRY_DOMAIN = b"rathaus-audit/1\n"
HEAD_DOMAIN = b"rathaus-audit-head/1\n"


def entry_hash(kiosk_id: str, entry: AuditEntry) -> str:
    data = ENTRY_DOMAIN + kiosk_id.encode() + b"\n" + encode_json(entry.to_json())
    return hashlib.sha256(data).hexdigest()


def next_entry(
    kiosk_id: str, previous: AuditEntry | None, *, at: str, action: str, actor: str, reference: str = ""
) -> tuple[AuditEntry, str]:
    """The entry after ``previous`` (``None``: the first) and its hash."""
    if action not in ACTIONS or not ACTOR.fullmatch(actor) or not _OPTIONAL_CODE.fullmatch(reference):
        raise ValueError(f"not an audit entry: {action!r} by {actor!r}")
    entry = AuditEntry(
        seq=1 if previous is None else previous.seq + 1,
        at=at,
        action=action,
        actor=actor,
        reference=reference,
        prev=GENESIS if previous is None else entry_hash(kiosk_id, previous),
    )
    return entry, entry_hash(kiosk_id, entry)


def _head_message(kiosk_id: str, seq: int, hash_: str) -> bytes:
    return HEAD_DOMAIN + f"{kiosk_id}\n{seq}\n{hash_}".encode()


def sign_head(kiosk_id: str, seq: int, hash_: str, key: Ed25519PrivateKey) -> SignedHead:
    signature = key.sign(_head_message(kiosk_id, seq, hash_))
    return SignedHead(seq, hash_, base64.b64encode(signature).decode())


def head_is_genuine(kiosk_id: str, head: SignedHead, key: Ed25519PublicKey) -> bool:
    try:
        signature = base64.b64decode(head.signature, validate=True)
        key.verify(signature, _head_message(kiosk_id, head.seq, head.hash))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


# -- the town hall's check -------------------------------------------------------------------------

GAP = "gap"
BROKEN_LINK = "broken_link"
OUT_OF_ORDER = "out_of_order"
HEAD_MISMATCH = "head_mismatch"
BAD_HEAD_SIGNATURE = "bad_head_signature"
UNSIGNED_TAIL = "unsigned_tail"
PROBLEM_TEXTS = {
    GAP: N_("entries {first} to {last} are missing"),
    BROKEN_LINK: N_("entry {first} does not follow the entry before it: an entry was changed or moved"),
    OUT_OF_ORDER: N_("entry {first} is out of order"),
    HEAD_MISMATCH: N_("entry {first} differs from what the kiosk signed: it was changed"),
    BAD_HEAD_SIGNATURE: N_("the kiosk's signature on entry {first} is not genuine"),
    UNSIGNED_TAIL: N_("entries from {first} on were never signed by the kiosk"),
}


@dataclass(frozen=True)
class ChainProblem:
    kind: str
    first: int
    last: int = 0


def check_chain(
    kiosk_id: str,
    entries: Sequence[AuditEntry],
    heads: Iterable[SignedHead],
    kiosk_keys: Sequence[Ed25519PublicKey] | None,
) -> list[ChainProblem]:
    """Every problem in one kiosk's chain as the town hall holds it (entries in stored order).

    Empty when the entries run 1, 2, 3 … without a gap, each names the hash of the one before,
    every signed head matches the entry of its number and its signature holds, and the last
    entry is covered by a head. ``kiosk_keys`` are the keys the kiosk ever had (one replaced kiosk
    may have signed earlier heads with an earlier key); ``None`` skips the signatures. A deleted entry shows as a gap, a moved one as out of order or a
    broken link, a changed one as a broken link after it or a head that no longer matches.
    """
    problems: list[ChainProblem] = []
    hashes: dict[int, str] = {}
    previous: AuditEntry | None = None
    for entry in entries:
        expected = 1 if previous is None else previous.seq + 1
        if entry.seq < expected:
            problems.append(ChainProblem(OUT_OF_ORDER, entry.seq))
            continue
        if entry.seq > expected:
            problems.append(ChainProblem(GAP, expected, entry.seq - 1))
        elif entry.prev != (GENESIS if previous is None else hashes[previous.seq]):
            problems.append(ChainProblem(BROKEN_LINK, entry.seq))
        hashes[entry.seq] = entry_hash(kiosk_id, entry)
        previous = entry
    last_signed = 0
    for head in heads:
        if head.seq not in hashes:
            if previous is None or head.seq > previous.seq:
                problems.append(ChainProblem(GAP, (previous.seq + 1) if previous else 1, head.seq))
            continue
        if hashes[head.seq] != head.hash:
            problems.append(ChainProblem(HEAD_MISMATCH, head.seq))
        elif kiosk_keys is not None and not any(head_is_genuine(kiosk_id, head, k) for k in kiosk_keys):
            problems.append(ChainProblem(BAD_HEAD_SIGNATURE, head.seq))
        last_signed = max(last_signed, head.seq)
    if previous is not None and previous.seq > last_signed:
        problems.append(ChainProblem(UNSIGNED_TAIL, last_signed + 1))
    return problems


__all__ = [
    "ACTIONS", "ACTOR", "CONSENT", "MAX_ENTRIES_PER_BATCH", "PAUSE", "RESUME", "SIGN_IN",
    "SIGN_IN_REFUSED", "SIGN_OUT", "SUBMIT", "WIPE", "WITHDRAW", "AuditEntry", "AuditSegment",
    "ChainProblem", "GENESIS", "PROBLEM_TEXTS", "SignedHead", "check_chain", "entry_hash",
    "head_is_genuine", "next_entry", "read_entry", "read_segment", "sign_head",
]
