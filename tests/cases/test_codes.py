import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.cases import codes

bodies = st.text(alphabet=codes.ALPHABET, min_size=codes.BODY_LENGTH, max_size=codes.BODY_LENGTH)


def test_generated_codes_are_valid_and_not_sequential():
    generated = [codes.generate() for _ in range(500)]
    assert all(codes.is_valid(code) for code in generated)
    assert len(set(generated)) == len(generated)
    assert generated != sorted(generated)


def test_it_shows_codes_in_groups():
    assert codes.display("7X3QM9PDK4") == "7X3-QM9P-DK4"


@given(bodies, st.integers(0, codes.LENGTH - 1), st.sampled_from(codes.ALPHABET))
def test_the_check_character_catches_any_single_mistyped_character(body, position, replacement):
    code = body + codes.check_character(body)
    mistyped = code[:position] + replacement + code[position + 1 :]
    assert codes.is_valid(mistyped) == (mistyped == code)


@given(bodies, st.integers(0, codes.LENGTH - 2))
def test_the_check_character_catches_most_swapped_neighbours(body, position):
    code = body + codes.check_character(body)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    # Luhn mod N misses only the swap of the two characters whose values sum to N-1
    # in a particular way; a swap of equal characters is no error at all.
    if swapped != code and {code[position], code[position + 1]} != {"0", "Z"}:
        assert not codes.is_valid(swapped)


@pytest.mark.parametrize(
    "variant",
    [
        lambda shown: shown.lower(),
        lambda shown: " " + shown.replace("-", " ") + " ",
        lambda shown: shown.replace("-", ""),
        lambda shown: shown.replace("-", "_"),
        lambda shown: shown.replace("-", "\u2013"),  # an en dash, as word processors type it
    ],
    ids=["lower", "spaces", "no-dashes", "underscores", "en-dashes"],
)
def test_it_normalises_what_people_type(variant):
    code = codes.generate()
    assert codes.normalise(variant(codes.display(code))) == code


def test_it_reads_confusable_characters_as_crockford_does():
    body = "10000000" + "1"
    code = body + codes.check_character(body)
    typed = code.replace("1", "l").replace("0", "O")
    assert codes.normalise(typed) == code
    assert codes.normalise(code.replace("1", "I")) == code


@pytest.mark.parametrize("typed", ["", "KIM-YOUNG-HEE", "7X3-QM9P-DK", "7X3-QM9P-DK44", None, 12])
def test_it_rejects_what_cannot_be_a_code(typed):
    assert codes.normalise(typed) is None
