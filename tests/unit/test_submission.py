"""A submitted application is readable by the town hall and by nobody who takes the kiosk's disk."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.errors import EnvelopeError
from kiosk.forms import Field, FormDefinition
from kiosk.store import OutboxState, open_store
from kiosk.submission import submit_application
from sync.envelope import item_digest, open_item, read_item_meta
from sync.envelope.items import read_item_header, verify_item_signature
from sync.envelope.suites import HybridPrivateKey

NAME = "Zacharias Quimby-Ostermann"
IBAN = "DE89370400440532013000"
PHONE = "+49 3935 9316 4471"
STREET = "Wöllnitzer Kirchsteig"
KIOSK_KEY = Ed25519PrivateKey.generate()


def question(field_id: str, kind: str, required: bool = True) -> Field:
    return Field(id=field_id, type=kind, required=required, label={"de": field_id}, help={}, example={})


@pytest.fixture
def form() -> FormDefinition:
    return FormDefinition(
        id="kita-refund",
        version="2",
        content_hash="a" * 64,
        order=3,
        title={"de": "Erstattung Kita-Beitrag"},
        summary={},
        next_steps={},
        bring={},
        fields=(
            question("name", "text"),
            question("iban", "iban"),
            question("phone", "phone", required=False),
            question("address", "address"),
            question("children", "number"),
        ),
    )


@pytest.fixture
def answers() -> dict:
    return {
        "name": NAME,
        "iban": IBAN,
        "phone": PHONE,
        "address": {"street": STREET, "number": "7b", "postcode": "39517", "town": "Tangerhütte"},
        "children": 2,
    }


@pytest.fixture
def townhall_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "kiosk"


@pytest.fixture
def store(data_dir):
    opened = open_store(data_dir / "kiosk.db")
    yield opened
    opened.close()


def personal_values() -> list[bytes]:
    """Each value as it could land in a file: plain, JSON-escaped, UTF-16."""
    values = [NAME, IBAN, PHONE, STREET, "Quimby", "0532013000", "9316 4471"]
    spellings: list[bytes] = []
    for value in values:
        spellings += [
            value.encode("utf-8"),
            json.dumps(value).strip('"').encode("ascii"),
            value.encode("utf-16-le"),
        ]
    return spellings


def files_under(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_town_hall_key_opens_the_application_to_the_same_answers(
    store, form, answers, townhall_key
):
    queued = submit_application(
        store,
        form,
        answers,
        kiosk_id="kiosk-lueffingen",
        recipient=townhall_key.public_key(), signing_key=KIOSK_KEY,
        now=datetime(2026, 2, 3, 10, 11, 12, tzinfo=UTC),
    )
    assert queued.state is OutboxState.QUEUED
    assert (queued.form_id, queued.form_version, queued.form_hash) == ("kita-refund", "2", "a" * 64)
    batch = store.take_batch(lambda items, seq, bid: items[0])
    assert batch.references == (queued.reference,)
    meta, opened = open_item(batch.data, townhall_key)
    assert opened == answers
    assert meta.reference == queued.reference
    assert meta.captured_at == queued.captured_at == "2026-02-03T10:11:12Z"
    assert (meta.form_id, meta.form_version, meta.form_hash, meta.kiosk_id) == (
        "kita-refund",
        "2",
        "a" * 64,
        "kiosk-lueffingen",
    )
    digest = store.db.execute("SELECT item_digest FROM outbox").fetchone()[0]
    assert digest == item_digest(batch.data)  # the kiosk and the town hall name the item alike
    assert verify_item_signature(batch.data, KIOSK_KEY.public_key()).version == 2  # this kiosk made it
    with pytest.raises(EnvelopeError) as caught:
        verify_item_signature(batch.data, Ed25519PrivateKey.generate().public_key())
    assert caught.value.code == "bad_signature"


def test_a_hybrid_town_hall_key_seals_with_the_post_quantum_suite(store, form, answers):
    townhall_key = HybridPrivateKey.generate()
    submit_application(store, form, answers, kiosk_id="kiosk-1", recipient=townhall_key.public_key(), signing_key=KIOSK_KEY)
    sealed = store.take_batch(lambda items, seq, bid: items[0]).data
    assert read_item_header(sealed).suite == "mlkem768-x25519"
    assert open_item(sealed, townhall_key)[1] == answers


def test_no_personal_value_is_in_any_file_of_the_kiosk(
    store, form, answers, townhall_key, data_dir, caplog
):
    caplog.set_level(logging.DEBUG)
    references = [
        submit_application(
            store, form, answers, kiosk_id="kiosk-1", recipient=townhall_key.public_key(), signing_key=KIOSK_KEY
        ).reference
        for _ in range(3)
    ]
    store.take_batch(lambda items, seq, bid: b"".join(items))
    files = files_under(data_dir)
    assert {"kiosk.db", "kiosk.db-wal"} <= set(files)  # the write-ahead log is searched too
    for name, content in files.items():
        for value in personal_values():
            assert value not in content, f"{value!r} found in {name}"
    # the receipt code and the service are there, which is what the look-up needs
    assert all(ref.encode() in files["kiosk.db"] + files["kiosk.db-wal"] for ref in references)
    for record in caplog.records:
        text = record.getMessage()
        assert NAME not in text and IBAN not in text


def test_only_routing_data_is_readable_without_the_key(store, form, answers, townhall_key):
    queued = submit_application(
        store, form, answers, kiosk_id="kiosk-1", recipient=townhall_key.public_key(), signing_key=KIOSK_KEY
    )
    sealed = store.take_batch(lambda items, seq, bid: items[0]).data
    meta = read_item_meta(sealed)
    assert meta.reference == queued.reference
    with pytest.raises(EnvelopeError):
        open_item(sealed, X25519PrivateKey.generate())  # another key cannot open it


def test_answers_that_cannot_be_sealed_queue_nothing_and_leak_nothing(store, form, townhall_key):
    odd = {"name": NAME, "children": {1, 2}}  # a set is not an answer value
    with pytest.raises(EnvelopeError) as caught:
        submit_application(store, form, odd, kiosk_id="kiosk-1", recipient=townhall_key.public_key(), signing_key=KIOSK_KEY)
    assert NAME not in str(caught.value) and NAME not in caught.value.detail
    assert store.waiting_count() == 0


def test_answers_to_questions_the_form_does_not_ask_are_refused(store, form, townhall_key):
    with pytest.raises(ValueError, match="shoe_size") as caught:
        submit_application(
            store,
            form,
            {"name": NAME, "shoe_size": "44"},
            kiosk_id="kiosk-1",
            recipient=townhall_key.public_key(), signing_key=KIOSK_KEY,
        )
    assert NAME not in str(caught.value)
    assert store.waiting_count() == 0
