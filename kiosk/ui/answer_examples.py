"""The examples the question screens show: made in ``kiosk.forms.examples``, where the answer
checks find the same ones for their messages."""

from kiosk.forms.examples import FUTURE_EXAMPLE_DAYS, example_for, type_example

__all__ = ["FUTURE_EXAMPLE_DAYS", "example_for", "type_example"]
