"""The throwaway PostgreSQL of the tests: where it cannot run, the tests needing it say why."""

from __future__ import annotations

import os
import socket

import pytest

import bench.postgres_server as postgres_server
from bench.postgres_server import PostgresUnavailable, ThrowawayPostgres


def test_without_the_debian_package_the_reason_names_it(monkeypatch):
    monkeypatch.setattr(postgres_server, "server_binaries", lambda: None)
    with pytest.raises(PostgresUnavailable, match="needs Debian package postgresql") as raised:
        ThrowawayPostgres.start()
    assert not raised.value.installed  # the one case the tests may skip


def test_a_server_that_cannot_start_is_reported_with_the_package_and_leaves_nothing_behind(monkeypatch, tmp_path):
    if postgres_server.server_binaries() is None:
        pytest.skip(postgres_server.PACKAGE_REASON)
    made = []
    real_mkdtemp = postgres_server.tempfile.mkdtemp
    monkeypatch.setattr(postgres_server.tempfile, "mkdtemp", lambda **kw: made.append(real_mkdtemp(**kw)) or made[-1])
    monkeypatch.setattr(postgres_server, "_free_port", lambda: 1)  # a port no unprivileged server may bind
    with pytest.raises(PostgresUnavailable, match="needs Debian package postgresql: PostgreSQL did not start") as raised:
        ThrowawayPostgres.start()
    assert made and not any(os.path.exists(path) for path in made)
    assert raised.value.installed  # installed but broken: the tests fail instead of skipping


def _ping(server) -> int:
    import psycopg

    with psycopg.connect(server.url(), connect_timeout=10) as conn:
        return conn.execute("SELECT 1").fetchone()[0]


def test_a_port_taken_by_someone_else_before_the_server_binds_it_does_not_stop_the_tests(monkeypatch):
    if postgres_server.server_binaries() is None:
        pytest.skip(postgres_server.PACKAGE_REASON)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        taken_port = taken.getsockname()[1]
        ports = iter([taken_port])
        real_free_port = postgres_server._free_port
        monkeypatch.setattr(postgres_server, "_free_port", lambda: next(ports, None) or real_free_port())
        server = ThrowawayPostgres.start()
        try:
            assert server.port != taken_port and _ping(server) == 1
        finally:
            server.stop()


def test_as_root_a_tmp_closed_to_the_postgres_user_is_passed_over(monkeypatch, tmp_path):
    if postgres_server.server_binaries() is None:
        pytest.skip(postgres_server.PACKAGE_REASON)
    if os.geteuid() != 0:
        pytest.skip("only root runs the server as the postgres user")
    closed = tmp_path / "closed-tmp"
    closed.mkdir(mode=0o700)  # as a hardened /tmp is to other users
    monkeypatch.setattr(postgres_server, "ROOT_FOLDER_PARENTS", (str(closed), "/var/tmp"))
    server = ThrowawayPostgres.start()
    try:
        assert not str(server.folder).startswith(str(closed)) and _ping(server) == 1
        assert list(closed.iterdir()) == []  # the unusable attempt is cleaned up
    finally:
        server.stop()
