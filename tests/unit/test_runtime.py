"""The kiosk as the screens use it: set up once, take applications, answer receipt look-ups."""

from __future__ import annotations

import os
import textwrap

import httpx
import pytest

from kiosk import refcode
from kiosk.config import KioskConfig, save_config
from kiosk.errors import KeyFileError, RathausError, ReferenceCodeError
from kiosk.forms import FormSession, builtin_forms_dir
from kiosk.runtime import STATUS_SENTENCES, describe_status, open_runtime
from kiosk.store import OutboxState, StatusRecord, StatusView
from sync.envelope import STATUSES, open_item
from sync.keys import init_kiosk, init_townhall, load_townhall_keys, townhall_public_keys_path
from sync.outbox import RetryPolicy

FORM = textwrap.dedent(
    """
    format = 1
    id = "hinweis"
    version = "1.0"
    order = 1
    title.de = "Hinweis an das Rathaus"
    title.en = "A note to the town hall"
    summary.de = "Ein Hinweis mit Kontoverbindung."
    summary.en = "A note with bank details."

    [receipt]
    next.de = "Wir melden uns."
    next.en = "We will be in touch."
    bring.de = []
    bring.en = []

    [[fields]]
    id = "name"
    type = "text"
    label.de = "Wie heißen Sie?"
    label.en = "What is your name?"
    help.de = "Vor- und Nachname."
    help.en = "First and last name."

    [[fields]]
    id = "iban"
    type = "iban"
    label.de = "Ihre IBAN"
    label.en = "Your IBAN"
    help.de = "Für die Erstattung."
    help.en = "For the refund."
    """
)


@pytest.fixture
def townhall_dir(tmp_path):
    folder = tmp_path / "townhall"
    init_townhall(folder, name="Einheitsgemeinde Tangerhütte")
    return folder


@pytest.fixture
def kiosk_dir(tmp_path, townhall_dir):
    folder = tmp_path / "kiosk"
    init_kiosk(folder, kiosk_id="kiosk-lueder", townhall_public=townhall_public_keys_path(townhall_dir))
    (folder / "forms").mkdir()
    (folder / "forms" / "hinweis.toml").write_text(FORM, encoding="utf-8")
    save_config(folder, KioskConfig(forms_dir="forms"))  # relative: inside the data directory
    return folder


@pytest.fixture
def runtime(kiosk_dir):
    opened = open_runtime(kiosk_dir)
    yield opened
    opened.close()


def fill_in(runtime, name="Zacharias Quimby-Ostermann", iban="DE89 3704 0044 0532 0130 00"):
    session = FormSession(runtime.form("hinweis"), "de")
    session.answer(name)
    session.answer(iban)
    assert session.at_review and session.is_complete()
    return session.answers()


def test_a_set_up_kiosk_opens_with_its_identity_services_and_queue(runtime, kiosk_dir):
    assert runtime.kiosk_id == "kiosk-lueder"
    assert [form.id for form in runtime.forms] == ["hinweis"]
    assert runtime.form("hinweis").version == "1.0"
    assert runtime.waiting_count() == 0 and runtime.last_sync_at() is None
    assert (kiosk_dir / "kiosk.db").exists()


def test_without_a_forms_folder_the_shipped_services_are_offered(kiosk_dir):
    save_config(kiosk_dir, KioskConfig())
    with open_runtime(kiosk_dir) as runtime:
        shipped = sorted(p.stem for p in builtin_forms_dir().glob("*.toml"))
        assert len(runtime.forms) == len(shipped) > 0


def test_a_kiosk_that_is_not_set_up_says_how_to_set_it_up(tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    folder = tmp_path / "new-kiosk"
    with pytest.raises(RathausError, match="rathaus keys init-kiosk") as caught:
        open_runtime(folder)
    assert "not set up" in caught.value.message
    assert not (folder / "kiosk.db").exists()


def test_the_not_set_up_message_is_german_by_default(tmp_path):
    with pytest.raises(RathausError, match="noch nicht eingerichtet"):
        open_runtime(tmp_path / "new-kiosk")


def test_a_readable_private_key_stops_the_kiosk_before_anything_is_stored(kiosk_dir):
    key = kiosk_dir / "keys" / "kiosk-signing.key"
    os.chmod(key, 0o644)
    (kiosk_dir / "kiosk.db").unlink(missing_ok=True)
    with pytest.raises(KeyFileError, match="chmod 600"):
        open_runtime(kiosk_dir)
    assert not (kiosk_dir / "kiosk.db").exists()


def test_an_unknown_service_is_a_plain_error(runtime, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    with pytest.raises(RathausError, match="not offered"):
        runtime.form("hundesteuer")


def test_a_submitted_application_can_be_looked_up_and_opened_by_the_town_hall(
    runtime, townhall_dir
):
    answers = fill_in(runtime)
    queued = runtime.submit(runtime.form("hinweis"), answers)
    assert runtime.waiting_count() == 1

    typed = refcode.display(queued.reference).lower().replace("-", " ")
    view = runtime.lookup(typed, "de")
    assert view.reference == queued.reference and view.state is OutboxState.QUEUED
    assert view.form_id == "hinweis"

    townhall = load_townhall_keys(townhall_dir)
    sealed = runtime.store.take_batch(lambda items, seq, bid: items[0]).data
    meta, opened = open_item(sealed, townhall.encryption)
    assert opened == {"name": "Zacharias Quimby-Ostermann", "iban": "DE89370400440532013000"}
    assert (meta.kiosk_id, meta.reference, meta.form_id) == ("kiosk-lueder", queued.reference, "hinweis")
    assert meta.form_hash == runtime.form("hinweis").content_hash


def test_a_mistyped_code_is_caught_before_looking(runtime):
    code = refcode.new_reference()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ReferenceCodeError):
        runtime.lookup(wrong, "en")


def test_a_code_from_another_kiosk_gets_a_plain_answer(runtime):
    code = refcode.new_reference()
    with pytest.raises(RathausError, match="No application with the code") as caught:
        runtime.lookup(code, "en")
    assert refcode.display(code) in caught.value.message
    with pytest.raises(RathausError, match="Zu diesem Code"):
        runtime.lookup(code, "de")


def test_the_town_halls_answer_is_shown_in_plain_words(runtime):
    queued = runtime.submit(runtime.form("hinweis"), fill_in(runtime))
    view = runtime.lookup(queued.reference, "en")
    assert "saved at this kiosk" in describe_status(view, "en")
    assert "gespeichert" in describe_status(view, "de")
    runtime.store.mark_acknowledged(runtime.store.take_batch(lambda items, seq, bid: b"x").batch_id)
    assert "arrived at the town hall" in describe_status(runtime.lookup(queued.reference, "en"), "en")
    runtime.store.apply_status(
        [StatusRecord(queued.reference, "accepted", "Bitte holen Sie den Bescheid ab.", "2026-05-02T09:00:00Z", 1)]
    )
    view = runtime.lookup(queued.reference, "de")
    assert view.state is OutboxState.ANSWERED
    assert describe_status(view, "en") == "Your application has been approved."
    assert describe_status(view, "de") == "Ihr Antrag wurde bewilligt."
    assert view.message == "Bitte holen Sie den Bescheid ab."


def test_every_status_the_town_hall_can_send_has_a_sentence():
    assert set(STATUS_SENTENCES) == set(STATUSES)


@pytest.mark.parametrize("status", STATUSES)
def test_every_town_hall_status_has_its_own_german_sentence(status):
    view = StatusView("7KQM2X9TD", "hinweis", "2026-05-01T08:00:00Z", OutboxState.ANSWERED, status, "", None)
    german, english = describe_status(view, "de"), describe_status(view, "en")
    assert german != english and german.endswith(".")


def test_a_status_the_kiosk_does_not_know_yet_still_says_there_is_an_answer():
    view = StatusView("7KQM2X9TD", "hinweis", "2026-05-01T08:00:00Z", OutboxState.ANSWERED, "archived", "", None)
    assert describe_status(view, "en") == "The town hall has answered your application."


def test_without_a_town_hall_address_sync_says_to_use_the_usb_stick(runtime, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    with pytest.raises(RathausError, match="USB stick"):
        runtime.sync_now()


def test_an_unreachable_town_hall_leaves_applications_waiting(kiosk_dir):
    save_config(kiosk_dir, KioskConfig(forms_dir="forms", server_url="http://127.0.0.1:9"))
    with open_runtime(kiosk_dir) as runtime:
        runtime.submit(runtime.form("hinweis"), fill_in(runtime))
        report = runtime.sync_now(lang="en", policy=RetryPolicy(attempts=1))
        assert report.error and "wait safely" in report.error
        assert runtime.waiting_count() == 1
        assert runtime.last_sync_at() is None


def test_a_town_hall_that_refuses_the_kiosk_is_reported_and_nothing_is_lost(kiosk_dir):
    save_config(kiosk_dir, KioskConfig(forms_dir="forms", server_url="http://townhall.invalid"))
    refuse = httpx.MockTransport(lambda request: httpx.Response(403, json={"error": "unknown_kiosk"}))
    with open_runtime(kiosk_dir) as runtime:
        first = runtime.submit(runtime.form("hinweis"), fill_in(runtime))
        report = runtime.sync_now(lang="en", transport=refuse)
        assert report.refused and report.error
        # Refused at the download, which comes first: nothing left the kiosk, nothing is lost.
        assert runtime.lookup(first.reference, "en").state is OutboxState.QUEUED
        assert runtime.waiting_count() == 1


def test_every_text_of_the_queue_and_the_runtime_has_a_german_translation():
    from pathlib import Path

    from babel.messages.extract import extract_from_file

    from kiosk.i18n import translator

    root = Path(__file__).resolve().parents[2] / "kiosk"
    sources = [*sorted((root / "store").glob("*.py")), root / "submission.py", root / "runtime.py"]
    german = translator("de")
    messages = {
        message
        for source in sources
        for _line, message, _comments, _context in extract_from_file("python", source)
        if isinstance(message, str)
    }
    assert len(messages) > 20
    assert sorted(m for m in messages if german(m) == m) == []


def test_a_round_with_the_town_hall_delivers_once_and_brings_the_answer_back(
    kiosk_dir, townhall_dir
):
    """The real town-hall intake behind an in-memory link whose first acknowledgement is lost."""
    from sync.allowlist import Allowlist
    from sync.intake import receive_batch
    from sync.keys import enrolment_request_path
    from sync.server.downloads import answer_download_request
    from sync.server.storage import open_storage

    allowlist = Allowlist(townhall_dir)
    allowlist.approve(enrolment_request_path(kiosk_dir, "kiosk-lueder"))
    keys = load_townhall_keys(townhall_dir)
    storage = open_storage(townhall_dir)
    answered_batches: list[str] = []

    def town_hall(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/batches":
            result = receive_batch(storage, allowlist, request.content, townhall=keys)
            answered_batches.append(result.batch_id)
            if len(answered_batches) == 1:
                return httpx.Response(503)  # stored, but the answer never reaches the kiosk
            return httpx.Response(200, content=result.ack)
        answer = answer_download_request(storage, allowlist, request.content, townhall=keys)
        return httpx.Response(200, content=answer)

    link = httpx.MockTransport(town_hall)
    save_config(kiosk_dir, KioskConfig(forms_dir="forms", server_url="http://townhall.test"))
    try:
        with open_runtime(kiosk_dir) as runtime:
            queued = [runtime.submit(runtime.form("hinweis"), fill_in(runtime)) for _ in range(2)]
            first = runtime.sync_now(lang="en", transport=link, policy=RetryPolicy(attempts=1))
            assert first.error and runtime.waiting_count() == 2
            assert storage.counts().items == 2

            second = runtime.sync_now(lang="en", transport=link)
            assert second.error is None and second.sent == 2
            assert runtime.waiting_count() == 0 and runtime.last_sync_at() is not None
            assert storage.counts().items == 2  # the resent batch was stored once
            assert answered_batches[0] == answered_batches[1]  # the same batch went again

            storage.add_status(queued[0].reference, "accepted", "Der Bescheid liegt bereit.", "2026-05-02T09:00:00Z")
            third = runtime.sync_now(lang="en", transport=link)
            assert third.statuses == 1
            view = runtime.lookup(queued[0].reference, "de")
            assert view.state is OutboxState.ANSWERED and view.message == "Der Bescheid liegt bereit."
            assert runtime.lookup(queued[1].reference, "de").state is OutboxState.ACKNOWLEDGED
    finally:
        storage.close()
