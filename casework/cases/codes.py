"""Pseudonymous case codes: 9 random Crockford base-32 characters and a check character.

Shown as ``7X3-QM9P-DK4``. The check character is Luhn mod 32 over the same alphabet,
so any single mistyped character and most swaps of neighbours are caught. Codes come
from the operating system's CSPRNG: never sequential, never derived from identity.
"""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
BODY_LENGTH = 9
LENGTH = BODY_LENGTH + 1
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
# What people type for what they mean: Crockford's decoding rules.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.\u00b7]+")
_PATTERN = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")


def check_character(body):
    """Luhn mod N (N = 32) check character for ``body``."""
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * _VALUE[char]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def generate():
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def generate_unused(taken):
    """A new code for which ``taken(code)`` is false: never one in use, nor one of an erased
    case (a code found again would join the trail of the erased case to the new one)."""
    while True:
        code = generate()
        if not taken(code):
            return code


def is_valid(code):
    return bool(_PATTERN.match(code)) and check_character(code[:-1]) == code[-1]


def normalise(text):
    """The stored form of what someone typed, or None if it cannot be a valid code.

    Tolerates spaces, dashes, lower case and the characters people confuse (0/O, 1/I/L).
    """
    if not isinstance(text, str):
        return None
    candidate = _SEPARATORS.sub("", text).upper().translate(_CONFUSABLE)
    return candidate if is_valid(candidate) else None


def display(code):
    """``7X3QM9PDK4`` → ``7X3-QM9P-DK4``."""
    return f"{code[:3]}-{code[3:7]}-{code[7:]}"
