"""Forms as data: services are TOML files a municipality can write without programming.

``load_forms`` reads and checks the definitions (docs/forms.md), ``parse_answer`` and
``display_answer`` turn typed input into answer values and back, and ``FormSession`` walks a person
through one form, question by question, to the review.
"""

from kiosk.forms.answers import AddressPartError, display_answer, parse_answer
from kiosk.forms.loader import builtin_forms_dir, check_forms, load_form, load_forms
from kiosk.forms.model import FIELD_TYPES, Condition, Field, FormDefinition, Option
from kiosk.forms.session import FormSession

__all__ = [
    "FIELD_TYPES",
    "AddressPartError",
    "Condition",
    "Field",
    "FormDefinition",
    "FormSession",
    "Option",
    "builtin_forms_dir",
    "check_forms",
    "display_answer",
    "load_form",
    "load_forms",
    "parse_answer",
]
