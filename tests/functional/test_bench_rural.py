"""The rural benchmark in a tiny configuration, so it cannot rot: it runs, every application
arrives once on both sides, and the final line keeps the format ``make bench`` promises."""

from __future__ import annotations

import re

import pytest

from bench.rural import bench_preset, main, summary_line

pytestmark = pytest.mark.slow

LINE = re.compile(
    r"^efficiency=\d+\.\d\d bytes_vs_baseline=\d+\.\d\d roundtrips_vs_baseline=\d+\.\d\d resent_after_drop=\d+$"
)


def test_every_application_arrives_once_on_both_sides_and_the_line_keeps_its_format():
    result = bench_preset("edge", 6, 0.02)
    assert result.ours.delivered == result.ours.stored == 6  # six receipt codes stored, none twice
    assert result.baseline.delivered == 6
    assert result.payload > 6 * 200  # sealed applications, not empty bodies
    assert result.ours.counter.requests < result.baseline.counter.requests
    assert LINE.match(summary_line([result]))


def test_the_command_prints_one_line_per_side_and_the_final_line(capsys):
    assert main(["--count", "3", "--scale", "0.02", "--preset", "rural3g"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert LINE.match(lines[-1]), lines[-1]
    assert any("ours: 3/3 arrived (3 stored)" in line for line in lines)
    assert any("base: 3/3 arrived" in line for line in lines)
