"""The short soak: the kiosk and the town-hall server are killed at random moments and still every
receipt handed out matches exactly one application in the town hall's inbox.

``make soak`` runs the same script with 500 trials; this is the version for every test run.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.soak import Tally

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL") or not hasattr(os, "fork"), reason="needs fork and SIGKILL"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_short_soak_loses_and_duplicates_nothing(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--trials", "16", "--seed", "20261201", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO_ROOT,
        env=env,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    assert lines[-1] == "trials=16 lost=0 duplicated=0"
    summary = lines[-2]
    receipts = int(re.search(r"receipts=(\d+)", summary).group(1))
    arrived = int(re.search(r"arrived=(\d+)", summary).group(1))
    kills = sum(int(n) for n in re.findall(r"(?:submit|batch|upload|synced)=(\d+)", summary))
    assert receipts >= 16 and arrived >= receipts
    assert kills >= 5, summary  # the cuts really happened
    assert int(re.search(r"server_kills=(\d+)", summary).group(1)) >= 1, summary


def test_the_count_names_a_lost_and_a_duplicated_application():
    tally = Tally(trials=3)
    tally.receipts = {"soak-application-1": "AAAAAAAAA", "soak-application-2": "BBBBBBBBB"}
    tally.record_inbox([("AAA-AAA-AAA", "soak-application-1"), ("CCC-CCC-CCC", "soak-application-3")])
    assert (tally.lost, tally.duplicated, tally.unreceipted) == (1, 0, 1)
    assert not tally.ok

    tally.record_inbox([("BBB-BBB-BBB", "soak-application-2"), ("DDD-DDD-DDD", "soak-application-3")])
    assert (tally.lost, tally.duplicated) == (0, 1)
    assert not tally.ok
    assert tally.final_line() == "trials=3 lost=0 duplicated=1"


def test_an_application_arriving_under_another_code_is_lost_to_its_citizen():
    tally = Tally(trials=1)
    tally.receipts = {"soak-application-1": "AAAAAAAAA"}
    tally.record_inbox([("BBB-BBB-BBB", "soak-application-1")])
    assert tally.lost == 1 and not tally.ok


def test_a_clean_count_is_ok():
    tally = Tally(trials=1)
    tally.receipts = {"soak-application-1": "AAAAAAAAA"}
    tally.record_inbox([("AAA-AAA-AAA", "soak-application-1")])
    assert tally.ok and tally.final_line() == "trials=1 lost=0 duplicated=0"
