"""The throwaway PostgreSQL of the tests: where it cannot run, the tests needing it say why."""

from __future__ import annotations

import os

import pytest

import bench.postgres_server as postgres_server
from bench.postgres_server import PostgresUnavailable, ThrowawayPostgres


def test_without_the_debian_package_the_reason_names_it(monkeypatch):
    monkeypatch.setattr(postgres_server, "server_binaries", lambda: None)
    with pytest.raises(PostgresUnavailable, match="needs Debian package postgresql"):
        ThrowawayPostgres.start()


def test_a_server_that_cannot_start_is_reported_with_the_package_and_leaves_nothing_behind(monkeypatch, tmp_path):
    if postgres_server.server_binaries() is None:
        pytest.skip(postgres_server.PACKAGE_REASON)
    made = []
    real_mkdtemp = postgres_server.tempfile.mkdtemp
    monkeypatch.setattr(postgres_server.tempfile, "mkdtemp", lambda **kw: made.append(real_mkdtemp(**kw)) or made[-1])
    monkeypatch.setattr(postgres_server, "_free_port", lambda: 1)  # a port no unprivileged server may bind
    with pytest.raises(PostgresUnavailable, match="needs Debian package postgresql: PostgreSQL did not start"):
        ThrowawayPostgres.start()
    assert made and not any(os.path.exists(path) for path in made)
