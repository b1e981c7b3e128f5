"""A tiny run of the server-ingest benchmark on PostgreSQL: it measures what it says."""

from __future__ import annotations

import pytest

from bench.ingest_postgres import measure_postgres_ingest

pytestmark = pytest.mark.slow


def test_a_tiny_ingest_run_counts_only_what_two_workers_verified_and_stored(postgres_url):
    figure = measure_postgres_ingest(kiosks=2, batches_per_kiosk=2, items_per_batch=3, database_url=postgres_url)

    assert (figure.backend, figure.workers, figure.batches, figure.submissions) == ("postgresql", 2, 4, 12)
    assert figure.per_second > 0
    assert "12 submissions in 4 batches" in figure.line() and "submissions/s" in figure.line()
