"""Which questions were asked: form definitions matched by id *and* content hash.

A submission names the exact definition file it was filled in with (``form_hash``, SHA-256 of the
file). Only that file gives the right German labels: after an update a field may mean something
else. So the town hall keeps every definition its kiosks ever used, the shipped ones plus any
files in ``<townhall_dir>/forms/`` (subfolders allowed, old versions side by side), and a
submission whose definition is missing is shown with its raw field ids instead of a wrong label.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from kiosk.errors import FormDefinitionError
from kiosk.forms import FormDefinition, builtin_forms_dir, load_form

log = logging.getLogger("rathaus.inbox")

FORMS_DIR = "forms"


class FormCatalogue:
    """Every known definition, by ``(id, content_hash)``; for titles, the first folder that has an id
    wins (the town hall's own folders before the shipped services)."""

    def __init__(self, forms: Iterable[FormDefinition]) -> None:
        self._exact: dict[tuple[str, str], FormDefinition] = {}
        self._by_id: dict[str, FormDefinition] = {}
        for form in forms:
            self._exact.setdefault((form.id, form.content_hash), form)
            self._by_id.setdefault(form.id, form)

    @classmethod
    def from_folders(cls, folders: Iterable[Path]) -> "FormCatalogue":
        """Read every ``*.toml`` in ``folders`` (recursively); a broken file is skipped and logged."""
        forms: list[FormDefinition] = []
        for folder in folders:
            folder = Path(folder)
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*.toml")):
                if any(part.startswith(".") for part in path.relative_to(folder).parts):
                    continue
                try:
                    forms.append(load_form(path))
                except FormDefinitionError as exc:
                    log.warning("form definition %s skipped: %s", path, exc.detail or exc.message)
        return cls(forms)

    @classmethod
    def for_townhall(cls, townhall_dir: Path, extra: Iterable[Path] = ()) -> "FormCatalogue":
        """Given folders first, then ``<townhall_dir>/forms``, then the shipped services."""
        return cls.from_folders([*extra, Path(townhall_dir) / FORMS_DIR, builtin_forms_dir()])

    def exact(self, form_id: str, content_hash: str) -> FormDefinition | None:
        """The very definition a submission was filled in with, if the town hall has it."""
        return self._exact.get((form_id, content_hash))

    def current(self, form_id: str) -> FormDefinition | None:
        """The definition that names a service (see the class docstring), if any."""
        return self._by_id.get(form_id)

    def title(self, form_id: str, lang: str) -> str:
        """The service's name for lists; its id when no definition with that id is known."""
        form = self._by_id.get(form_id)
        return form.text("title", lang) if form is not None else form_id

    def knows(self, form_id: str) -> bool:
        return form_id in self._by_id

    def ids(self) -> list[str]:
        return sorted(self._by_id)
