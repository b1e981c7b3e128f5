"""One exception tree for the whole product.

Every error a person can cause or meet is a ``RathausError``: ``message`` is plain words for the
person in front of the screen (already in their language where the raiser knows it), ``detail`` is for
the log and must never hold personal data. The app and the CLI catch ``RathausError`` at one place and
show ``message``; anything else is a bug.

    RathausError
    ├── FormDefinitionError   a service definition file is broken (file, field, reason)
    ├── AnswerError           an answer does not fit its question
    ├── ReferenceCodeError    a receipt code is mistyped
    ├── StoreError            the local queue cannot be read or written
    │   ├── StoreFullError    the kiosk's disk is full (its message is for the citizen)
    │   └── StoreCorruptError the database file is damaged (its message says how to recover)
    ├── KeyFileError          a key file is missing, unreadable or has loose permissions
    ├── EnvelopeError         a sealed item or batch is malformed, tampered or not for us (has .code)
    ├── SyncError             talking to the town hall failed (has .transient)
    └── PrinterError          a receipt did not come out of the printer (has .problem)
"""

from __future__ import annotations


class RathausError(Exception):
    """Base of all errors meant to be shown to a person."""

    title: str = "Fehler"

    def __init__(self, message: str, *, detail: str = "", title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class FormDefinitionError(RathausError):
    """A form definition file cannot be used."""

    def __init__(self, message: str, *, file: str = "", field: str = "", detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.file = file
        self.field = field

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.file, self.field) if p)
        return f"{where}: {self.message}" if where else self.message


class AnswerError(RathausError):
    """An answer does not fit its question; ``message`` says how to fix it, ``plain`` says the
    same in plain language (short sentences, one statement each) for visitors who chose that."""

    def __init__(self, message: str, *, plain: str = "", detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.plain = plain or message


class ReferenceCodeError(RathausError):
    """A receipt code is not one we could have printed."""


class StoreError(RathausError):
    """The local database cannot be opened, migrated or written."""


class StoreFullError(StoreError):
    """The disk is full: nothing new is stored, everything stored before is intact.

    ``message`` is for staff and commands (make room); ``citizen_message`` is what the person at
    "Send" reads: their answers are still on the screen, and it names no file.
    """

    def __init__(self, message: str, *, citizen_message: str, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.citizen_message = citizen_message


class StoreCorruptError(StoreError):
    """The database file is damaged; ``message`` tells staff the command that saves what is left."""


class KeyFileError(RathausError):
    """A key file is missing, malformed, or readable by others."""


class EnvelopeError(RathausError):
    """A sealed item or batch is rejected; ``code`` is a stable machine-readable reason."""

    def __init__(self, code: str, message: str, *, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.code = code


class SyncError(RathausError):
    """Talking to the town hall failed; ``transient`` says whether trying again may help."""

    def __init__(self, message: str, *, transient: bool = True, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.transient = transient


class PrinterError(RathausError):
    """A receipt could not be printed; ``message`` tells the citizen to copy the code by hand.

    ``problem`` is a stable word for what went wrong: ``paper_out``, ``offline``, ``not_answering``,
    ``no_device``, ``no_driver``, ``refused`` (the printer or ``lp`` said no), ``no_lp``.
    """

    def __init__(self, message: str, *, problem: str, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.problem = problem
