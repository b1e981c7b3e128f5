"""Read service definitions (one TOML file per service) from a folder.

The kiosk refuses to start with a broken definition (``load_forms`` raises on the first problem),
while ``check_forms`` lists every problem of every file for the person writing them
(``rathaus forms check DIR``). The content hash is taken over the file's exact bytes, so the town
hall can tell which wording a citizen saw even if someone forgot to raise ``version``.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from kiosk.errors import FormDefinitionError
from kiosk.forms.model import FormDefinition
from kiosk.forms.schema import build_form
from kiosk.i18n import Gettext, language_from_environment, translator

SUFFIX = ".toml"


def builtin_forms_dir() -> Path:
    """The six services shipped with the product."""
    return Path(__file__).parent / "definitions"


def content_hash(data: bytes) -> str:
    """Lowercase hex SHA-256 of a definition file's bytes."""
    return hashlib.sha256(data).hexdigest()


def load_form(path: Path, *, lang: str | None = None) -> FormDefinition:
    """One definition; raises the first ``FormDefinitionError`` found in it.

    Messages are in ``lang``, by default the language of the environment (the person running
    ``rathaus`` or setting up the kiosk).
    """
    form, problems = _read(Path(path), _gettext(lang))
    if problems:
        raise problems[0]
    assert form is not None
    return form


def load_forms(directory: Path | None = None, *, lang: str | None = None) -> list[FormDefinition]:
    """Every definition in ``directory`` (``None``: the shipped ones), sorted by ``order``.

    Raises on the first problem, also when two files share one form id.
    """
    _ = _gettext(lang)
    folder = Path(directory) if directory is not None else builtin_forms_dir()
    files = _definition_files(folder, _)
    if not files:
        raise _no_forms(folder, _)
    forms: list[FormDefinition] = []
    used: dict[str, str] = {}
    for path in files:
        form, problems = _read(path, _)
        if problems:
            raise problems[0]
        assert form is not None
        if form.id in used:
            raise _duplicate(path, form.id, used[form.id], _)
        used[form.id] = path.name
        forms.append(form)
    return sorted(forms, key=lambda form: (form.order, form.id))


def check_forms(
    directory: Path, *, lang: str | None = None, require_plain: bool = False
) -> list[FormDefinitionError]:
    """Every problem of every definition in ``directory``; an empty list means all is well.

    A missing folder raises ``FormDefinitionError``; a folder without definitions is one problem.
    ``require_plain``: a question without a plain-language text counts as a problem too.
    """
    _ = _gettext(lang)
    folder = Path(directory)
    files = _definition_files(folder, _)
    if not files:
        return [_no_forms(folder, _)]
    problems: list[FormDefinitionError] = []
    used: dict[str, str] = {}
    for path in files:
        form, found = _read(path, _, require_plain=require_plain)
        problems.extend(found)
        if form is None:
            continue
        if form.id in used:
            problems.append(_duplicate(path, form.id, used[form.id], _))
        else:
            used[form.id] = path.name
    return problems


def definition_files(directory: Path) -> list[Path]:
    """The definition files ``check_forms`` and ``load_forms`` read, in name order."""
    return _definition_files(Path(directory), _gettext(None))


def _gettext(lang: str | None) -> Gettext:
    return translator(lang or language_from_environment())


def _definition_files(folder: Path, _: Gettext) -> list[Path]:
    if not folder.exists():
        raise FormDefinitionError(
            _("The folder {folder} does not exist.").format(folder=folder), detail="no-directory"
        )
    if not folder.is_dir():
        raise FormDefinitionError(
            _("{folder} is a file, not a folder of service definitions.").format(folder=folder),
            detail="no-directory",
        )
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix == SUFFIX and not path.name.startswith(".") and path.is_file()
    )


def _read(
    path: Path, _: Gettext, *, require_plain: bool = False
) -> tuple[FormDefinition | None, list[FormDefinitionError]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        message = _("the file cannot be read ({reason})").format(reason=exc.strerror or exc)
        return None, [FormDefinitionError(message, file=path.name, detail="unreadable")]
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        message = _("the file is not saved as UTF-8 text; please save it again as UTF-8")
        return None, [FormDefinitionError(message, file=path.name, detail="unreadable")]
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = _("this is not valid TOML: {reason}").format(reason=exc)
        return None, [FormDefinitionError(message, file=path.name, detail="toml-syntax")]
    return build_form(
        parsed, source=path, content_hash=content_hash(data), _=_, require_plain=require_plain
    )


def _no_forms(folder: Path, _: Gettext) -> FormDefinitionError:
    return FormDefinitionError(
        _("there are no service definitions (*.toml files) in this folder"),
        file=str(folder),
        detail="no-forms",
    )


def _duplicate(path: Path, form_id: str, other: str, _: Gettext) -> FormDefinitionError:
    return FormDefinitionError(
        _("the id '{id}' is already used by {other}; each service needs its own id").format(
            id=form_id, other=other
        ),
        file=path.name,
        field="id",
        detail="duplicate-form",
    )
