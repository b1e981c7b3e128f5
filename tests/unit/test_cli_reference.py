"""docs/cli.md is exactly what the commands say about themselves."""

from pathlib import Path

from kiosk.cli_reference import render_reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_the_command_reference_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is out of date: python -m kiosk.cli_reference > docs/cli.md"
    )
