"""Sealed items, batches, acknowledgements and status bundles: what gets through and what never does."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import zlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.errors import EnvelopeError
from sync.envelope import (
    MAX_BATCH_BYTES,
    MAX_ITEM_BYTES,
    MAX_ITEMS_PER_BATCH,
    MAX_STATUS_UPDATES,
    STATUSES,
    ItemMeta,
    StatusUpdate,
    build_ack,
    build_batch,
    build_status_bundle,
    build_status_request,
    item_digest,
    item_recipient_key_id,
    key_id,
    open_item,
    parse_batch,
    parse_status_request,
    read_item_meta,
    seal_item,
    verify_ack,
    verify_batch,
    verify_status_bundle,
    verify_status_request,
)
from sync.envelope.suites import hpke_seal
from sync.envelope.wire import encode_json, length_prefixed, magic_line, sign_frame

TOWNHALL = X25519PrivateKey.generate()
TOWNHALL_SIGNING = Ed25519PrivateKey.generate()
KIOSK = Ed25519PrivateKey.generate()
TH_PUBLIC = TOWNHALL_SIGNING.public_key()
RECIPIENT_ID = key_id(TOWNHALL.public_key())
ANSWERS = {
    "applicant": "Erika Mustermann",
    "iban": "DE89370400440532013000",
    "address": {"street": "Lindenstraße", "number": "4", "postcode": "39517", "town": "Lüderitz"},
    "children": 2,
    "consent": True,
    "refund": "123.40",
    "days": ["2026-03-02", "2026-03-03"],
}


def meta(**changes: str) -> ItemMeta:
    values = dict(
        form_id="kita-erstattung",
        form_version="3",
        form_hash="sha256:" + "0f" * 32,
        kiosk_id="kiosk-lueder",
        reference="7KQM2X9TD",
        captured_at="2026-03-23T09:30:00Z",
    )
    values.update(changes)
    return ItemMeta(**values)


def sealed(reference: str = "7KQM2X9TD", **changes: str) -> bytes:
    return seal_item(meta(reference=reference, **changes), ANSWERS, TOWNHALL.public_key())


def batch_of(*items: bytes, **changes) -> bytes:
    options = dict(
        kiosk_id="kiosk-lueder",
        sequence=3,
        signing_key=KIOSK,
        recipient_key_id=RECIPIENT_ID,
        batch_id="0123456789abcdef0123456789abcdef",
        created_at="2026-03-23T10:00:00Z",
    )
    options.update(changes)
    return build_batch(list(items), **options)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call(*args, **kwargs)
    return caught.value.code


# -- sealed items ------------------------------------------------------------------------------


def test_only_the_town_hall_key_opens_what_the_kiosk_sealed():
    item = sealed()
    opened_meta, answers = open_item(item, TOWNHALL)
    assert opened_meta == meta()
    assert answers == ANSWERS
    assert code_of(open_item, item, X25519PrivateKey.generate()) == "wrong_recipient"


def test_sealed_bytes_do_not_show_the_answers():
    item = sealed()
    for secret in ("Mustermann", "DE89370400440532013000", "Lindenstra", "123.40"):
        assert secret.encode() not in item
    assert b"kita-erstattung" in item  # the routing data is readable on purpose


def test_routing_data_is_readable_without_any_key():
    item = sealed(reference="3M1PQZ7W4")
    assert read_item_meta(item) == meta(reference="3M1PQZ7W4")
    assert item_recipient_key_id(item) == RECIPIENT_ID


def test_sealing_twice_gives_different_items_with_different_digests():
    first, second = sealed(), sealed()
    assert first != second
    assert item_digest(first) != item_digest(second)
    assert len(item_digest(first)) == 64


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=40),
            lambda children: st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4),
            max_leaves=10,
        ),
        max_size=8,
    )
)
def test_any_plain_answers_come_back_unchanged(answers):
    item = seal_item(meta(), answers, TOWNHALL.public_key())
    assert open_item(item, TOWNHALL)[1] == answers


def test_every_flipped_byte_of_an_item_stops_it_from_opening():
    item = sealed()
    for position in range(len(item)):
        damaged = bytearray(item)
        damaged[position] ^= 0x04
        with pytest.raises(EnvelopeError):
            open_item(bytes(damaged), TOWNHALL)


def test_a_changed_but_well_formed_header_is_detected_as_tampering():
    item = sealed()
    forged = item.replace(b'"kiosk-lueder"', b'"kiosk-xueder"')
    assert read_item_meta(forged).kiosk_id == "kiosk-xueder"  # still readable ...
    assert code_of(open_item, forged, TOWNHALL) == "tampered"  # ... but it can no longer be opened


def test_every_truncation_of_an_item_is_refused():
    item = sealed()
    for length in range(len(item)):
        with pytest.raises(EnvelopeError):
            open_item(item[:length], TOWNHALL)


def test_an_item_of_a_newer_format_version_is_named_as_such():
    item = b"rathaus-item/3\n" + sealed()[len(b"rathaus-item/1\n") :]
    assert code_of(read_item_meta, item) == "unsupported_version"
    assert code_of(read_item_meta, b"something else entirely") == "malformed"
    assert code_of(read_item_meta, b"") == "malformed"


@pytest.mark.parametrize(
    "changes",
    [
        {"kiosk_id": "Kiosk Lüder"},
        {"kiosk_id": ""},
        {"reference": "7KQ-M2X-9TD"},
        {"captured_at": "2026-03-23 09:30"},
        {"captured_at": "2026-02-30T09:30:00Z"},
        {"form_id": "../etc/passwd"},
        {"form_version": "1\n2"},
    ],
)
def test_routing_data_that_a_reader_would_refuse_is_never_sealed(changes):
    assert code_of(seal_item, meta(**changes), ANSWERS, TOWNHALL.public_key()) == "malformed"


@pytest.mark.parametrize("answers", [{"amount": float("nan")}, {"files": {1, 2}}, {1: "x"}, ["a"]])
def test_answers_that_are_not_plain_json_are_refused_without_echoing_them(answers):
    with pytest.raises(EnvelopeError) as caught:
        seal_item(meta(), answers, TOWNHALL.public_key())
    assert caught.value.code == "malformed"
    assert "nan" not in caught.value.detail.lower() and "{1, 2}" not in caught.value.detail


def test_answers_too_large_for_one_item_are_refused_when_sealing():
    noise = base64.b64encode(os.urandom(MAX_ITEM_BYTES)).decode()
    assert code_of(seal_item, meta(), {"text": noise}, TOWNHALL.public_key()) == "too_large"


def _hand_sealed(header: dict | bytes, plaintext: bytes) -> bytes:
    raw = header if isinstance(header, bytes) else encode_json(header)
    info = magic_line("item") + length_prefixed(raw)
    return info + hpke_seal("x25519", plaintext, TOWNHALL.public_key(), info)


def _header(**changes) -> dict:
    from dataclasses import asdict

    return {**asdict(meta()), "recipient_key_id": RECIPIENT_ID, **changes}


def test_a_decompression_bomb_is_refused_after_opening():
    bomb = zlib.compress(b'{"a":"' + b" " * (2 * 1024 * 1024) + b'"}', 9)
    item = _hand_sealed(_header(), bomb)
    assert len(item) < MAX_ITEM_BYTES
    assert code_of(open_item, item, TOWNHALL) == "too_large"


@pytest.mark.parametrize(
    "plaintext",
    [
        b"not zlib at all",
        zlib.compress(b"[1,2]"),
        zlib.compress(b'{"a":1,"a":2}'),
        zlib.compress(b'{"a":1}') + b"x",
    ],
)
def test_authentic_but_broken_contents_are_malformed(plaintext):
    assert code_of(open_item, _hand_sealed(_header(), plaintext), TOWNHALL) == "malformed"


@pytest.mark.parametrize(
    "header",
    [
        b'{"kiosk_id":"kiosk-a","kiosk_id":"kiosk-b"}',
        encode_json(_header(extra="x")),
        encode_json({k: v for k, v in _header().items() if k != "reference"}),
        encode_json(_header(recipient_key_id="ABCDEF0123456789")),
        b"[]",
        b"\xff\xfe",
    ],
    ids=["duplicate-key", "unknown-field", "missing-field", "upper-case-key-id", "not-object", "not-utf8"],
)
def test_item_headers_two_readers_could_read_differently_are_refused(header):
    item = _hand_sealed(header, zlib.compress(b"{}"))
    assert code_of(read_item_meta, item) == "malformed"


# -- batches -----------------------------------------------------------------------------------


def test_a_batch_arrives_with_its_items_and_header_unchanged():
    items = (sealed("7KQM2X9TD"), sealed("3M1PQZ7W4"))
    data = batch_of(*items)
    batch = verify_batch(data, KIOSK.public_key())
    assert batch.items == items
    assert batch.raw == data
    header = batch.header
    assert (header.version, header.kiosk_id, header.sequence, header.created_at) == (
        1,
        "kiosk-lueder",
        3,
        "2026-03-23T10:00:00Z",
    )
    assert header.batch_id == "0123456789abcdef0123456789abcdef"
    assert header.recipient_key_id == RECIPIENT_ID
    assert header.item_digests == tuple(item_digest(i) for i in items)
    assert parse_batch(data) == batch


def test_a_batch_gets_a_random_id_and_the_current_time_when_not_given():
    data = build_batch(
        [sealed()], kiosk_id="kiosk-lueder", sequence=1, signing_key=KIOSK, recipient_key_id=RECIPIENT_ID
    )
    header = parse_batch(data).header
    assert len(header.batch_id) == 32 and int(header.batch_id, 16) >= 0
    made = dt.datetime.strptime(header.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert abs((dt.datetime.now(dt.timezone.utc) - made).total_seconds()) < 60


def test_every_single_flipped_byte_of_a_batch_is_rejected():
    data = batch_of(sealed())
    for position in range(len(data)):
        for mask in (0x01, 0x80):
            damaged = bytearray(data)
            damaged[position] ^= mask
            with pytest.raises(EnvelopeError):
                verify_batch(bytes(damaged), KIOSK.public_key())


def test_every_truncation_and_any_appended_byte_is_rejected():
    data = batch_of(sealed())
    for length in range(len(data)):
        with pytest.raises(EnvelopeError):
            verify_batch(data[:length], KIOSK.public_key())
    assert code_of(verify_batch, data + b"\x00", KIOSK.public_key()) in {"bad_signature", "malformed"}


def test_a_batch_signed_by_another_kiosk_key_is_refused():
    data = batch_of(sealed())
    assert code_of(verify_batch, data, Ed25519PrivateKey.generate().public_key()) == "bad_signature"


def test_an_empty_or_foreign_file_is_malformed():
    assert code_of(verify_batch, b"", KIOSK.public_key()) == "malformed"
    assert code_of(parse_batch, b"PK\x03\x04 a zip file") == "malformed"
    assert code_of(parse_batch, "rathaus-batch/1\n") == "malformed"
    ack = build_ack(
        batch_id="0" * 32, kiosk_id="kiosk-lueder", item_digests=[], received_at="2026-03-23T10:00:00Z",
        signing_key=KIOSK,
    )
    assert code_of(verify_batch, ack, KIOSK.public_key()) == "malformed"


def test_oversized_input_is_refused_before_it_is_parsed():
    huge = b"rathaus-batch/1\n" + b"\x00" * MAX_BATCH_BYTES
    assert code_of(parse_batch, huge) == "too_large"
    claims_huge_header = b"rathaus-batch/1\n" + (2**31).to_bytes(4, "big") + b"{}" + b"\x00" * 64
    assert code_of(parse_batch, claims_huge_header) == "too_large"


def test_a_batch_of_the_newer_version_is_named_as_such():
    data = batch_of(sealed())
    assert code_of(parse_batch, b"rathaus-batch/9\n" + data[16:]) == "unsupported_version"


def test_the_largest_allowed_batch_fits_the_size_limit():
    filler = base64.b64encode(os.urandom(29_500)).decode()
    items = [
        seal_item(meta(reference=f"R{i:04d}"), {"text": filler}, TOWNHALL.public_key())
        for i in range(MAX_ITEMS_PER_BATCH)
    ]
    assert min(len(i) for i in items) > MAX_ITEM_BYTES * 0.9
    data = batch_of(*items)
    assert len(data) <= MAX_BATCH_BYTES
    assert len(verify_batch(data, KIOSK.public_key()).items) == MAX_ITEMS_PER_BATCH


def test_batches_the_receiver_would_refuse_are_never_built():
    assert code_of(batch_of) == "malformed"  # no items
    one = sealed()
    assert code_of(batch_of, one, one) == "malformed"  # the same item twice
    assert code_of(batch_of, sealed(kiosk_id="kiosk-other")) == "wrong_kiosk"
    other_recipient = seal_item(meta(), ANSWERS, X25519PrivateKey.generate().public_key())
    assert code_of(batch_of, other_recipient) == "malformed"
    assert code_of(batch_of, one, sequence=0) == "malformed"
    assert code_of(batch_of, one, batch_id="not-hex") == "malformed"
    assert code_of(build_batch, [one] * (MAX_ITEMS_PER_BATCH + 1), kiosk_id="kiosk-lueder", sequence=1,
                   signing_key=KIOSK, recipient_key_id=RECIPIENT_ID) == "too_large"


def _signed_batch(header_changes: dict, items: list[bytes]) -> bytes:
    header = {
        "batch_id": "0123456789abcdef0123456789abcdef",
        "created_at": "2026-03-23T10:00:00Z",
        "item_digests": [item_digest(i) for i in items],
        "kiosk_id": "kiosk-lueder",
        "recipient_key_id": RECIPIENT_ID,
        "sequence": 3,
    }
    header.update(header_changes)
    return sign_frame("batch", header, b"".join(length_prefixed(i) for i in items), KIOSK)


def test_a_validly_signed_batch_must_still_match_its_own_contents():
    one, two = sealed("7KQM2X9TD"), sealed("3M1PQZ7W4")
    swapped = _signed_batch({"item_digests": [item_digest(two), item_digest(one)]}, [one, two])
    assert code_of(verify_batch, swapped, KIOSK.public_key()) == "digest_mismatch"
    extra = _signed_batch({"item_digests": [item_digest(one)]}, [one, two])
    assert code_of(verify_batch, extra, KIOSK.public_key()) == "malformed"
    foreign = sealed(kiosk_id="kiosk-other")
    assert code_of(verify_batch, _signed_batch({}, [foreign]), KIOSK.public_key()) == "wrong_kiosk"
    assert code_of(verify_batch, _signed_batch({"sequence": True}, [one]), KIOSK.public_key()) == "malformed"


def test_a_batch_checks_every_digest_before_reading_any_item_as_the_spec_orders():
    # docs/envelope.md 5.1: step 2 (digests, each position) comes before step 3 (items well-formed).
    not_an_item, good = b"not a sealed item at all", sealed("7KQM2X9TD")
    batch = _signed_batch({"item_digests": [item_digest(not_an_item), "00" * 32]}, [not_an_item, good])
    assert code_of(verify_batch, batch, KIOSK.public_key()) == "digest_mismatch"


@pytest.mark.parametrize("label", ["batch", "ack", "status", "status-request"])
def test_a_short_file_of_an_unknown_version_says_so_before_anything_else(label):
    # docs/envelope.md 3: the version is refused right after the magic line, before any length.
    short = magic_line(label, version=3 if label in ("ack", "batch") else 2) + b"\0\0\0\2{}"  # ack/2, batch/2 known
    assert len(short) < 64
    readers = {
        "batch": lambda: verify_batch(short, KIOSK.public_key()),
        "ack": lambda: verify_ack(short, TH_PUBLIC, batch_id=BATCH_ID, kiosk_id="kiosk-lueder"),
        "status": lambda: verify_status_bundle(short, TH_PUBLIC, kiosk_id="kiosk-lueder"),
        "status-request": lambda: verify_status_request(short, KIOSK.public_key()),
    }
    assert code_of(readers[label]) == "unsupported_version"


# -- acknowledgements --------------------------------------------------------------------------

BATCH_ID = "0123456789abcdef0123456789abcdef"


def ack(**changes) -> bytes:
    options = dict(
        batch_id=BATCH_ID,
        kiosk_id="kiosk-lueder",
        item_digests=["ab" * 32],
        received_at="2026-03-23T10:00:05Z",
        signing_key=TOWNHALL_SIGNING,
    )
    options.update(changes)
    return build_ack(**options)


def test_an_acknowledgement_is_accepted_only_for_its_batch_and_kiosk():
    data = ack()
    result = verify_ack(data, TH_PUBLIC, batch_id=BATCH_ID, kiosk_id="kiosk-lueder")
    assert (result.batch_id, result.kiosk_id, result.item_digests) == (BATCH_ID, "kiosk-lueder", ("ab" * 32,))
    assert result.received_at == "2026-03-23T10:00:05Z" and result.raw == data
    other = "f" * 32
    assert code_of(verify_ack, data, TH_PUBLIC, batch_id=other, kiosk_id="kiosk-lueder") == "wrong_batch"
    assert code_of(verify_ack, data, TH_PUBLIC, batch_id=BATCH_ID, kiosk_id="kiosk-b") == "wrong_kiosk"


def test_an_acknowledgement_not_signed_by_the_town_hall_is_refused():
    forged = ack(signing_key=KIOSK)
    code = code_of(verify_ack, forged, TH_PUBLIC, batch_id=BATCH_ID, kiosk_id="kiosk-lueder")
    assert code == "bad_signature"


def test_every_flipped_byte_of_an_acknowledgement_is_rejected():
    data = ack()
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x01
        with pytest.raises(EnvelopeError):
            verify_ack(bytes(damaged), TH_PUBLIC, batch_id=BATCH_ID, kiosk_id="kiosk-lueder")


# -- status bundles and requests ---------------------------------------------------------------


def update(serial: int = 1, **changes) -> StatusUpdate:
    values = dict(
        reference="7KQM2X9TD",
        status="appointment_confirmed",
        message="Ihr Termin: Dienstag, 10 Uhr.\nBitte bringen Sie Ihren Ausweis mit.",
        updated_at="2026-03-24T08:00:00Z",
        serial=serial,
    )
    values.update(changes)
    return StatusUpdate(**values)


def test_a_kiosk_receives_the_status_updates_signed_for_it():
    updates = [update(1), update(2, status="accepted", message="", reference="3M1PQZ7W4")]
    data = build_status_bundle(updates, kiosk_id="kiosk-lueder", signing_key=TOWNHALL_SIGNING)
    assert verify_status_bundle(data, TH_PUBLIC, kiosk_id="kiosk-lueder") == updates
    assert code_of(verify_status_bundle, data, TH_PUBLIC, kiosk_id="kiosk-b") == "wrong_kiosk"
    assert code_of(verify_status_bundle, data, KIOSK.public_key(), kiosk_id="kiosk-lueder") == "bad_signature"


def test_an_empty_bundle_means_no_news():
    data = build_status_bundle([], kiosk_id="kiosk-lueder", signing_key=TOWNHALL_SIGNING)
    assert verify_status_bundle(data, TH_PUBLIC, kiosk_id="kiosk-lueder") == []


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "done"},
        {"message": "\x1b[2J cleared screen"},
        {"message": "x" * 501},
        {"reference": "7kq"},
        {"serial": 0},
        {"updated_at": "yesterday"},
    ],
)
def test_status_updates_a_kiosk_could_not_show_safely_are_never_signed(bad):
    code = code_of(
        build_status_bundle, [update(**bad)], kiosk_id="kiosk-lueder", signing_key=TOWNHALL_SIGNING
    )
    # A message over the length limit is a count limit of section 10, so too_large (spec §11).
    assert code == ("too_large" if len(bad.get("message", "")) > 500 else "malformed")


def test_a_signed_bundle_with_terminal_control_characters_is_refused_by_the_kiosk():
    header = {
        "created_at": "2026-03-24T08:00:00Z",
        "kiosk_id": "kiosk-lueder",
        "updates": [
            {
                "message": "\x1b]0;pwned\x07",
                "reference": "7KQM2X9TD",
                "serial": 1,
                "status": "accepted",
                "updated_at": "2026-03-24T08:00:00Z",
            }
        ],
    }
    data = sign_frame("status", header, b"", TOWNHALL_SIGNING)
    assert code_of(verify_status_bundle, data, TH_PUBLIC, kiosk_id="kiosk-lueder") == "malformed"


def test_the_most_updates_with_the_longest_messages_fit_in_one_bundle():
    long = "Ä😀\n" * (500 // 3)
    updates = [update(i + 1, message=long) for i in range(MAX_STATUS_UPDATES)]
    data = build_status_bundle(updates, kiosk_id="kiosk-lueder", signing_key=TOWNHALL_SIGNING)
    assert len(verify_status_bundle(data, TH_PUBLIC, kiosk_id="kiosk-lueder")) == MAX_STATUS_UPDATES
    too_many = updates + [update(MAX_STATUS_UPDATES + 1)]
    code = code_of(build_status_bundle, too_many, kiosk_id="kiosk-lueder", signing_key=TOWNHALL_SIGNING)
    assert code == "too_large"


def test_every_status_is_one_a_kiosk_knows():
    assert STATUSES == (
        "received",
        "in_progress",
        "accepted",
        "rejected",
        "appointment_confirmed",
        "needs_information",
    )


NOW = dt.datetime(2026, 3, 24, 8, 10, tzinfo=dt.timezone.utc)


def request_made_at(created_at: str, since_serial: int = 0) -> bytes:
    return build_status_request(
        kiosk_id="kiosk-lueder", since_serial=since_serial, signing_key=KIOSK, created_at=created_at
    )


def test_a_fresh_status_request_is_accepted_and_names_its_kiosk_before_verifying():
    data = request_made_at("2026-03-24T08:09:00Z", since_serial=41)
    assert parse_status_request(data).kiosk_id == "kiosk-lueder"
    request = verify_status_request(data, KIOSK.public_key(), now=NOW)
    assert (request.kiosk_id, request.since_serial) == ("kiosk-lueder", 41)
    assert request.created_at == "2026-03-24T08:09:00Z"
    assert code_of(verify_status_request, data, TH_PUBLIC, now=NOW) == "bad_signature"


@pytest.mark.parametrize(("created_at", "fresh"), [
    ("2026-03-24T08:00:00Z", True),
    ("2026-03-24T07:59:59Z", False),
    ("2026-03-24T08:20:00Z", True),
    ("2026-03-24T08:20:01Z", False),
])
def test_status_requests_older_or_newer_than_ten_minutes_are_stale(created_at, fresh):
    data = request_made_at(created_at)
    if fresh:
        verify_status_request(data, KIOSK.public_key(), now=NOW)
    else:
        assert code_of(verify_status_request, data, KIOSK.public_key(), now=NOW) == "stale"


def test_a_longer_window_accepts_a_request_carried_on_a_stick():
    data = request_made_at("2026-03-20T08:00:00Z")
    assert code_of(verify_status_request, data, KIOSK.public_key(), now=NOW) == "stale"
    verify_status_request(data, KIOSK.public_key(), now=NOW, max_age_seconds=7 * 24 * 3600)


# -- messages ----------------------------------------------------------------------------------


def test_rejections_are_explained_in_the_staff_language(monkeypatch):
    with pytest.raises(EnvelopeError) as german:
        verify_batch(b"", KIOSK.public_key())
    assert german.value.message == "Die Sendung ist beschädigt oder nicht im erwarteten Format."
    monkeypatch.setenv("RATHAUS_LANG", "en")
    with pytest.raises(EnvelopeError) as english:
        verify_batch(b"", KIOSK.public_key())
    assert english.value.message == "The batch is damaged or not in the expected format."


def test_the_longest_routing_data_the_patterns_allow_still_seals_within_common_hpke_limits():
    longest = meta(
        form_id="f" * 64, form_version="v" * 32, form_hash="h" * 128, kiosk_id="k" * 40, reference="R" * 32
    )
    item = seal_item(longest, ANSWERS, TOWNHALL.public_key())
    info_length = len(magic_line("item")) + 4 + int.from_bytes(item[15:19], "big")
    assert info_length <= 1024  # OpenSSL's HPKE accepts info up to 1024 bytes
    assert open_item(item, TOWNHALL) == (longest, ANSWERS)
