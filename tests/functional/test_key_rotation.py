"""``rathaus keys rotate`` while applications wait on a kiosk: nothing sealed before is lost, the
kiosk learns the new key on its next exchange and seals for it, and a forged key update is refused.

A real town-hall server on 127.0.0.1 (restarted after the rotation, as the command asks), a real
kiosk runtime, and the staff inbox opening every application at the end.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.cli import main
from kiosk.config import KioskConfig, save_config
from kiosk.errors import EnvelopeError
from kiosk.runtime import open_runtime
from sync.allowlist import Allowlist
from sync.downloads import apply_download
from sync.embedded import start_embedded_server
from sync.envelope import item_recipient_key_id, key_id
from sync.envelope.downloads import ChannelPart, build_download
from sync.envelope.keyupdates import build_key_update
from sync.inbox import Inbox
from sync.keys import (
    enrolment_request_path,
    init_kiosk,
    load_pinned_townhall,
    load_townhall_keys,
    previous_encryption_key_ids,
    townhall_public_bytes,
    townhall_public_keys_path,
)
from sync.outbox import batch_builder
from sync.rotation import rotate_townhall_keys
from sync.server import create_app

MESSAGE = {"topic": "lob", "message": "Danke für die neue Bank!", "name": "Ida Quast", "wants_reply": False}


def send(runtime, fill) -> str:
    form = runtime.form("nachricht")
    return runtime.submit(form, fill(form, MESSAGE)).reference


def sealed_for(runtime, reference: str) -> str:
    """The key id an application waiting at the kiosk is sealed for."""
    with runtime.store._tx.read() as db:
        row = db.execute("SELECT sealed FROM outbox WHERE reference = ?", [reference]).fetchone()
    return item_recipient_key_id(bytes(row[0]))


def sealed_for_dir(kiosk_dir, reference: str) -> str:
    with open_runtime(kiosk_dir) as runtime:
        return sealed_for(runtime, reference)


@pytest.mark.parametrize(
    "signing, suite",
    [(False, None), (True, None), (False, "mlkem768-x25519")],
    ids=["encryption-key", "both-keys", "to-the-hybrid-suite"],
)
def test_a_rotation_while_applications_wait_on_the_kiosk_loses_nothing(enrol, fill, capsys, signing, suite):
    kiosk_dir, townhall_dir = enrol("kiosk-lueder")
    old = load_townhall_keys(townhall_dir, need_encryption=False).public
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=3600))
        with open_runtime(kiosk_dir) as runtime:
            in_batch = send(runtime, fill)
            runtime.store.take_batch(batch_builder(runtime.kiosk_keys, runtime.townhall))  # sent, unanswered
            queued = send(runtime, fill)
    assert sealed_for_dir(kiosk_dir, in_batch) == sealed_for_dir(kiosk_dir, queued) == old.encryption_key_id

    argv = ["keys", "rotate", "--data-dir", str(townhall_dir)] + (["--signing"] if signing else [])
    argv += ["--suite", suite] if suite else []
    assert main(argv) == 0
    assert "systemctl restart rathaus-server" in capsys.readouterr().out
    new = load_townhall_keys(townhall_dir, need_encryption=True).public
    assert new.encryption_key_id != old.encryption_key_id
    assert (new.signing_key_id != old.signing_key_id) is signing
    assert new.suite == (suite or old.suite)

    with start_embedded_server(create_app(townhall_dir)) as server:  # restarted with the new keys
        save_config(kiosk_dir, KioskConfig(server_url=server.url, sync_interval_seconds=3600))
        with open_runtime(kiosk_dir) as runtime:
            assert runtime.fetch_answers(lang="en")  # the look-up's quick download brings the key
            assert runtime.townhall.encryption_key_id == new.encryption_key_id
            after = send(runtime, fill)  # while an older one still waits: a batch of its own
            assert sealed_for(runtime, after) == new.encryption_key_id
            assert sealed_for(runtime, queued) == old.encryption_key_id

            report = runtime.sync_now(lang="en")
            assert report.error is None and report.sent == 3 and report.acknowledged == 3
            assert runtime.waiting_count() == 0
    pinned = (kiosk_dir / "keys" / "townhall.json").read_bytes()
    assert pinned == townhall_public_keys_path(townhall_dir).read_bytes()

    inbox = Inbox(townhall_dir)
    for reference in (in_batch, queued, after):
        assert inbox.open(reference).answers["message"] == "Danke für die neue Bank!"


def test_a_key_update_not_signed_by_the_old_signing_key_is_refused(enrol):
    kiosk_dir, townhall_dir = enrol("kiosk-lueder")
    keys = load_townhall_keys(townhall_dir, need_encryption=False)
    pinned_before = (kiosk_dir / "keys" / "townhall.json").read_bytes()
    intruder = Ed25519PrivateKey.generate()
    theirs = X25519PrivateKey.generate().public_key()
    fake = replace(
        keys.public,
        encryption=theirs,
        signing=intruder.public_key(),
        encryption_key_id=key_id(theirs),
        signing_key_id=key_id(intruder.public_key()),
    )
    forged_update = build_key_update(1, townhall_public_bytes(fake, "2026-11-20T09:00:00Z"), intruder)
    part = ChannelPart("keys", "delta", 0, 1, "2026-11-20T09:30:00Z", (forged_update,))

    with open_runtime(kiosk_dir) as runtime:
        # Signed as a whole by the intruder's key (the one it wants trusted), or by the real
        # town-hall key (a compromised server): either way the update itself is not the old key's.
        for signer in (intruder, keys.signing):
            answer = build_download({"keys": part}, kiosk_id="kiosk-lueder", signing_key=signer)
            with pytest.raises(EnvelopeError) as caught:
                apply_download(
                    answer, store=runtime.store, kiosk=runtime.kiosk_keys, kiosk_dir=kiosk_dir
                )
            assert caught.value.code == "bad_signature"
        # Signed by the right key but not a key file: refused as damaged, the kiosk keeps working.
        broken = build_key_update(1, b'{"format": "rathaus-townhall-keys/1"}', keys.signing)
        answer = build_download(
            {"keys": ChannelPart("keys", "delta", 0, 1, "2026-11-20T09:30:00Z", (broken,))},
            kiosk_id="kiosk-lueder", signing_key=keys.signing,
        )
        with pytest.raises(EnvelopeError) as caught:
            apply_download(
                answer, store=runtime.store, kiosk=runtime.kiosk_keys, kiosk_dir=kiosk_dir
            )
        assert caught.value.code == "malformed"
        assert runtime.store.channel_state("keys").version == 0
    assert (kiosk_dir / "keys" / "townhall.json").read_bytes() == pinned_before
    assert load_pinned_townhall(kiosk_dir).encryption_key_id == keys.public.encryption_key_id


def test_a_kiosk_set_up_after_two_rotations_skips_what_it_already_has(enrol, tmp_path):
    _kiosk_dir, townhall_dir = enrol("kiosk-lueder")
    rotate_townhall_keys(townhall_dir, signing=True)
    rotate_townhall_keys(townhall_dir)
    late = tmp_path / "late-kiosk"
    init_kiosk(late, kiosk_id="kiosk-spaet", townhall_public=townhall_public_keys_path(townhall_dir))
    Allowlist(townhall_dir).approve(enrolment_request_path(late, "kiosk-spaet"))
    with start_embedded_server(create_app(townhall_dir)) as server:
        save_config(late, KioskConfig(server_url=server.url, sync_interval_seconds=3600))
        with open_runtime(late) as runtime:
            assert runtime.fetch_answers(lang="en")
            assert runtime.store.channel_state("keys").version == 2
    assert (late / "keys" / "townhall.json").read_bytes() == townhall_public_keys_path(townhall_dir).read_bytes()


def test_a_rotation_reaches_a_stick_only_kiosk_before_the_acknowledgements_on_the_stick(enrol, fill, tmp_path):
    from sync.server import open_storage
    from sync.usb import kiosk_collect_replies, kiosk_export, townhall_import

    kiosk_dir, townhall_dir = enrol("kiosk-lueder")
    stick = tmp_path / "stick"
    stick.mkdir()
    with open_runtime(kiosk_dir) as runtime:
        waiting = send(runtime, fill)
        kiosk_export(stick, runtime.store, kiosk=runtime.kiosk_keys, townhall=runtime.townhall)
    rotate_townhall_keys(townhall_dir, signing=True)  # the acknowledgements come signed by the new key
    new = load_townhall_keys(townhall_dir, need_encryption=False)
    with open_storage(townhall_dir) as storage:
        report = townhall_import(
            stick, storage, Allowlist(townhall_dir), townhall=new, townhall_dir=townhall_dir, lang="en"
        )
    assert report.batches_received == 1 and not report.problems
    with open_runtime(kiosk_dir) as runtime:
        back = kiosk_collect_replies(stick, runtime.store, kiosk=runtime.kiosk_keys, townhall=runtime.townhall, lang="en")
        assert not back.problems and back.downloads_applied == 1 and back.acks_applied == 1
        assert runtime.waiting_count() == 0
        later = send(runtime, fill)  # the kiosk opened before the stick came: it follows the new file
        assert sealed_for(runtime, later) == new.public.encryption_key_id
    assert load_pinned_townhall(kiosk_dir).signing_key_id == new.public.signing_key_id
    assert Inbox(townhall_dir).open(waiting).answers["message"] == "Danke für die neue Bank!"


def test_a_rotation_cut_off_by_a_power_cut_is_finished_by_running_it_again(enrol, monkeypatch, capsys):
    import sync.rotation as rotation

    _kiosk_dir, townhall_dir = enrol("kiosk-lueder")
    old = load_townhall_keys(townhall_dir, need_encryption=True).public
    real_replace = rotation._replace_private

    def power_cut(source, target):
        raise OSError("power cut")

    monkeypatch.setattr(rotation, "_replace_private", power_cut)
    with pytest.raises(OSError):
        rotate_townhall_keys(townhall_dir)
    # The rotation file is written (kiosks may already take it), the current files are the old ones.
    assert len(rotation.key_updates(townhall_dir)) == 1
    assert load_townhall_keys(townhall_dir, need_encryption=True).public == old

    monkeypatch.setattr(rotation, "_replace_private", real_replace)
    assert main(["keys", "rotate", "--data-dir", str(townhall_dir)]) == 0
    assert "Ein unterbrochener Schlüsselwechsel wurde abgeschlossen" in capsys.readouterr().out
    now = load_townhall_keys(townhall_dir, need_encryption=True)  # every file fits again
    assert len(rotation.key_updates(townhall_dir)) == 1
    assert townhall_public_keys_path(townhall_dir).read_bytes() == rotation.key_updates(townhall_dir)[0].townhall
    assert now.public.encryption_key_id != old.encryption_key_id
    assert old.encryption_key_id in previous_encryption_key_ids(townhall_dir)
