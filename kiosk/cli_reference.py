"""The command reference in ``docs/cli.md``, made from the parser itself so it never drifts.

Regenerate after changing a command: ``python -m kiosk.cli_reference > docs/cli.md``
(``tests/unit/test_cli_reference.py`` fails until you do).
"""

from __future__ import annotations

import argparse
import os
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def _fixed_environment() -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in ("COLUMNS", "RATHAUS_LANG")}
    os.environ["COLUMNS"] = "100"
    os.environ["RATHAUS_LANG"] = "en"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _walk(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _walk(sub)


def render_reference() -> str:
    """Every command's ``--help``, in English, at a fixed width."""
    from kiosk.cli import build_parser

    with _fixed_environment():
        parsers = list(_walk(build_parser()))
        sections = [
            "# Command reference\n",
            "Generated from the commands themselves (`python -m kiosk.cli_reference > docs/cli.md`).",
            "The commands speak German by default; set `RATHAUS_LANG=en` for English.\n",
        ]
        for parser in parsers:
            sections.append(f"## `{parser.prog}`\n\n```\n{parser.format_help().rstrip()}\n```\n")
    return "\n".join(sections)


if __name__ == "__main__":  # pragma: no cover
    print(render_reference(), end="")
