"""Folding identity values so that the same name or number, typed differently, compares equal.

Used by the blind index (possible duplicates) and the free-text guard. Both only ever
compare folded forms; neither stores or logs them.
"""

import re
import unicodedata

# Latin names are often written in either order ("Kim Mina" / "Mina Kim"); Korean and
# Chinese names are written family name first, with or without a space. Simplified and
# traditional Han forms of one name are not folded together (no mapping table here).
_LATIN = re.compile(r"^[a-z0-9]+$")
_PHONE_RUN = re.compile(r"\+?\d[\d\s().\-/]{4,}\d")
PHONE_DIGITS = 9  # trunk and country prefixes differ (010… / +82 10…): compare the last nine


def _strip_marks(text):
    """Remove accents from Latin letters (é → e) while leaving Hangul syllables whole."""
    out = []
    for char in text:
        if "LATIN" in unicodedata.name(char, ""):
            char = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(char)
    return "".join(out)


def fold(text):
    """NFKC (full-width → ASCII, compatibility jamo and Han forms), case folded, accents off
    Latin letters, and nothing but letters and digits kept, in any script."""
    text = _strip_marks(unicodedata.normalize("NFKC", text or "").casefold())
    return "".join(char for char in text if unicodedata.category(char)[0] in "LN")


def name_keys(name):
    """The comparable forms of a name: its letters in order, and for a Latin name also its
    words in sorted order ("Kim Mi-na", "KIM MINA", "Mina Kim" all meet)."""
    folded = fold(name)
    if not folded:
        return set()
    keys = {folded}
    words = [fold(word) for word in re.split(r"[\s,·・]+", unicodedata.normalize("NFKC", name))]
    words = [word for word in words if word]
    if all(_LATIN.match(word) for word in words):
        keys.add(" ".join(sorted(words)))
    return keys


def phone_key(phone):
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    return digits[-PHONE_DIGITS:] if len(digits) >= 6 else ""


def phone_runs(text):
    """Every run of digits in ``text`` that could be a phone number, as digits only."""
    return [re.sub(r"\D", "", run) for run in _PHONE_RUN.findall(unicodedata.normalize("NFKC", text or ""))]
