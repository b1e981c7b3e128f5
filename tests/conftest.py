"""Shared test set-up: every test gets its own data directories and German as the default language."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch):
    """No test reads or writes ./var or depends on the developer's shell language."""
    monkeypatch.setenv("RATHAUS_KIOSK_DIR", str(tmp_path / "kiosk"))
    monkeypatch.setenv("RATHAUS_TOWNHALL_DIR", str(tmp_path / "townhall"))
    monkeypatch.setenv("RATHAUS_LANG", "de")
    monkeypatch.delenv("RATHAUS_DEBUG", raising=False)
    # SQLite unless a test asks for PostgreSQL. Set first, then removed: so that whatever a command
    # run in-process (``rathaus server --database``) writes into the environment is undone after the
    # test and never reaches a later test's set-up.
    for name in ("RATHAUS_DATABASE_URL", "RATHAUS_TOWN", "RATHAUS_LOG_FORMAT"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@pytest.fixture
def enrol(tmp_path):
    """``enrol(kiosk_id)``: a town hall with keys and one approved kiosk; returns both folders."""
    from sync.allowlist import Allowlist
    from sync.keys import enrolment_request_path, init_kiosk, init_townhall, townhall_public_keys_path

    def make(kiosk_id: str = "kiosk-1") -> tuple:
        townhall_dir, kiosk_dir = tmp_path / "townhall", tmp_path / "kiosk"
        init_townhall(townhall_dir, name="Einheitsgemeinde Tangerhütte")
        init_kiosk(kiosk_dir, kiosk_id=kiosk_id, townhall_public=townhall_public_keys_path(townhall_dir))
        Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, kiosk_id))
        return kiosk_dir, townhall_dir

    return make


def answer_all(form, typed: dict, lang: str = "de") -> dict:
    """Answer a form's questions as typed (an empty string skips an optional one)."""
    from kiosk.forms import FormSession

    session = FormSession(form, lang=lang)
    while not session.at_review:
        raw = typed[session.current.id]
        if raw == "":
            session.skip()
        else:
            session.answer(raw)
    return session.answers()


@pytest.fixture
def fill():
    """``fill(form, typed)``: the answers a person typing ``typed`` would hand in."""
    return answer_all


# -- the town hall's database: SQLite, and PostgreSQL where Debian's postgresql package is there ----


def start_throwaway_postgres():
    """A throwaway PostgreSQL server; the test is skipped, naming the Debian package, where it is
    not installed, and fails where it is installed but does not come up (CI must run these tests,
    never skip them by accident)."""
    from bench.postgres_server import PostgresUnavailable, ThrowawayPostgres

    try:
        return ThrowawayPostgres.start()
    except PostgresUnavailable as exc:
        if not exc.installed:
            pytest.skip(str(exc))
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for the whole session (started on first use, stopped at the
    end); skipped, naming the Debian package, where none is installed."""
    server = start_throwaway_postgres()
    try:
        yield server
    finally:
        from sync.server.database import close_pools

        close_pools()
        server.stop()


@pytest.fixture
def own_postgres_server():
    """A throwaway PostgreSQL server of the test's own (it may stop it), removed afterwards."""
    server = start_throwaway_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server):
    """One database for the tests; each test works in a town of its own in it."""
    return postgres_server.create_database("rathaus_test")


@pytest.fixture(params=["sqlite", "postgresql"])
def server_database(request, monkeypatch):
    """Run the test once on SQLite (the files in the data directory) and once on PostgreSQL (a
    fresh town in the shared test database), through the configuration every tool reads."""
    import secrets

    from sync.server.database import DATABASE_ENV, TOWN_ENV, DatabaseConfig

    monkeypatch.delenv(DATABASE_ENV, raising=False)
    monkeypatch.delenv(TOWN_ENV, raising=False)
    if request.param == "sqlite":
        return DatabaseConfig(url=None)
    url = request.getfixturevalue("postgres_url")
    town = "t-" + secrets.token_hex(6)
    monkeypatch.setenv(DATABASE_ENV, url)
    monkeypatch.setenv(TOWN_ENV, town)
    return DatabaseConfig(url=url, town=town)
