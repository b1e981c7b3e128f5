"""A sender who has not proved it holds an enrolled kiosk's active key learns nothing from a
refusal: an unknown key, a revoked kiosk and a bad signature get byte-identical answers, with no
kiosk id and no revocation time. The town hall's log keeps the real reason for staff, and an
authenticated kiosk still gets its helpful code."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.allowlist import Allowlist
from sync.envelope import ItemMeta, build_batch, build_status_request, key_id, seal_item
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_townhall_keys,
    townhall_public_keys_path,
)
from sync.server.app import create_app
from sync.server.storage import open_storage


@pytest.fixture
def town(tmp_path):
    townhall_dir = tmp_path / "townhall"
    init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
    kiosks = {}
    for kiosk_id, approve in (("kiosk-a", True), ("kiosk-revoked", True), ("kiosk-never", False)):
        folder = tmp_path / kiosk_id
        init_kiosk(folder, kiosk_id=kiosk_id, townhall_public=townhall_public_keys_path(townhall_dir))
        if approve:
            Allowlist(townhall_dir).approve(enrolment_request_path(folder, kiosk_id))
        kiosks[kiosk_id] = load_kiosk_keys(folder)
    Allowlist(townhall_dir).revoke("kiosk-revoked", reason="gestohlen")
    with open_storage(townhall_dir) as storage:
        app = create_app(townhall_dir, storage=storage)
        yield {
            "client": httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://townhall"),
            "townhall": load_townhall_keys(townhall_dir, need_encryption=False),
            "kiosks": kiosks,
            "storage": storage,
        }


def _batch(town, kiosk_id: str, signing_key, recipient=None) -> bytes:
    public = town["townhall"].public
    recipient = recipient or public.encryption
    meta = ItemMeta("hausnummer", "1", "a" * 64, kiosk_id, "7KQM2X9TD", "2026-03-02T09:15:00Z")
    return build_batch(
        [seal_item(meta, {"name": "Erika"}, recipient)],
        kiosk_id=kiosk_id,
        sequence=1,
        signing_key=signing_key,
        recipient_key_id=key_id(recipient),
    )


def _answer(response: httpx.Response) -> tuple:
    return response.status_code, tuple(sorted(response.headers.items())), response.content


def _tells_nothing(response: httpx.Response) -> None:
    text = response.content.decode("utf-8")
    assert response.status_code == 403 and response.json()["error"] == "refused"
    assert "kiosk" not in text.lower() and not re.search(r"\d{4}-\d{2}-\d{2}", text)


async def test_unknown_key_revoked_kiosk_and_bad_signature_get_byte_identical_refusals(town, caplog):
    kiosks, stranger = town["kiosks"], Ed25519PrivateKey.generate()
    with caplog.at_level(logging.WARNING, logger="rathaus"):
        answers = {
            "never enrolled": await town["client"].post(
                "/v1/batches", content=_batch(town, "kiosk-never", kiosks["kiosk-never"].signing)
            ),
            "no such kiosk id": await town["client"].post("/v1/batches", content=_batch(town, "kiosk-zz", stranger)),
            "revoked, its own valid signature": await town["client"].post(
                "/v1/batches", content=_batch(town, "kiosk-revoked", kiosks["kiosk-revoked"].signing)
            ),
            "enrolled id, stranger's signature": await town["client"].post(
                "/v1/batches", content=_batch(town, "kiosk-a", stranger)
            ),
        }
    assert len({_answer(response) for response in answers.values()}) == 1, {k: v.content for k, v in answers.items()}
    _tells_nothing(answers["revoked, its own valid signature"])
    # Staff still read the reason in the server's log.
    assert "unknown_kiosk" in caplog.text and "revoked_kiosk" in caplog.text and "bad_signature" in caplog.text
    assert town["storage"].counts().batches == 0


async def test_status_requests_of_strangers_get_the_same_refusal_as_batches(town):
    kiosks, stranger = town["kiosks"], Ed25519PrivateKey.generate()
    requests = [
        build_status_request(kiosk_id="kiosk-never", since_serial=0, signing_key=kiosks["kiosk-never"].signing),
        build_status_request(kiosk_id="kiosk-revoked", since_serial=0, signing_key=kiosks["kiosk-revoked"].signing),
        build_status_request(kiosk_id="kiosk-a", since_serial=0, signing_key=stranger),
    ]
    answers = [await town["client"].post("/v1/status", content=request) for request in requests]
    batch = await town["client"].post("/v1/batches", content=_batch(town, "kiosk-zz", stranger))
    assert len({_answer(response) for response in [*answers, batch]}) == 1
    _tells_nothing(answers[1])


async def test_an_authenticated_kiosk_still_gets_its_helpful_code(town):
    other_town_hall = X25519PrivateKey.generate().public_key()
    response = await town["client"].post(
        "/v1/batches", content=_batch(town, "kiosk-a", town["kiosks"]["kiosk-a"].signing, recipient=other_town_hall)
    )
    assert (response.status_code, response.json()["error"]) == (400, "wrong_recipient")
