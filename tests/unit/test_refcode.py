"""Receipt codes: a person can read them back and a typo is caught, never a wrong application."""

import pytest

from kiosk import refcode
from kiosk.errors import ReferenceCodeError


def test_new_codes_are_valid_and_print_in_groups_of_three():
    code = refcode.new_reference()
    assert len(code) == 9 and refcode.is_valid(code)
    printed = refcode.display(code)
    assert printed.count("-") == 2 and printed.replace("-", "") == code


def test_typing_it_back_lowercase_with_spaces_and_lookalike_letters_works():
    code = "0" + refcode.new_reference()[1:]
    body = code[:-1]
    code = body + refcode._check_symbol(body)
    typed = refcode.display(code).lower().replace("-", " ").replace("0", "o")
    assert refcode.parse(typed) == code


@pytest.mark.parametrize("trial", range(50))
def test_every_single_typo_and_every_swap_of_neighbours_is_caught(trial):
    code = refcode.new_reference()
    for i, original in enumerate(code):
        for other in refcode.ALPHABET:
            if other != original:
                assert not refcode.is_valid(code[:i] + other + code[i + 1 :])
        if i < len(code) - 1 and code[i] != code[i + 1]:
            assert not refcode.is_valid(code[:i] + code[i + 1] + code[i] + code[i + 2 :])


def test_plain_messages_for_wrong_codes():
    with pytest.raises(ReferenceCodeError, match="9"):
        refcode.parse("ABC-DEF", lang="en")
    with pytest.raises(ReferenceCodeError, match="never appear"):
        refcode.parse("ABC-DEF-GH!", lang="en")
    with pytest.raises(ReferenceCodeError, match="Please type"):
        refcode.parse("  ", lang="en")



@pytest.mark.parametrize(("letter", "symbol"), [("ı", "1"), ("ſ", "S")])
def test_letters_that_only_upper_case_to_ascii_are_not_read_as_a_symbol(letter, symbol):
    """``"ı".upper()`` is ``"I"`` (read as 1), ``"ſ".upper()`` is ``"S"``: section 4.3 of the spec
    upper-cases ASCII only, so a code typed with them is refused, not read as a valid code."""
    body = symbol + "KQM2X9T"
    code = body + refcode.check_symbol(body)
    assert refcode.parse(code.lower()) == code
    with pytest.raises(ReferenceCodeError, match="never appear"):
        refcode.parse(letter + code[1:].lower(), lang="en")


def test_the_check_symbol_is_the_damm_check_of_the_spec():
    assert refcode.check_symbol("7KQM2X9T") == "J" and not refcode.has_valid_check("7KQM2X9TD")
    assert refcode.has_valid_check("7KQM2X9TJ") and not refcode.has_valid_check("7KQM2X9TU")
