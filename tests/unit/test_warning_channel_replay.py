"""The warnings channel against replayed and broken answers: an older answer (a second USB stick,
or one captured on the way) never makes a kiosk forget a warning it was sent, and a damaged
warnings record at the town hall never stops the status and keys a kiosk needs."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kiosk.config import KioskConfig
from kiosk.official_warnings import warnings_view
from kiosk.store import open_store
from sync import downloads as kiosk_downloads
from sync.allowlist import Allowlist
from sync.envelope.downloads import read_download
from sync.keys import load_kiosk_keys, load_townhall_keys
from sync.server import open_storage
from sync.server.downloads import answer_download_request
from sync.warnings.config import load_warnings_config
from sync.warnings.importer import run_import

SAMPLES = Path(__file__).resolve().parents[1] / "vectors" / "warnings"
KIOSK = KioskConfig(warning_area="15090535", warning_coordinates="52.4297,11.8069")


@pytest.fixture
def world(enrol):
    kiosk_dir, townhall_dir = enrol("kiosk-1")
    (townhall_dir / "warnings.toml").write_text('areas = ["15090535"]\n', encoding="utf-8")
    (townhall_dir / "warnings" / "incoming").mkdir(parents=True)
    store = open_store(kiosk_dir / "kiosk.db")
    storage = open_storage(townhall_dir)
    world = {
        "store": store, "storage": storage, "kiosk_dir": kiosk_dir, "townhall_dir": townhall_dir,
        "kiosk": load_kiosk_keys(kiosk_dir), "allowlist": Allowlist(townhall_dir),
        "townhall": load_townhall_keys(townhall_dir, need_encryption=False),
    }
    yield world
    store.close()
    storage.close()


def answer(world) -> bytes:
    request = kiosk_downloads.download_request(world["store"], world["kiosk"])
    return answer_download_request(
        world["storage"], world["allowlist"], request, townhall=world["townhall"], townhall_dir=world["townhall_dir"]
    )


def apply(world, data: bytes) -> None:
    kiosk_downloads.apply_download(data, store=world["store"], kiosk=world["kiosk"], kiosk_dir=world["kiosk_dir"])


def shown(world) -> list[str]:
    return [w.headline for w in warnings_view(KIOSK, world["store"], "de").warnings]


def test_an_older_answer_replayed_after_a_warning_was_added_does_not_hide_it(world, tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    config = load_warnings_config(world["townhall_dir"])
    run_import(config, now=now - dt.timedelta(minutes=3))  # complete: nothing for Tangerhütte
    before = answer(world)
    # a feed is down, or IT imports a MoWaS file by hand: the record changes, "Stand" does not
    fire = tmp_path / "fire.xml"
    shutil.copy(SAMPLES / "mowas-fire-smoke.xml", fire)
    report = run_import(config, files=[fire], now=now - dt.timedelta(minutes=1))
    assert report.new == 1
    after = answer(world)
    assert read_download(after).parts["warnings"].version > read_download(before).parts["warnings"].version
    assert read_download(after).parts["warnings"].as_of == read_download(before).parts["warnings"].as_of

    apply(world, after)
    assert shown(world) == ["Großbrand in Tangerhütte – starke Rauchentwicklung"]
    apply(world, before)  # the second stick, made before the import
    assert shown(world) == ["Großbrand in Tangerhütte – starke Rauchentwicklung"]


def test_importing_the_same_file_again_keeps_the_version(world, tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    config = load_warnings_config(world["townhall_dir"])
    fire = tmp_path / "fire.xml"
    shutil.copy(SAMPLES / "mowas-fire-smoke.xml", fire)
    run_import(config, now=now - dt.timedelta(minutes=3))
    run_import(config, files=[fire], now=now - dt.timedelta(minutes=2))
    first = read_download(answer(world)).parts["warnings"].version
    run_import(config, files=[fire], now=now - dt.timedelta(minutes=1))
    assert read_download(answer(world)).parts["warnings"].version == first


def test_a_damaged_warnings_record_still_lets_status_and_keys_through(world):
    folder = world["townhall_dir"] / "warnings"
    (folder / "warnings.db").write_bytes(b"this is not a database" * 100)
    data = answer(world)
    parts = read_download(data).parts
    assert parts["warnings"].version == 0 and "status" in parts and "keys" in parts
    apply(world, data)
    assert warnings_view(KIOSK, world["store"], "de").state == "never"


def test_warnings_signed_by_another_town_hall_are_refused_with_the_whole_answer(world):
    """A neighbouring town hall's signed answer (or anyone's) naming this kiosk: nothing of it is
    applied, so it can neither add a warning nor replace the kiosk's with "none"."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.errors import EnvelopeError
    from sync.envelope.downloads import ChannelPart, build_download
    from sync.warnings.cap import parse_cap_xml

    now = dt.datetime.now(dt.timezone.utc)
    run_import(load_warnings_config(world["townhall_dir"]), now=now - dt.timedelta(minutes=1))
    apply(world, answer(world))
    held = world["store"].channel_state("warnings")
    fake = parse_cap_xml((SAMPLES / "mowas-fire-smoke.xml").read_bytes())
    part = ChannelPart("warnings", "snapshot", 0, held.version + 10, held.as_of, (fake,))
    forged = build_download({"warnings": part}, kiosk_id="kiosk-1", signing_key=Ed25519PrivateKey.generate())
    with pytest.raises(EnvelopeError):
        apply(world, forged)
    assert world["store"].channel_state("warnings") == held and shown(world) == []
