"""Widgets keep their stylesheet in a ``.tcss`` file next to their module."""

from __future__ import annotations

from pathlib import Path


def stylesheet_next_to(module_file: str) -> str:
    """The ``.tcss`` file beside ``module_file`` as a widget's ``DEFAULT_CSS``."""
    return Path(module_file).with_suffix(".tcss").read_text(encoding="utf-8")
