"""The two ways of helping, kept apart: an assistant has no authority, a representative has one.

An *assistant* (relative, neighbour, volunteer) helps a citizen fill in a form; the citizen
confirms the finished application on the review screen and it is theirs. An *authorised
representative* acts under a power of attorney (Vollmacht) recorded at the town hall and files
the application on the other person's behalf. A service says in its definition which of the two
it accepts (``assistance = [...]`` in docs/forms.md); a service that says nothing accepts an
assistant only, because helping someone type needs no authority but acting for them does.
"""

from __future__ import annotations

ASSISTANT = "assistant"
REPRESENTATIVE = "representative"
ROLES: tuple[str, ...] = (ASSISTANT, REPRESENTATIVE)
DEFAULT_ROLES: tuple[str, ...] = (ASSISTANT,)

PERSON = "person"
"""A helper who is not enrolled (a relative, a neighbour): known by the name typed in."""
VOLUNTEER = "volunteer"
"""An enrolled volunteer, signed in with a badge or id + PIN: known by the volunteer id."""
HELPER_KINDS: tuple[str, ...] = (PERSON, VOLUNTEER)
