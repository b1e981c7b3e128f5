"""Background work reports its failures as messages instead of ending the app."""

from __future__ import annotations

import logging
import traceback
from contextlib import contextmanager
from typing import Iterator

from textual.message_pump import MessagePump

from kiosk.errors import RathausError
from kiosk.ui.messages import ProblemOccurred

log = logging.getLogger("rathaus.kiosk.ui")


@contextmanager
def reporting_problems(node: MessagePump, what: str) -> Iterator[None]:
    """Inside a thread worker: a failure becomes ``ProblemOccurred`` for the app to show.

    Only the kind of an unexpected failure and where it happened are logged, never its message,
    which could quote what a person typed.
    """
    try:
        yield
    except RathausError as exc:
        if exc.detail:
            log.info("%s failed: %s", what, exc.detail)
        node.post_message(ProblemOccurred(exc))
    except Exception as exc:  # the person must see a calm message, the log must get no answers
        log.error(
            "unexpected %s while %s:\n%s",
            type(exc).__name__,
            what,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        node.post_message(ProblemOccurred(None))
