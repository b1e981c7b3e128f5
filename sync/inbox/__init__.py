"""The town-hall staff's side: list what arrived, open (decrypt) it, export it for the back
office, print it for the paper file, and answer with a status that travels back to the kiosk.

``Inbox(townhall_dir)`` is the one object the ``rathaus inbox`` commands use; see
``sync.inbox.reader``.
"""

from sync.inbox.catalogue import FormCatalogue
from sync.inbox.reader import (
    AnswerRow,
    Inbox,
    InboxEntry,
    OpenedSubmission,
    answer_rows,
    local_time,
    raw_answer,
)
from sync.inbox.status import NO_STATUS, STATUS_LABELS, check_status, status_label

__all__ = [
    "AnswerRow",
    "FormCatalogue",
    "Inbox",
    "InboxEntry",
    "NO_STATUS",
    "OpenedSubmission",
    "STATUS_LABELS",
    "answer_rows",
    "check_status",
    "local_time",
    "raw_answer",
    "status_label",
]
