"""Sealed items of format 2 end to end: the suite the town hall chose, the kiosk's signature checked
when staff open an application, and earlier town-hall keys still opening what was sealed for them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError, KeyFileError
from kiosk.forms import FormSession
from kiosk.refcode import new_reference
from kiosk.runtime import open_runtime
from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, build_batch, item_digest, seal_item
from sync.envelope.items import read_item_header
from sync.inbox import Inbox
from sync.intake import receive_batch
from sync.keys import (
    TownhallPublicKeys,
    enrolment_request_path,
    generate_private_key,
    init_kiosk,
    init_townhall,
    install_encryption_key,
    load_encryption_keyring,
    load_kiosk_keys,
    load_townhall_keys,
    load_townhall_public,
    save_previous_encryption_key,
    townhall_public_keys_path,
    write_townhall_public,
)
from sync.server import open_storage
from sync.server.storage import BatchRecord, ItemRecord

TYPED = {
    "topic": "strassen",
    "message": "Der Gehweg in der Lindenstraße 7 ist seit dem Sturm gesperrt.",
    "name": "Zacharias Quimby-Ostermann",
    "wants_reply": False,
}


def _set_up(tmp_path, suite: str = "x25519"):
    townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte", suite=suite)
    init_kiosk(kiosk_dir, kiosk_id="kiosk-lueder", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-lueder"))
    return kiosk_dir, townhall_dir


def _submit(kiosk_dir):
    runtime = open_runtime(kiosk_dir)
    form = runtime.form("nachricht")
    session = FormSession(form, lang="de")
    while not session.at_review:
        session.answer(TYPED[session.current.id])
    answers = session.answers()
    return runtime, runtime.submit(form, answers), answers


def _hand_to_intake(runtime, townhall_dir):
    """What a sync or a stick does: the kiosk's queued batch goes through the town hall's intake."""
    kiosk = load_kiosk_keys(runtime.data_dir)
    batch = runtime.store.take_batch(
        lambda items, sequence, batch_id: build_batch(
            items,
            kiosk_id=kiosk.kiosk_id,
            sequence=sequence,
            signing_key=kiosk.signing,
            recipient_key_id=runtime.townhall.encryption_key_id,
            batch_id=batch_id,
        )
    )
    storage = open_storage(townhall_dir)
    try:
        receive_batch(
            storage, Allowlist(townhall_dir), batch.data, townhall=load_townhall_keys(townhall_dir, need_encryption=False)
        )
    finally:
        storage.close()
    return batch


def _store_forged(townhall_dir, sealed: bytes) -> None:
    """What a process that can write the town-hall database could do, bypassing every check."""
    meta = read_item_header(sealed).meta
    batch = BatchRecord(
        batch_id=item_digest(sealed)[:32],
        kiosk_id=meta.kiosk_id,
        sequence=99,
        created_at=meta.captured_at,
        received_at=meta.captured_at,
        item_digests=(item_digest(sealed),),
    )
    item = ItemRecord(
        reference=meta.reference,
        digest=item_digest(sealed),
        batch_id=batch.batch_id,
        kiosk_id=meta.kiosk_id,
        form_id=meta.form_id,
        form_version=meta.form_version,
        form_hash=meta.form_hash,
        captured_at=meta.captured_at,
        received_at=meta.captured_at,
        sealed=sealed,
    )
    storage = open_storage(townhall_dir)
    try:
        assert storage.store_batch(batch, [item])
    finally:
        storage.close()


def test_a_hybrid_town_hall_gets_post_quantum_sealed_applications_it_opens(tmp_path):
    kiosk_dir, townhall_dir = _set_up(tmp_path, suite="mlkem768-x25519")
    assert load_townhall_public(townhall_public_keys_path(townhall_dir)).suite == "mlkem768-x25519"
    runtime, queued, answers = _submit(kiosk_dir)
    with runtime:
        batch = _hand_to_intake(runtime, townhall_dir)
    sealed_header = read_item_header(batch.data[batch.data.index(b"rathaus-item/") :])
    assert (sealed_header.version, sealed_header.suite) == (2, "mlkem768-x25519")
    assert sealed_header.compression.startswith("zstd-")
    with Inbox(townhall_dir) as inbox:
        opened = inbox.open(queued.reference)
    assert opened.answers == answers
    assert opened.origin.kind == "signed"
    assert "kiosk-lueder" in opened.origin.note("en")


def _sealed_by(key, townhall_dir, *, captured_at="2026-03-02T09:15:00Z", kiosk_id="kiosk-lueder") -> tuple[str, bytes]:
    reference = new_reference()
    meta = ItemMeta("nachricht", "1", "ab" * 32, kiosk_id, reference, captured_at)
    recipient = load_townhall_public(townhall_public_keys_path(townhall_dir)).encryption
    return reference, seal_item(meta, {"message": "Bitte Geld an DE89370400440532013000"}, recipient, key)


def test_an_application_a_compromised_server_made_up_is_refused_at_opening(tmp_path):
    _kiosk_dir, townhall_dir = _set_up(tmp_path)
    # Anyone can seal for the public key; without the kiosk's private key the signature is another's.
    reference, forged = _sealed_by(Ed25519PrivateKey.generate(), townhall_dir)
    _store_forged(townhall_dir, forged)
    with Inbox(townhall_dir, lang="en") as inbox:
        assert [entry.code for entry in inbox.list()] == [reference]  # listed, so staff see it arrived
        with pytest.raises(EnvelopeError) as caught:
            inbox.open(reference)
    assert caught.value.code == "bad_signature"
    assert "may be forged" in str(caught.value) and "not opened" in str(caught.value)


def test_an_unsigned_old_format_item_opens_marked_as_unchecked(tmp_path):
    _kiosk_dir, townhall_dir = _set_up(tmp_path)
    reference, sealed = _sealed_by(None, townhall_dir)
    assert sealed.startswith(b"rathaus-item/1\n")
    _store_forged(townhall_dir, sealed)
    with Inbox(townhall_dir, lang="en") as inbox:
        opened = inbox.open(reference)
    assert opened.origin.kind == "unsigned" and not opened.origin.checked
    assert "cannot be checked" in opened.origin.note("en")


def test_a_kiosk_revoked_later_keeps_what_it_made_before_but_not_after(tmp_path):
    kiosk_dir, townhall_dir = _set_up(tmp_path)
    kiosk = load_kiosk_keys(kiosk_dir)
    before, sealed_before = _sealed_by(kiosk.signing, townhall_dir, captured_at="2026-03-02T09:15:00Z")
    after, sealed_after = _sealed_by(kiosk.signing, townhall_dir, captured_at="2099-01-01T00:00:00Z")
    _store_forged(townhall_dir, sealed_before)
    _store_forged(townhall_dir, sealed_after)
    Allowlist(townhall_dir).revoke("kiosk-lueder", "gestohlen")
    with Inbox(townhall_dir, lang="en") as inbox:
        opened = inbox.open(before)
        assert opened.origin.kind == "signed_before_revocation"
        assert opened.origin.revoked_at in opened.origin.note("en")
        with pytest.raises(EnvelopeError) as caught:
            inbox.open(after)
    assert caught.value.code == "revoked_kiosk"


def test_after_a_key_change_items_sealed_for_the_earlier_key_still_open(tmp_path):
    kiosk_dir, townhall_dir = _set_up(tmp_path)
    runtime, queued, answers = _submit(kiosk_dir)  # sealed for the first key, still on the kiosk
    old = load_townhall_keys(townhall_dir).encryption
    save_previous_encryption_key(townhall_dir, old)
    save_previous_encryption_key(townhall_dir, old)  # an interrupted rotation can run again
    new = generate_private_key("mlkem768-x25519")
    install_encryption_key(townhall_dir, new)
    signing = load_townhall_keys(townhall_dir, need_encryption=False).signing
    write_townhall_public(
        townhall_dir, TownhallPublicKeys.of(new.public_key(), signing.public_key(), "Einheitsgemeinde Tangerhütte")
    )
    assert len(load_encryption_keyring(townhall_dir).key_ids) == 2
    with runtime:
        batch = runtime.store.take_batch(lambda items, sequence, batch_id: items[0])
    _store_forged(townhall_dir, batch.data)  # the intake side of rotation belongs to the server
    with Inbox(townhall_dir) as inbox:
        opened = inbox.open(queued.reference)
    assert opened.answers == answers and opened.origin.kind == "signed"


def test_a_new_key_never_replaces_the_current_one_before_it_is_kept(tmp_path):
    _kiosk_dir, townhall_dir = _set_up(tmp_path)
    with pytest.raises(KeyFileError, match="aufbewahrt"):
        install_encryption_key(townhall_dir, generate_private_key("x25519"))
    assert load_encryption_keyring(townhall_dir).previous == ()
