"""``POST /v1/downloads`` on the real app: the same refusals as the other signed exchanges, and
the endpoint for kiosks before protocol 1.1 still answers."""

from __future__ import annotations

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.envelope import build_status_request, verify_status_bundle
from sync.envelope.downloads import build_download_request, verify_download
from sync.keys import load_kiosk_keys, load_townhall_keys
from sync.server.app import create_app


@pytest.fixture
def kiosk_and_app(enrol):
    kiosk_dir, townhall_dir = enrol("kiosk-a")
    app = create_app(townhall_dir)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://townhall")
    return load_kiosk_keys(kiosk_dir), load_townhall_keys(townhall_dir, need_encryption=False), client


async def test_an_enrolled_kiosk_gets_a_signed_answer_for_the_channels_it_asked_for(kiosk_and_app):
    kiosk, townhall, client = kiosk_and_app
    request = build_download_request(
        kiosk_id="kiosk-a", channels={"status": 0, "keys": 0, "weather": 3}, signing_key=kiosk.signing
    )
    async with client:
        response = await client.post("/v1/downloads", content=request)
    assert response.status_code == 200 and response.headers["content-type"] == "application/octet-stream"
    download = verify_download(response.content, townhall.signing_public, kiosk_id="kiosk-a")
    assert sorted(download.parts) == ["keys", "status"]  # a channel this town hall does not know is left out
    assert all(part.version == 0 and not part.entries for part in download.parts.values())


async def test_strangers_old_requests_and_huge_bodies_are_refused_plainly(kiosk_and_app):
    kiosk, _townhall, client = kiosk_and_app
    stranger = build_download_request(
        kiosk_id="kiosk-x", channels={"status": 0}, signing_key=Ed25519PrivateKey.generate()
    )
    forged = build_download_request(
        kiosk_id="kiosk-a", channels={"status": 0}, signing_key=Ed25519PrivateKey.generate()
    )
    old = build_download_request(
        kiosk_id="kiosk-a", channels={"status": 0}, signing_key=kiosk.signing, created_at="2026-01-01T00:00:00Z"
    )
    async with client:
        answers = [await client.post("/v1/downloads", content=body) for body in (stranger, forged, old)]
        huge = await client.post("/v1/downloads", content=b"x" * 5000)
        empty = await client.post("/v1/downloads", content=b"")
    assert [(a.status_code, a.json()["error"]) for a in answers] == [
        (403, "refused"),  # a sender not authenticated learns nothing more
        (403, "refused"),
        (400, "stale"),
    ]
    assert (huge.status_code, huge.json()["error"]) == (413, "too_large")
    assert (empty.status_code, empty.json()["error"]) == (400, "malformed")


async def test_a_kiosk_not_yet_updated_still_gets_its_status_bundle(kiosk_and_app):
    kiosk, townhall, client = kiosk_and_app
    async with client:
        response = await client.post(
            "/v1/status", content=build_status_request(kiosk_id="kiosk-a", since_serial=0, signing_key=kiosk.signing)
        )
    assert response.status_code == 200
    assert verify_status_bundle(response.content, townhall.signing_public, kiosk_id="kiosk-a") == []
