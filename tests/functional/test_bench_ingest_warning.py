"""The ingest and warning benchmarks in tiny configurations, so they cannot rot: every submission
is verified and stored by the real server in two worker processes, the warning arrives whole on
the kiosk in every scenario, and each prints its figure beside its baseline."""

from __future__ import annotations

import re

import pytest

from bench import ingest, warning_latency

pytestmark = pytest.mark.slow


def test_ingest_stores_every_submission_through_two_workers_and_prints_the_ratio(capsys):
    figures = ingest.measure(url="sqlite://", submissions=40, per_batch=10, kiosks=2, workers=2)
    assert figures.submissions == 40 and figures.batches == 4
    assert figures.server_rate > 0 and figures.bare_rate > 0
    assert ingest.main(["--submissions", "12", "--per-batch", "6", "--kiosks", "2", "--workers", "1"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.search(r"server [\d,]+/s verified and stored; bare .* [\d,]+/s; ratio \d+\.\d\dx$", line), line


def test_ingest_refuses_an_unknown_database_url():
    with pytest.raises(SystemExit):
        ingest.backend_for("mysql://localhost/townhall")


def test_the_warning_reaches_the_kiosk_in_each_scenario_and_before_the_uploads():
    figures = warning_latency.measure(scale=0.05, waiting=30, runs=1, channel="test-bench-warn")
    assert [s.waiting_before for s in figures.waiting] == [30]
    assert [s.waiting_before for s in figures.empty] == [0]
    # downloads go first: the warning does not wait for 30 applications to go up
    assert figures.waiting[0].seconds < figures.uploads_first[0].seconds
    assert figures.waiting[0].waiting_after == 0  # and the same round still sent them all
