"""Key files, pinning and the list of enrolled kiosks, as the town hall and a kiosk use them."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.errors import EnvelopeError, KeyFileError
from sync.allowlist import Allowlist
from sync.envelope import (
    ItemMeta,
    build_batch,
    build_enrolment_request,
    fingerprint,
    key_id,
    open_item,
    seal_item,
    verify_batch,
)
from sync.keys import (
    atomic_write,
    enrolment_request_path,
    export_townhall_public,
    init_kiosk,
    init_townhall,
    load_kiosk_keys,
    load_pinned_townhall,
    load_townhall_keys,
    load_townhall_public,
    townhall_public_keys_path,
)

NAME = "Einheitsgemeinde Tangerhütte"


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")


@pytest.fixture
def townhall(tmp_path) -> Path:
    directory = tmp_path / "townhall"
    init_townhall(directory, name=NAME)
    return directory


def make_kiosk(tmp_path: Path, townhall: Path, kiosk_id: str = "kiosk-lueder") -> Path:
    directory = tmp_path / kiosk_id
    init_kiosk(directory, kiosk_id=kiosk_id, townhall_public=townhall_public_keys_path(townhall))
    return directory


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(EnvelopeError) as caught:
        call(*args, **kwargs)
    return caught.value.code


# -- the town hall -----------------------------------------------------------------------------


def test_town_hall_keys_are_private_files_and_a_public_json(tmp_path):
    old = os.umask(0)  # even a careless umask must not widen private key files
    try:
        public = init_townhall(tmp_path / "th", name=NAME)
    finally:
        os.umask(old)
    keys = tmp_path / "th" / "keys"
    assert mode_of(keys / "townhall-encryption.key") == 0o600
    assert mode_of(keys / "townhall-signing.key") == 0o600
    assert (keys / "townhall-signing.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    document = json.loads((keys / "townhall.json").read_text(encoding="utf-8"))
    assert document["name"] == NAME
    assert document["signing_fingerprint"] == public.signing_fingerprint == fingerprint(public.signing)
    assert document["encryption_key_id"] == public.encryption_key_id == key_id(public.encryption)
    assert "PRIVATE" not in json.dumps(document)
    assert export_townhall_public(tmp_path / "th") == document
    assert not [p.name for p in keys.iterdir() if p.name.endswith(".tmp")]


def test_existing_town_hall_keys_are_never_overwritten(townhall):
    before = (townhall / "keys" / "townhall-encryption.key").read_bytes()
    with pytest.raises(KeyFileError) as caught:
        init_townhall(townhall, name="Another name")
    assert "already has keys" in caught.value.message
    assert (townhall / "keys" / "townhall-encryption.key").read_bytes() == before


def test_the_name_of_the_municipality_is_required(tmp_path):
    for bad in ("   ", "x" * 201, "Stadt\x1b[2J"):
        with pytest.raises(KeyFileError):
            init_townhall(tmp_path / "th", name=bad)
    assert not (tmp_path / "th" / "keys" / "townhall-signing.key").exists()


def test_loaded_town_hall_keys_open_what_was_sealed_for_the_published_key(townhall):
    keys = load_townhall_keys(townhall)
    published = load_townhall_public(townhall_public_keys_path(townhall))
    meta = ItemMeta("nachricht", "1", "sha256:" + "00" * 32, "kiosk-a", "7KQM2X9TD", "2026-03-23T09:30:00Z")
    item = seal_item(meta, {"message": "Hallo"}, published.encryption)
    assert open_item(item, keys.encryption)[1] == {"message": "Hallo"}
    assert keys.name == NAME
    assert keys.signing_public.public_bytes_raw() == published.signing.public_bytes_raw()


def test_a_server_without_the_encryption_key_still_loads_its_signing_key(townhall):
    (townhall / "keys" / "townhall-encryption.key").unlink()
    keys = load_townhall_keys(townhall, need_encryption=False)
    assert keys.encryption is None
    assert keys.public.encryption_key_id  # still knows whom kiosks seal for
    with pytest.raises(KeyFileError) as caught:
        load_townhall_keys(townhall)
    assert "townhall-encryption.key is missing" in caught.value.message


def test_the_server_starts_where_systemd_hides_the_encryption_key(townhall):
    # InaccessiblePaths= leaves a node that exists but cannot be opened; the server never needs it.
    path = townhall / "keys" / "townhall-encryption.key"
    path.unlink()
    path.mkdir()
    keys = load_townhall_keys(townhall, need_encryption=False)
    assert keys.encryption is None
    assert keys.public.encryption_key_id


@pytest.mark.parametrize("loose_mode", [0o640, 0o604, 0o644, 0o660])
def test_a_private_key_others_can_read_is_refused_with_the_fix(townhall, loose_mode):
    path = townhall / "keys" / "townhall-signing.key"
    os.chmod(path, loose_mode)
    with pytest.raises(KeyFileError) as caught:
        load_townhall_keys(townhall, need_encryption=False)
    assert caught.value.message.endswith(f"Please run: chmod 600 {path}")
    os.chmod(path, 0o600)
    load_townhall_keys(townhall, need_encryption=False)


def test_a_damaged_or_foreign_key_file_is_refused_without_showing_its_contents(townhall):
    path = townhall / "keys" / "townhall-signing.key"
    original = path.read_bytes()
    path.write_bytes(original[:40])
    with pytest.raises(KeyFileError) as caught:
        load_townhall_keys(townhall, need_encryption=False)
    assert "damaged" in caught.value.message
    assert original[30:40].decode() not in caught.value.message + caught.value.detail
    # A valid key that is not the one townhall.json announces.
    path.unlink()
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    atomic_write(path, pem, mode=0o600, overwrite=False)
    with pytest.raises(KeyFileError):
        load_townhall_keys(townhall, need_encryption=False)


def test_a_hand_edited_public_key_file_is_refused(townhall):
    path = townhall_public_keys_path(townhall)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["signing_fingerprint"] = "0000-0000-0000-0000-0000"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(KeyFileError):
        load_townhall_keys(townhall)


# -- a kiosk -----------------------------------------------------------------------------------


def test_a_kiosk_pins_the_town_hall_and_both_sides_show_the_same_fingerprints(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    assert mode_of(kiosk / "keys" / "kiosk-signing.key") == 0o600
    assert (kiosk / "keys" / "townhall.json").read_bytes() == townhall_public_keys_path(townhall).read_bytes()
    pinned = load_pinned_townhall(kiosk)
    own = load_townhall_keys(townhall).public
    assert (pinned.signing_fingerprint, pinned.encryption_fingerprint) == (
        own.signing_fingerprint,
        own.encryption_fingerprint,
    )
    kiosk_keys = load_kiosk_keys(kiosk)
    entry = Allowlist(townhall).approve(enrolment_request_path(kiosk, "kiosk-lueder"))
    assert entry.fingerprint == kiosk_keys.fingerprint
    assert len(entry.fingerprint) == 24 and entry.fingerprint.count("-") == 4


def test_a_kiosk_id_must_be_simple(tmp_path, townhall):
    for bad in ("Kiosk Lüder", "-kiosk", "kiosk/../x", "", "k" * 41):
        with pytest.raises(KeyFileError):
            init_kiosk(tmp_path / "k", kiosk_id=bad, townhall_public=townhall_public_keys_path(townhall))
    assert not (tmp_path / "k" / "keys").exists()


def test_a_kiosk_is_set_up_only_once(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    before = (kiosk / "keys" / "kiosk-signing.key").read_bytes()
    with pytest.raises(KeyFileError) as caught:
        init_kiosk(kiosk, kiosk_id="kiosk-lueder", townhall_public=townhall_public_keys_path(townhall))
    assert "already has keys" in caught.value.message
    assert (kiosk / "keys" / "kiosk-signing.key").read_bytes() == before


def test_a_kiosk_cannot_be_set_up_without_the_town_hall_file(tmp_path):
    with pytest.raises(KeyFileError) as caught:
        init_kiosk(tmp_path / "k", kiosk_id="kiosk-a", townhall_public=tmp_path / "missing.json")
    assert "missing.json is missing" in caught.value.message
    assert not (tmp_path / "k" / "keys" / "kiosk-signing.key").exists()


def test_a_kiosk_key_with_loose_permissions_is_refused(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    os.chmod(kiosk / "keys" / "kiosk-signing.key", 0o644)
    with pytest.raises(KeyFileError) as caught:
        load_kiosk_keys(kiosk)
    assert "chmod 600" in caught.value.message


def test_a_batch_from_an_enrolled_kiosk_is_verified_and_opened_at_the_town_hall(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    Allowlist(townhall).approve(enrolment_request_path(kiosk, "kiosk-lueder"))
    kiosk_keys, pinned = load_kiosk_keys(kiosk), load_pinned_townhall(kiosk)
    meta = ItemMeta(
        "hausnummer", "1", "sha256:" + "11" * 32, kiosk_keys.kiosk_id, "7KQM2X9TD", "2026-03-23T09:30:00Z"
    )
    item = seal_item(meta, {"street": "Lindenstraße"}, pinned.encryption)
    data = build_batch(
        [item], kiosk_id=kiosk_keys.kiosk_id, sequence=1, signing_key=kiosk_keys.signing,
        recipient_key_id=pinned.encryption_key_id,
    )
    batch = verify_batch(data, Allowlist(townhall).public_key_for("kiosk-lueder"))
    opened = open_item(batch.items[0], load_townhall_keys(townhall).encryption)
    assert opened[1] == {"street": "Lindenstraße"}


# -- the list of enrolled kiosks ---------------------------------------------------------------


def test_unknown_and_revoked_kiosks_are_refused_and_revocation_is_immediate(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    server_view = Allowlist(townhall)  # e.g. held by the running server
    assert code_of(server_view.public_key_for, "kiosk-lueder") == "unknown_kiosk"
    Allowlist(townhall).approve(enrolment_request_path(kiosk, "kiosk-lueder"))
    kiosk_key = load_kiosk_keys(kiosk).public_key
    assert server_view.public_key_for("kiosk-lueder").public_bytes_raw() == kiosk_key.public_bytes_raw()
    Allowlist(townhall).revoke("kiosk-lueder", reason="stolen")  # e.g. from the staff's terminal
    with pytest.raises(EnvelopeError) as caught:
        server_view.public_key_for("kiosk-lueder")
    assert caught.value.code == "revoked_kiosk"
    assert "kiosk-lueder" in caught.value.message
    [entry] = server_view.list()
    assert (entry.revoke_reason, entry.active) == ("stolen", False)


class _ServerThreadsInStep(Allowlist):
    """The server's Allowlist, read by two request threads at the moment staff revoke a kiosk:
    the first thread read the old file and is slow to note it; the second read the new file and
    is interrupted right after it started to note it."""

    def __init__(self, townhall_dir: Path) -> None:
        super().__init__(townhall_dir)
        self.old_read = threading.Event()
        self.revoked = threading.Event()
        self.new_noted = threading.Event()
        self.old_noted = threading.Event()

    def _read(self):
        entries = super()._read()
        if threading.current_thread().name == "slow":
            self.old_read.set()
            self.revoked.wait(10)
        return entries

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        thread = threading.current_thread().name
        if name.startswith("_cache") and thread == "slow":
            self.old_noted.set()
        elif name.startswith("_cache") and thread == "fast" and not self.new_noted.is_set():
            self.new_noted.set()
            self.old_noted.wait(10)


def test_a_revocation_is_never_lost_between_two_server_threads(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    Allowlist(townhall).approve(enrolment_request_path(kiosk, "kiosk-lueder"))
    server_view = _ServerThreadsInStep(townhall)
    slow = threading.Thread(target=server_view.public_key_for, args=("kiosk-lueder",), name="slow")
    slow.start()
    assert server_view.old_read.wait(10)
    Allowlist(townhall).revoke("kiosk-lueder", reason="stolen")

    def fast_request():
        with pytest.raises(EnvelopeError):
            server_view.public_key_for("kiosk-lueder")

    fast = threading.Thread(target=fast_request, name="fast")
    fast.start()
    assert server_view.new_noted.wait(10)
    server_view.revoked.set()
    slow.join(10)
    fast.join(10)
    assert code_of(server_view.public_key_for, "kiosk-lueder") == "revoked_kiosk"


def test_approving_the_same_request_twice_keeps_one_entry(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    allowlist = Allowlist(townhall)
    first = allowlist.approve(enrolment_request_path(kiosk, "kiosk-lueder"))
    second = allowlist.approve(enrolment_request_path(kiosk, "kiosk-lueder").read_bytes())
    assert first == second
    assert len(allowlist.list()) == 1


def test_a_kiosk_id_taken_by_an_active_key_is_not_given_to_a_new_key(tmp_path, townhall):
    allowlist = Allowlist(townhall)
    allowlist.approve(enrolment_request_path(make_kiosk(tmp_path, townhall), "kiosk-lueder"))
    impostor = tmp_path / "impostor"
    init_kiosk(impostor, kiosk_id="kiosk-lueder", townhall_public=townhall_public_keys_path(townhall))
    assert code_of(allowlist.approve, enrolment_request_path(impostor, "kiosk-lueder")) == "already_enrolled"
    # After the old key is revoked, the replacement kiosk may take the id.
    allowlist.revoke("kiosk-lueder", reason="replaced")
    entry = allowlist.approve(enrolment_request_path(impostor, "kiosk-lueder"))
    assert allowlist.public_key_for("kiosk-lueder").public_bytes_raw() == entry.public_key.public_bytes_raw()
    assert [e.active for e in allowlist.list()] == [False, True]


def test_a_revoked_key_can_never_be_approved_again(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    allowlist = Allowlist(townhall)
    allowlist.approve(enrolment_request_path(kiosk, "kiosk-lueder"))
    allowlist.revoke("kiosk-lueder")
    allowlist.revoke("kiosk-lueder")  # revoking twice changes nothing
    assert code_of(allowlist.approve, enrolment_request_path(kiosk, "kiosk-lueder")) == "revoked_kiosk"
    assert code_of(allowlist.revoke, "kiosk-nobody") == "unknown_kiosk"


def test_a_kiosk_set_up_for_another_town_hall_is_not_approved(tmp_path, townhall):
    other = tmp_path / "other-townhall"
    init_townhall(other, name="Stadt Anderswo")
    kiosk = make_kiosk(tmp_path, other)
    with pytest.raises(KeyFileError) as caught:
        Allowlist(townhall).approve(enrolment_request_path(kiosk, "kiosk-lueder"))
    assert "another town hall's keys" in caught.value.message
    assert Allowlist(townhall).list() == []


def test_a_changed_enrolment_request_is_refused(tmp_path, townhall):
    kiosk = make_kiosk(tmp_path, townhall)
    path = enrolment_request_path(kiosk, "kiosk-lueder")
    document = json.loads(path.read_text())
    intruder = Ed25519PrivateKey.generate()
    forged = json.loads(
        build_enrolment_request(
            kiosk_id="kiosk-lueder",
            signing_key=intruder,
            municipality=NAME,
            townhall_signing_key_id=load_townhall_keys(townhall).public.signing_key_id,
            townhall_encryption_key_id=load_townhall_keys(townhall).public.encryption_key_id,
        )
    )
    document["payload"] = forged["payload"]  # someone else's key with the kiosk's signature
    assert code_of(Allowlist(townhall).approve, json.dumps(document).encode()) == "bad_signature"
    assert code_of(Allowlist(townhall).approve, b"{}") == "malformed"
    with pytest.raises(KeyFileError):
        Allowlist(townhall).approve(tmp_path / "no-such-request.json")


def test_a_damaged_list_of_kiosks_is_reported_not_ignored(tmp_path, townhall):
    allowlist = Allowlist(townhall)
    allowlist.approve(enrolment_request_path(make_kiosk(tmp_path, townhall), "kiosk-lueder"))
    allowlist.path.write_text('{"format": "rathaus-kiosks/1", "kiosks": [{"kiosk_id": 1}]}')
    with pytest.raises(KeyFileError) as caught:
        allowlist.public_key_for("kiosk-lueder")
    assert "damaged" in caught.value.message


def test_approvals_at_the_same_time_are_all_kept(tmp_path, townhall):
    requests = [
        enrolment_request_path(make_kiosk(tmp_path, townhall, f"kiosk-{i}"), f"kiosk-{i}") for i in range(8)
    ]
    errors: list[BaseException] = []

    def approve(path: Path) -> None:
        try:
            Allowlist(townhall).approve(path)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(path,)) for path in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(e.kiosk_id for e in Allowlist(townhall).list()) == [f"kiosk-{i}" for i in range(8)]


def test_a_townhall_json_of_protocol_1_0_is_still_read_as_the_x25519_suite(tmp_path, townhall):
    published = load_townhall_public(townhall_public_keys_path(townhall))
    old = published.to_json("2026-01-05T08:00:00Z", version=1)
    assert old["format"] == "rathaus-townhall-keys/1" and "suite" not in old
    path = tmp_path / "old-townhall.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    assert load_townhall_public(path).suite == "x25519"
    assert load_townhall_public(path).encryption_key_id == published.encryption_key_id
    path.write_text(json.dumps({**old, "suite": "x25519"}), encoding="utf-8")  # 1.0 had no such key
    with pytest.raises(KeyFileError):
        load_townhall_public(path)


def test_a_hybrid_town_hall_keeps_both_halves_of_its_key_and_opens_with_them(tmp_path):
    from sync.keys import load_encryption_keyring

    public = init_townhall(tmp_path / "th", name=NAME, suite="mlkem768-x25519")
    pem = (tmp_path / "th" / "keys" / "townhall-encryption.key").read_bytes()
    assert pem.count(b"-----BEGIN PRIVATE KEY-----") == 2
    assert mode_of(tmp_path / "th" / "keys" / "townhall-encryption.key") == 0o600
    keyring = load_encryption_keyring(tmp_path / "th")
    assert keyring.key_ids == (public.encryption_key_id,)
    meta = ItemMeta("nachricht", "1", "00" * 32, "kiosk-a", "7KQM2X9TJ", "2026-03-23T09:30:00Z")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    item = seal_item(meta, {"message": "Hallo"}, public.encryption, Ed25519PrivateKey.generate())
    assert open_item(item, keyring.key_for(public.encryption_key_id))[1] == {"message": "Hallo"}
