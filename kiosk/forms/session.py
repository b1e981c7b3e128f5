"""Filling in one form: one visible question at a time, then the review.

The screen drives a ``FormSession``; the session decides which question comes next, which
questions a condition hides, and what goes into the submission. Nothing typed is lost: a failed
answer keeps what was typed, and an answer hidden by a changed condition is remembered (but left out
of ``answers()``) in case the person changes back. The session lives in memory only.
"""

from __future__ import annotations

import copy
from typing import Any

from kiosk.errors import AnswerError
from kiosk.forms.answers import Raw, display_answer, parse_answer
from kiosk.forms.model import Field, FormDefinition
from kiosk.i18n import normalise_language, translator


class FormSession:
    """The state of one person filling in one form."""

    def __init__(self, form: FormDefinition, lang: str = "de") -> None:
        self.form = form
        self._lang = normalise_language(lang)
        self._raw: dict[str, Raw] = {}
        # Present key: question was answered (value) or skipped (None).
        self._values: dict[str, Any] = {}
        self._current: str | None = form.fields[0].id if form.fields else None
        self._return_to_review = False

    # --- where we are --------------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return self._lang

    @lang.setter
    def lang(self, value: str) -> None:
        """Switching language keeps every answer; only the texts change."""
        self._lang = normalise_language(value)

    @property
    def current(self) -> Field | None:
        """The question on screen, ``None`` at the review."""
        return self.form.field(self._current) if self._current is not None else None

    @property
    def at_review(self) -> bool:
        return self._current is None

    def visible_fields(self) -> list[Field]:
        """The questions asked with the answers given so far, in order."""
        visible: list[Field] = []
        effective: dict[str, Any] = {}
        for field in self.form.fields:
            if field.when is not None and not field.when.holds(effective):
                continue
            visible.append(field)
            if self._values.get(field.id) is not None:
                effective[field.id] = self._values[field.id]
        return visible

    def position(self) -> tuple[int, int]:
        """(number of the current question, number of questions) for "Frage 3 von 8";
        at the review both are the total."""
        ids = [field.id for field in self.visible_fields()]
        if self._current is None:
            return len(ids), len(ids)
        return ids.index(self._current) + 1, len(ids)

    def progress(self) -> tuple[int, int, bool]:
        """(number of the current question, the most questions there can be in all, whether that
        many is certain) for "Frage 3 von 8" or "Frage 3 von höchstens 9".

        Questions that depend on answers not given yet are counted for the answers that would ask
        the most of them, so the count never grows while the person answers forward: each answer
        can only rule questions out. It is certain when every possible answer still to come
        leads to the same number of questions.
        """
        number, visible = self.position()
        if self._current is None:
            return number, visible, True
        counts = {len(self._visible_with(extra)) for extra in self._open_possibilities()}
        if not counts:  # too many combinations to try: count every question that may still come
            return number, number + self._later_that_may_come(), False
        return number, max(counts), len(counts) == 1

    def _visible_with(self, extra: dict[str, Any]) -> list[Field]:
        """The questions that would be asked if the open answers were ``extra``."""
        visible: list[Field] = []
        effective: dict[str, Any] = {}
        for field in self.form.fields:
            if field.when is not None and not field.when.holds(effective):
                continue
            visible.append(field)
            value = extra[field.id] if field.id in extra else self._values.get(field.id)
            if value is not None:
                effective[field.id] = value
        return visible

    def _open_possibilities(self, limit: int = 4096) -> list[dict[str, Any]]:
        """Every combination of answers to the questions that conditions depend on and that have
        no answer yet (empty when there are more than ``limit``)."""
        targets = {field.when.field for field in self.form.fields if field.when is not None}
        choices: list[tuple[str, list[Any]]] = []
        for field in self.form.fields:
            if field.id not in targets or self._values.get(field.id) is not None:
                continue
            if field.type == "yesno":
                values: list[Any] = [True, False]
            elif field.multiple:
                values = [[option.value] for option in field.options]
                values.append([option.value for option in field.options])
            else:
                values = [option.value for option in field.options]
            choices.append((field.id, values))
        combinations: list[dict[str, Any]] = [{}]
        for field_id, values in choices:
            if len(combinations) * len(values) > limit:
                return []
            combinations = [{**done, field_id: value} for done in combinations for value in values]
        return combinations

    def _later_that_may_come(self) -> int:
        ids = [field.id for field in self.form.fields]
        return len(ids) - ids.index(self._current) - 1 if self._current in ids else 0

    # --- pausing ---------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything typed and answered so far, as JSON data (for a pause slip's sealed draft)."""
        return {
            "raw": copy.deepcopy(self._raw),
            "values": copy.deepcopy(self._values),
            "current": self._current,
        }

    @classmethod
    def restore(cls, form: FormDefinition, snapshot: dict[str, Any], lang: str = "de") -> "FormSession":
        """A session that carries on where ``snapshot`` left off: the answers are offered, never
        typed again (WCAG 2.2, 3.3.7). Answers to questions the form no longer has are dropped."""
        session = cls(form, lang)
        known = {field.id for field in form.fields}
        session._raw = {k: v for k, v in dict(snapshot.get("raw") or {}).items() if k in known}
        session._values = {k: v for k, v in dict(snapshot.get("values") or {}).items() if k in known}
        current = snapshot.get("current")
        session._current = current if current in known else None
        return session

    def raw(self, field_id: str) -> Any:
        """What the person last typed for this question, to fill the input again."""
        return self._raw.get(field_id)

    # --- moving --------------------------------------------------------------------------------

    def answer(self, raw: Raw) -> None:
        """Check and keep the answer to the current question, then move on.

        Raises ``AnswerError`` (message in the session's language) and stays on the question when
        the answer does not fit; what was typed is kept either way.
        """
        field = self._require_question()
        self._raw[field.id] = raw
        self._values[field.id] = parse_answer(field, raw, self._lang)
        self._move_on(field)

    def skip(self) -> None:
        """Leave an optional question empty and move on."""
        field = self._require_question()
        if field.required:
            _ = translator(self._lang)
            raise AnswerError(_("This question must be answered; it cannot be skipped."))
        self._raw.pop(field.id, None)
        self._values[field.id] = None
        self._move_on(field)

    def back(self) -> bool:
        """The previous visible question (from the review: the last one); False at the first."""
        ids = [field.id for field in self.visible_fields()]
        if self._current is None:
            self._current = ids[-1]
            return True
        index = ids.index(self._current)
        if index == 0:
            return False
        self._current = ids[index - 1]
        return True

    def edit(self, field_id: str) -> None:
        """Jump to a visible question (from the review); answering it returns to the review."""
        if field_id not in [field.id for field in self.visible_fields()]:
            raise ValueError(f"question {field_id!r} is not shown in this form now")
        self._current = field_id
        self._return_to_review = True

    def _move_on(self, answered: Field) -> None:
        """Next visible question; when coming from the review, straight back to it unless the
        change revealed a question not answered yet."""
        ids = [field.id for field in self.visible_fields()]
        later = ids[ids.index(answered.id) + 1 :]
        if self._return_to_review:
            later = [field_id for field_id in later if field_id not in self._values]
        if later:
            self._current = later[0]
        else:
            self._current = None
            self._return_to_review = False

    def _require_question(self) -> Field:
        field = self.current
        if field is None:
            raise RuntimeError("the review has no question to answer")
        return field

    # --- the result ----------------------------------------------------------------------------

    def review(self) -> list[tuple[Field, str]]:
        """Every visible question with its answer in words; "—" where it is still open."""
        result: list[tuple[Field, str]] = []
        for field in self.visible_fields():
            if field.id in self._values:
                shown = display_answer(field, self._values[field.id], self._lang)
            else:
                shown = "—"
            result.append((field, shown))
        return result

    def answers(self) -> dict[str, Any]:
        """What goes into the submission: visible, answered questions only."""
        return {
            field.id: copy.deepcopy(self._values[field.id])
            for field in self.visible_fields()
            if self._values.get(field.id) is not None
        }

    def is_complete(self) -> bool:
        """Every visible required question has an answer."""
        return all(
            self._values.get(field.id) is not None
            for field in self.visible_fields()
            if field.required
        )
