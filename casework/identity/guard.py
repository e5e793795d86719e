"""The free-text guard: does a note about a case quote that case's own identity?

Answers with the names of the form fields that do, never with what matched; nothing
here stores, logs or returns an identity value.
"""

import logging

from casework.identity.crypto import DecryptionError
from casework.identity.models import Identity
from casework.identity.normalise import PHONE_DIGITS, fold, name_keys, phone_key, phone_runs

logger = logging.getLogger(__name__)

# Shorter needles would stop ordinary words: two Hangul or Han characters are a given
# name; a Latin name of three letters or fewer is too common a syllable.
MIN_FOLDED = {"latin": 4, "other": 2}
GUARDED_FIELDS = ("legal_name", "other_names", "phones", "messengers")


def needles(values):
    """What to look for: folded names and handles, phone digits."""
    # A handle is kept as "WeChat: name"; a note would quote the name without the app.
    handles = [text.rsplit(":", 1)[-1] for text in values.get("messengers") or []]
    words = []
    for text in [values.get("legal_name") or "", *(values.get("other_names") or []), *handles]:
        folded = fold(text)
        minimum = MIN_FOLDED["latin"] if folded.isascii() else MIN_FOLDED["other"]
        if len(folded) >= minimum:
            words.append(folded)
        # "Mina Kim" written "Kim Mina": the same words in another order.
        for key in name_keys(text):
            key = key.replace(" ", "")
            if key != folded and len(key) >= minimum:
                words.append(key)
    phones = [key for key in (phone_key(phone) for phone in values.get("phones") or []) if key]
    return words, phones


def quotes(text, words, phones):
    folded = fold(text)
    if any(word in folded for word in words):
        return True
    runs = phone_runs(text)
    return any(phone[-PHONE_DIGITS:] in run for phone in phones for run in runs)


def fields_quoting(values, texts):
    """The keys of ``texts`` ({field: text}) whose text quotes the identity ``values``."""
    words, phones = needles(values)
    if not words and not phones:
        return []
    return [name for name, text in texts.items() if text and quotes(str(text), words, phones)]


def fields_quoting_case(case, texts):
    """Like ``fields_quoting``, against the identity on record for ``case`` (if any)."""
    texts = {name: text for name, text in texts.items() if text}
    if not texts:
        return []
    identity = Identity.objects.filter(case=case).first()
    if identity is None:
        return []
    try:
        values = identity.read([name for name in GUARDED_FIELDS if getattr(identity, name)])
    except DecryptionError:
        # A key problem must not stop a caseworker recording a contact; the reveal page
        # reports it loudly. Logged with the case code only.
        logger.error("Free-text guard skipped for case %s: its identity does not decrypt.", case.code)
        return []
    return fields_quoting(values, texts)
