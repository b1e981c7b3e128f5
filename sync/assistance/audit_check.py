"""The town hall's check of every kiosk's audit chain (``rathaus inbox audit``, the staff
workplace's audit page): gaps, rewrites, reordering, and heads the kiosk did not sign.

A gap may also be entries still on their way (a stick not brought in yet): the words say
"missing", and the check is run again when more batches have arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assisted_mode.audit import PROBLEM_TEXTS, ChainProblem, check_chain
from kiosk.errors import RathausError
from kiosk.i18n import N_, translator
from sync.allowlist import Allowlist
from sync.assistance.registry import REGISTRY_FILE, Registry, open_registry

CONFLICT = "conflict"
CONFLICT_TEXT = N_("entry {first} arrived twice with different contents")


@dataclass(frozen=True)
class KioskAudit:
    kiosk_id: str
    entries: int
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def problem_texts(self, lang: str) -> list[str]:
        _ = translator(lang)
        texts = []
        for problem in self.problems:
            template = CONFLICT_TEXT if problem.kind == CONFLICT else PROBLEM_TEXTS[problem.kind]
            texts.append(_(template).format(first=problem.first, last=problem.last or problem.first))
        return texts


def check_kiosk_audit(registry: Registry, allowlist: Allowlist, kiosk_id: str) -> KioskAudit:
    entries = registry.audit_entries(kiosk_id)
    heads = registry.audit_heads(kiosk_id)
    problems = check_chain(kiosk_id, entries, heads, _kiosk_keys(allowlist, kiosk_id))
    problems += [ChainProblem(CONFLICT, seq) for seq in registry.audit_conflicts(kiosk_id)]
    return KioskAudit(kiosk_id, len(entries), sorted(problems, key=lambda p: (p.first, p.kind)))


def _kiosk_keys(allowlist: Allowlist, kiosk_id: str) -> list:
    try:
        return [entry.public_key for entry in allowlist.list() if entry.kiosk_id == kiosk_id]
    except RathausError:
        return []


def check_audit(townhall_dir: Path | str, allowlist: Allowlist | None = None) -> list[KioskAudit]:
    """One ``KioskAudit`` per kiosk that ever sent an audit chain, in kiosk-id order."""
    townhall_dir = Path(townhall_dir)
    if not (townhall_dir / REGISTRY_FILE).exists():
        return []
    allowlist = allowlist or Allowlist(townhall_dir)
    with open_registry(townhall_dir) as registry:
        return [check_kiosk_audit(registry, allowlist, kiosk) for kiosk in registry.audit_kiosks()]


__all__ = ["KioskAudit", "check_audit", "check_kiosk_audit"]
