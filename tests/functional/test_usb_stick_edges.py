"""USB sticks as they come back from the village: odd files, files in the wrong folder, a request
from one kiosk filed under another. The town hall imports what is sound and names the rest."""

from __future__ import annotations

import pytest

from kiosk.runtime import open_runtime
from sync.allowlist import Allowlist
from sync.keys import load_kiosk_keys, load_pinned_townhall, load_townhall_keys
from sync.server import open_storage
from sync.usb import kiosk_export, townhall_import


@pytest.fixture
def stick_from_kiosk(enrol, fill, tmp_path, monkeypatch):
    """A stick with one kiosk's batch and status request on it, as ``usb export`` leaves it."""
    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, townhall_dir = enrol("kiosk-usb")
    stick = tmp_path / "stick"
    stick.mkdir()
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        answers = fill(form, {"topic": "lob", "message": "Danke!", "name": "", "wants_reply": False})
        runtime.submit(form, answers)
        kiosk_export(stick, runtime.store, kiosk=load_kiosk_keys(kiosk_dir), townhall=load_pinned_townhall(kiosk_dir))
    return townhall_dir, stick


def _import(townhall_dir, stick):
    with open_storage(townhall_dir) as storage:
        report = townhall_import(
            stick, storage, Allowlist(townhall_dir), townhall=load_townhall_keys(townhall_dir, need_encryption=False)
        )
        return report, storage.counts()


def test_a_huge_file_on_the_stick_is_refused_without_reading_it_whole(stick_from_kiosk):
    townhall_dir, stick = stick_from_kiosk
    huge = stick / "rathaus-transfer" / "to-townhall" / "kiosk-usb" / "00000000-huge.batch"
    with open(huge, "wb") as fh:
        fh.truncate(64 * 1024**3)  # sparse: takes no room on disk, but far more than memory
    report, counts = _import(townhall_dir, stick)
    assert report.batches_received == 1 and counts.items == 1
    assert len(report.problems) == 1 and "huge.batch" in report.problems[0]
    assert "too_large" in report.problems[0]


def test_status_updates_go_to_the_kiosk_that_asked_even_from_a_misfiled_request(stick_from_kiosk):
    townhall_dir, stick = stick_from_kiosk
    outgoing = stick / "rathaus-transfer" / "to-townhall"
    (outgoing / "kiosk-usb").rename(outgoing / "copied-by-hand")
    report, _counts = _import(townhall_dir, stick)
    assert report.bundles_written == 1 and not report.problems
    replies = stick / "rathaus-transfer" / "to-kiosk"
    assert (replies / "kiosk-usb" / "download-001.answer").is_file()
    assert not (replies / "copied-by-hand").exists()


def test_a_huge_reply_file_is_refused_at_the_kiosk_without_reading_it_whole(enrol, tmp_path, monkeypatch):
    from sync.usb import kiosk_collect_replies

    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, _townhall_dir = enrol("kiosk-usb")
    replies = tmp_path / "stick" / "rathaus-transfer" / "to-kiosk" / "kiosk-usb"
    replies.mkdir(parents=True)
    for name in ("0" * 32 + ".ack", "status.bundle", "download-001.answer"):
        with open(replies / name, "wb") as fh:
            fh.truncate(64 * 1024**3)
    with open_runtime(kiosk_dir) as runtime:
        report = kiosk_collect_replies(
            tmp_path / "stick", runtime.store, kiosk=load_kiosk_keys(kiosk_dir), townhall=load_pinned_townhall(kiosk_dir)
        )
    assert len(report.problems) == 3 and all("too_large" in problem for problem in report.problems)


def test_replies_forged_on_the_stick_change_nothing_at_the_kiosk(enrol, fill, tmp_path, monkeypatch):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync.envelope import StatusUpdate, build_ack, build_status_bundle, parse_batch
    from sync.usb import kiosk_collect_replies

    monkeypatch.setenv("RATHAUS_LANG", "en")
    kiosk_dir, _townhall_dir = enrol("kiosk-usb")
    stick = tmp_path / "stick"
    stick.mkdir()
    stranger = Ed25519PrivateKey.generate()
    keys, pinned = load_kiosk_keys(kiosk_dir), load_pinned_townhall(kiosk_dir)
    with open_runtime(kiosk_dir) as runtime:
        form = runtime.form("nachricht")
        answers = fill(form, {"topic": "lob", "message": "Danke!", "name": "", "wants_reply": False})
        reference = runtime.submit(form, answers).reference
        kiosk_export(stick, runtime.store, kiosk=keys, townhall=pinned)
        header = parse_batch(next(stick.rglob("*.batch")).read_bytes()).header
        replies = stick / "rathaus-transfer" / "to-kiosk" / "kiosk-usb"
        replies.mkdir(parents=True)
        (replies / f"{header.batch_id}.ack").write_bytes(
            build_ack(batch_id=header.batch_id, kiosk_id="kiosk-usb", item_digests=header.item_digests,
                      received_at=header.created_at, signing_key=stranger)
        )
        update = StatusUpdate(reference, "rejected", "Abgelehnt.", "2026-03-24T08:00:00Z", 99)
        (replies / "status.bundle").write_bytes(build_status_bundle([update], kiosk_id="kiosk-usb", signing_key=stranger))
        report = kiosk_collect_replies(stick, runtime.store, kiosk=keys, townhall=pinned)
        assert (report.acks_applied, report.statuses_applied) == (0, 0)
        assert len(report.problems) == 2 and all("bad_signature" in problem for problem in report.problems)
        assert runtime.waiting_count() == 1 and runtime.lookup(reference, "en").status != "rejected"
