"""Attacks on the town hall's HTTP endpoints, generated: whatever arrives, the answer is a refusal
with a JSON error (4xx) and nothing is stored, or, for a batch that really is valid, it is stored
once. Never a 500 or 503, never a crash.

Driven through httpx.ASGITransport against ``create_app``, so only the public endpoints are used.
"""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.envelope import build_status_request, item_digest, parse_batch
from sync.server.app import create_app
from sync.server.storage import SqliteStorage
from tests.fuzz.support import Endpoint, fuzz_settings

REFUSED = {400, 403, 413}
BATCHES = "/v1/batches"
STATUS = "/v1/status"
REFERENCES = ("7KQM2X9TD", "A1B2C3D4E", "HX3V9K2MQ", "PQ7R8S9T0", "M4N5B6V7C", "Z9Y8X7W6V")


@pytest.fixture
def server(town, tmp_path):
    storage = SqliteStorage(tmp_path / "townhall.db")
    endpoint = Endpoint(create_app(town.townhall_dir, storage=storage))
    endpoint.storage = storage
    yield endpoint
    endpoint.close()
    storage.close()


@pytest.fixture(scope="module")
def good(town) -> bytes:
    """A valid batch of three items of equal length from kiosk a."""
    return town.batch(town.a, [town.sealed("kiosk-a", ref) for ref in REFERENCES[:3]])


def refused(server, response, before) -> None:
    assert response.status_code in REFUSED, (response.status_code, response.text[:300])
    body = response.json()
    assert body["error"] and body["message"]
    assert server.storage.counts() == before


def post(server, path: str, data: bytes):
    return server.request("POST", path, content=data)


def _flip(data: bytes, bits: set[int]) -> bytes:
    damaged = bytearray(data)
    for bit in bits:
        damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


@fuzz_settings(120)
@given(st.data())
def test_flipped_bits_anywhere_in_a_batch_are_refused(server, good, data):
    bits = data.draw(st.sets(st.integers(0, len(good) * 8 - 1), min_size=1, max_size=8))
    before = server.storage.counts()
    refused(server, post(server, BATCHES, _flip(good, bits)), before)


@fuzz_settings(80)
@given(st.data())
def test_cut_short_or_lengthened_batches_are_refused(server, good, data):
    how = data.draw(st.sampled_from(["head", "tail", "append", "cut-middle"]))
    at = data.draw(st.integers(0, len(good) - 1))
    if how == "head":
        damaged = good[:at]
    elif how == "tail":
        damaged = good[at + 1 :]
    elif how == "append":
        damaged = good + data.draw(st.binary(min_size=1, max_size=200))
    else:
        end = data.draw(st.integers(at + 1, len(good)))
        damaged = good[:at] + good[end:]
    before = server.storage.counts()
    refused(server, post(server, BATCHES, damaged), before)


@fuzz_settings(60)
@given(st.data())
def test_swapped_reordered_or_foreign_items_are_refused(server, town, good, data):
    """Items moved inside the signed bytes, or replaced by one of the same size from another batch
    (of this kiosk or another), break the signature or the digests."""
    items = parse_batch(good).items
    spans = [(good.find(item), len(item)) for item in items]
    assert all(start > 0 for start, _ in spans) and len({size for _, size in spans}) == 1
    foreign = [
        town.sealed("kiosk-a", REFERENCES[3]),
        town.sealed("kiosk-a", REFERENCES[4]),
        town.sealed("kiosk-b", REFERENCES[5]),
    ]
    assert {len(item) for item in foreign} == {spans[0][1]}
    pool = list(items) + foreign
    order = data.draw(
        st.lists(st.sampled_from(range(len(pool))), min_size=3, max_size=3).filter(lambda o: o != [0, 1, 2])
    )
    damaged = bytearray(good)
    for (start, size), source in zip(spans, order):
        damaged[start : start + size] = pool[source]
    before = server.storage.counts()
    refused(server, post(server, BATCHES, bytes(damaged)), before)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=8,
)


def _json(value, sort_keys: bool = True) -> bytes:
    return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False).encode()


def _frame(magic: bytes, header: bytes, items: list[bytes], signing_key) -> bytes:
    body = magic + struct.pack(">I", len(header)) + header
    body += b"".join(struct.pack(">I", len(item)) + item for item in items)
    return body + signing_key.sign(body)


@fuzz_settings(80)
@given(st.data())
def test_signed_batches_with_forged_headers_are_refused_or_stored_whole(server, town, good, data):
    """An enrolled kiosk's own key signs whatever it likes (a stolen kiosk, a buggy one): the town
    hall still checks every field. A header that is valid after all is stored with all its items."""
    parsed = parse_batch(good)
    magic = good[: good.index(b"\n") + 1]
    header = {
        "kiosk_id": parsed.header.kiosk_id,
        "batch_id": data.draw(st.sampled_from([parsed.header.batch_id, "ab" * 16])),
        "sequence": parsed.header.sequence,
        "created_at": parsed.header.created_at,
        "recipient_key_id": parsed.header.recipient_key_id,
        "item_digests": list(parsed.header.item_digests),
    }
    items = list(parsed.items)
    for _ in range(data.draw(st.integers(1, 3))):
        change = data.draw(st.sampled_from(["replace", "drop", "add", "digests", "items"]))
        key = data.draw(st.sampled_from(sorted(header) or ["kiosk_id"]))
        if change == "replace":
            header[key] = data.draw(json_values)
        elif change == "drop":
            header.pop(key, None)
        elif change == "add":
            header[data.draw(st.text(min_size=1, max_size=12))] = data.draw(json_values)
        elif change == "digests":
            digests = header.get("item_digests")
            if isinstance(digests, list) and digests:
                header["item_digests"] = data.draw(st.sampled_from([digests[:-1], digests + digests[:1], digests[::-1], []]))
        else:
            items = data.draw(st.sampled_from([items[:-1], items + items[:1], items[::-1], []]))
    encoded = _json(header, sort_keys=data.draw(st.booleans()))
    forged = _frame(magic, encoded, items, town.a.signing)
    before = server.storage.counts()
    response = post(server, BATCHES, forged)
    if response.status_code == 200:  # the changes happened to leave a valid batch
        stored = server.storage.find_batch(header["batch_id"])
        assert stored is not None and stored.item_count == len(header["item_digests"]) == len(items)
    else:
        refused(server, response, before)


@fuzz_settings(40)
@given(case=st.sampled_from(["other-kiosks-signature", "never-enrolled", "revoked", "foreign-item",
                             "unknown-id"]),
       sequence=st.integers(1, 2**40))
def test_batches_from_the_wrong_sender_are_refused(server, town, case, sequence):
    item = town.sealed("kiosk-a", REFERENCES[0])
    # A sender not authenticated with an active kiosk key learns only "refused" (which kiosks
    # exist and which were revoked is not told); a signed batch gets the helpful reason.
    expected = {"other-kiosks-signature": "refused", "never-enrolled": "refused",
                "revoked": "refused", "unknown-id": "refused", "foreign-item": "wrong_kiosk"}
    if case == "other-kiosks-signature":
        batch = town.batch(town.a, [item], sequence=sequence, signing_key=town.b.signing)
    elif case == "never-enrolled":
        batch = town.batch(town.x, [town.sealed("kiosk-x", REFERENCES[0])], sequence=sequence)
    elif case == "revoked":  # the stolen kiosk's key still signs perfectly
        batch = town.batch(town.r, [town.sealed("kiosk-r", REFERENCES[0])], sequence=sequence)
    elif case == "foreign-item":  # kiosk b's application passed off in kiosk a's signed batch
        template = parse_batch(town.batch(town.a, [item], sequence=sequence))
        foreign = town.sealed("kiosk-b", REFERENCES[0])
        header = {
            "kiosk_id": "kiosk-a", "batch_id": template.header.batch_id, "sequence": sequence,
            "created_at": template.header.created_at,
            "recipient_key_id": template.header.recipient_key_id,
            "item_digests": [item_digest(foreign)],
        }
        batch = _frame(b"rathaus-batch/1\n", _json(header), [foreign], town.a.signing)
    else:
        batch = town.batch(town.a, [town.sealed("kiosk-nobody", REFERENCES[0])], sequence=sequence,
                           kiosk_id="kiosk-nobody")
    before = server.storage.counts()
    response = post(server, BATCHES, batch)
    refused(server, response, before)
    assert (response.status_code, response.json()["error"]) == (403, expected[case])


@fuzz_settings(25)
@given(st.data())
def test_replays_in_any_order_store_each_batch_once(town, tmp_path_factory, data):
    first = town.batch(town.a, [town.sealed("kiosk-a", REFERENCES[0])], sequence=1)
    second = town.batch(town.a, [town.sealed("kiosk-a", REFERENCES[1]), town.sealed("kiosk-a", REFERENCES[2])],
                        sequence=2)
    tampered = _flip(first, {len(first) * 4})
    sends = data.draw(st.lists(st.sampled_from([first, second, tampered]), min_size=1, max_size=8))
    with SqliteStorage(tmp_path_factory.mktemp("replay") / "townhall.db") as storage:
        endpoint = Endpoint(create_app(town.townhall_dir, storage=storage))
        try:
            acks = {}
            for batch in sends:
                response = endpoint.request("POST", BATCHES, content=batch)
                if batch is tampered:
                    assert response.status_code in REFUSED
                    continue
                assert response.status_code == 200
                assert acks.setdefault(batch, response.content) == response.content  # the same ack again
            counts = storage.counts()
        finally:
            endpoint.close()
    expected_items = (1 if first in sends else 0) + (2 if second in sends else 0)
    assert (counts.batches, counts.items) == (len({first, second} & set(sends)), expected_items)


header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=30).filter(
    lambda name: name not in {"content-length", "transfer-encoding", "host"}
)


@fuzz_settings(60)
@given(st.data())
def test_oversized_and_junk_headers_never_break_the_server(server, good, data):
    headers = {
        data.draw(header_names): "x" * data.draw(st.integers(0, 64 * 1024))
        for _ in range(data.draw(st.integers(0, 4)))
    }
    body = data.draw(st.sampled_from([good, _flip(good, {40}), b"", b"\0" * 1000]))
    request = server.client.build_request("POST", BATCHES, content=body, headers=headers)
    length = data.draw(st.one_of(
        st.none(),
        st.integers(-5, 2**70).map(str),
        st.text(alphabet="0123456789 +-xe.,abc", max_size=30),
    ))
    if length is not None:
        request.headers["content-length"] = length
    before = server.storage.counts()
    response = server.send(request)
    assert response.status_code in REFUSED | {200}, (response.status_code, response.text[:300])
    if response.status_code == 200:
        assert body == good
    else:
        refused(server, response, before)


@fuzz_settings(120)
@given(st.data())
def test_random_bytes_to_the_signed_endpoints_are_refused(server, good, town, data):
    request = build_status_request(kiosk_id="kiosk-a", since_serial=0, signing_key=town.a.signing)
    prefixes = [b"", good[: good.index(b"\n") + 1], request[: request.index(b"\n") + 1], b"rathaus-batch/9\n"]
    body = data.draw(st.sampled_from(prefixes)) + data.draw(st.binary(max_size=2048))
    path = data.draw(st.sampled_from([BATCHES, STATUS]))
    before = server.storage.counts()
    refused(server, post(server, path, body), before)


@fuzz_settings(100)
@given(st.data())
def test_damaged_or_foreign_status_requests_are_refused(server, town, data):
    kiosk = data.draw(st.sampled_from(["a", "x", "r", "forged"]))
    if kiosk == "forged":  # kiosk a's name, kiosk b's key
        request = build_status_request(kiosk_id="kiosk-a", since_serial=0, signing_key=town.b.signing)
    else:
        keys = getattr(town, kiosk)
        request = build_status_request(
            kiosk_id=keys.kiosk_id, since_serial=data.draw(st.integers(0, 2**53 - 1)), signing_key=keys.signing
        )
    if kiosk == "a":
        how = data.draw(st.sampled_from(["flip", "cut", "append"]))
        if how == "flip":
            request = _flip(request, data.draw(st.sets(st.integers(0, len(request) * 8 - 1), min_size=1, max_size=6)))
        elif how == "cut":
            request = request[: data.draw(st.integers(0, len(request) - 1))]
        else:
            request += data.draw(st.binary(min_size=1, max_size=100))
    before = server.storage.counts()
    refused(server, post(server, STATUS, request), before)


@fuzz_settings(80)
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    path=st.one_of(
        st.just("/v1/health"),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/-_.%~", max_size=60).map(lambda p: "/" + p),
    ),
    query=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789=&", max_size=40),
)
def test_health_and_every_other_path_answer_without_a_server_error(server, method, path, query):
    before = server.storage.counts()
    response = server.request(method, path + ("?" + query if query else ""), content=b"x" if method in ("POST", "PUT", "PATCH") else None)
    assert response.status_code < 500, (method, path, response.status_code)
    if path == "/v1/health" and method == "GET":
        assert response.status_code == 200 and response.json() == {"ok": True}
    assert server.storage.counts() == before
