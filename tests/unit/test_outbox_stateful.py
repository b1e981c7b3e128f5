"""Whatever happens between kiosk and town hall — lost acknowledgements, batches that never
arrive, answers before acknowledgements, restarts — no application is lost or sent twice."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from kiosk.store import OutboxState, StatusRecord, digest_of, open_store


def seal(reference: str, captured_at: str) -> bytes:
    return f"sealed:{reference}".encode()


def build(items: list[bytes], sequence: int, batch_id: str) -> bytes:
    return json.dumps(
        {"sequence": sequence, "batch_id": batch_id, "items": [i.decode() for i in items]}
    ).encode()


def items_in(data: bytes) -> list[str]:
    return [item.removeprefix("sealed:") for item in json.loads(data)["items"]]


class OutboxMachine(RuleBasedStateMachine):
    """The store against a model: the town hall's record of what it received and answered."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="outbox-"))
        self.store = open_store(self.folder / "kiosk.db")
        self.references: list[str] = []  # every application ever stored, in order
        self.batch_of: dict[str, str] = {}  # reference -> the one batch that carries it
        self.batches: dict[str, tuple[str, ...]] = {}  # batch id -> references
        self.pending: str | None = None
        self.acknowledged: dict[str, None] = {}  # in the order acknowledged, so replays draw alike
        self.town_hall: dict[str, str] = {}  # reference -> batch id it arrived in
        self.delivered_batches: set[str] = set()
        self.serial: dict[str, int] = {}  # reference -> serial of its status
        self.highest_serial = 0
        self.last_sequence = 0
        self.refused: set[str] = set()  # refused by the town hall: back in the queue for staff

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- what happens ------------------------------------------------------------------------

    @rule()
    def citizen_submits(self) -> None:
        item = self.store.queue_submission(form_id="f", form_version="1", form_hash="h", seal=seal)
        assert item.reference not in self.references
        self.references.append(item.reference)

    @rule(max_items=st.integers(1, 4), arrives=st.booleans())
    def kiosk_sends(self, max_items: int, arrives: bool) -> None:
        batch = self.store.take_batch(build, max_items=max_items)
        waiting = [r for r in self.references if r not in self.batch_of and r not in self.refused]
        if self.pending is not None:
            assert batch is not None and batch.batch_id == self.pending
            assert batch.references == self.batches[self.pending]
        elif not waiting:
            assert batch is None
            return
        else:
            assert batch is not None and batch.batch_id not in self.batches
            assert batch.references == tuple(waiting[:max_items])  # oldest first
            assert batch.sequence == self.last_sequence + 1
            self.last_sequence = batch.sequence
            self.pending = batch.batch_id
            self.batches[batch.batch_id] = batch.references
            for reference in batch.references:
                assert reference not in self.batch_of
                self.batch_of[reference] = batch.batch_id
        assert items_in(batch.data) == list(batch.references)
        self.store.record_attempt(batch.batch_id)
        if arrives:  # the town hall stores a batch id once, however often it comes
            self.delivered_batches.add(batch.batch_id)
            for reference in items_in(batch.data):
                assert self.town_hall.setdefault(reference, batch.batch_id) == batch.batch_id

    @precondition(lambda self: self.pending in self.delivered_batches)
    @rule()
    def acknowledgement_arrives(self) -> None:
        batch_id = self.pending
        assert self.store.mark_acknowledged(batch_id) == len(self.batches[batch_id])
        self.acknowledged[batch_id] = None
        self.pending = None

    @precondition(lambda self: self.pending in self.delivered_batches)
    @rule(data=st.data())
    def acknowledgement_refusing_some_arrives(self, data) -> None:
        """A different application under a code the town hall already holds is refused."""
        batch_id = self.pending
        candidates = [r for r in self.batches[batch_id] if r not in self.serial]
        refused = data.draw(st.sets(st.sampled_from(candidates), min_size=1) if candidates else st.just(set()))
        settled = self.store.apply_ack(batch_id, {digest_of(seal(r, "")): "reference_conflict" for r in refused})
        assert settled.confirmed == len(self.batches[batch_id]) - len(refused)
        assert sorted(settled.refused) == sorted((r, "reference_conflict") for r in refused)
        for reference in refused:
            del self.batch_of[reference]
            del self.town_hall[reference]
            self.refused.add(reference)
        self.acknowledged[batch_id] = None
        self.pending = None

    @precondition(lambda self: self.acknowledged)
    @rule(data=st.data())
    def old_acknowledgement_arrives_again(self, data) -> None:
        batch_id = data.draw(st.sampled_from(list(self.acknowledged)))
        assert self.store.mark_acknowledged(batch_id) == 0
        assert self.store.apply_ack(batch_id, {digest_of(seal(r, "")): "x" for r in self.refused}).refused == ()

    @precondition(lambda self: self.town_hall)
    @rule(data=st.data(), step=st.integers(-2, 3))
    def town_hall_answers(self, data, step: int) -> None:
        # arrival order: codes are random, so sorting them would make replays draw differently
        reference = data.draw(st.sampled_from(list(self.town_hall)))
        serial = max(1, self.highest_serial + step)
        current = self.serial.get(reference)
        changes = current is None or serial > current
        record = StatusRecord(reference, f"s{serial}", f"m{serial}", "2026-06-01T08:00:00Z", serial)
        assert self.store.apply_status([record]) == int(changes)
        if changes:
            self.serial[reference] = serial
        self.highest_serial = max(self.highest_serial, serial)

    @rule(serial=st.integers(1, 50))
    def answer_for_another_kiosk(self, serial: int) -> None:
        record = StatusRecord("ZZZZZZZZZ", "done", "", "2026-06-01T08:00:00Z", serial)
        assert self.store.apply_status([record]) == 0
        self.highest_serial = max(self.highest_serial, serial)

    @rule()
    def kiosk_restarts(self) -> None:
        self.store.close()
        self.store = open_store(self.folder / "kiosk.db")

    # -- what must always hold ---------------------------------------------------------------

    def expected_state(self, reference: str) -> OutboxState:
        batch_id = self.batch_of.get(reference)
        if batch_id is None:
            return OutboxState.QUEUED
        if reference in self.serial:
            return OutboxState.ANSWERED
        if batch_id in self.acknowledged:
            return OutboxState.ACKNOWLEDGED
        return OutboxState.SENT

    @invariant()
    def every_application_is_where_the_model_says(self) -> None:
        expected = {state: 0 for state in OutboxState}
        for reference in self.references:
            state = self.expected_state(reference)
            expected[state] += 1
            view = self.store.lookup(reference)
            assert view is not None and view.state is state
            if reference in self.serial:
                assert view.status == f"s{self.serial[reference]}"
        assert self.store.counts() == expected
        assert self.store.waiting_count() == expected[OutboxState.QUEUED] + expected[OutboxState.SENT]
        counted = self.store.db.execute(
            "SELECT COALESCE(SUM(LENGTH(sealed)), 0) FROM outbox"
            " WHERE state IN ('queued', 'sent') AND refused_code IS NULL"
        ).fetchone()[0]
        assert self.store.waiting_bytes() == counted

    @invariant()
    def nothing_is_lost(self) -> None:
        """Each application is still waiting at the kiosk or is at the town hall."""
        for reference in self.references:
            at_kiosk = self.expected_state(reference) in (OutboxState.QUEUED, OutboxState.SENT)
            assert at_kiosk or reference in self.town_hall

    @invariant()
    def refused_applications_stay_sealed_and_shown_to_staff(self) -> None:
        assert sorted(self.store.needing_attention()) == sorted((r, "reference_conflict") for r in self.refused)
        for reference in self.refused:
            row = self.store.db.execute("SELECT sealed FROM outbox WHERE reference = ?", [reference]).fetchone()
            assert bytes(row[0]) == seal(reference, "")

    @invariant()
    def the_status_cursor_is_the_highest_serial_seen(self) -> None:
        assert self.store.status_cursor() == self.highest_serial


OutboxMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOutboxNeverLosesOrDuplicates = OutboxMachine.TestCase
