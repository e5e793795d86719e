"""Reasons typed about a case (closing it, a grant, a reveal ...), sealed under the case's key.

The trail can never be edited, so a reason kept in clear would outlive the case's erasure.
Sealed under the case's own key (casework.keystore), it becomes unreadable, in every backup
too, when erasure destroys that key. Entries about no case keep their reason in clear, and
so do entries written before reasons were sealed: both are shown as they are.
"""

import copy
import uuid
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from casework.cases.models import Case
from casework.identity import crypto
from casework.keystore import services as keystore

ERASED = _("(erased)")


def _context(key_ref: uuid.UUID) -> str:
    return f"audit reason:{key_ref}"


def seal(case: Case, reason: str) -> str:
    """``reason`` sealed under ``case``'s key (an empty reason stays empty). When the key
    will not open (erased meanwhile, or the key store unreadable, as when a reveal fails),
    the reason is left out: the entry must still be written, and never with it in clear."""
    if not reason:
        return reason
    try:
        key = case.sealing_key(create=False)
    except crypto.DecryptionError:  # KeyErased too
        return ""
    return crypto.seal(key, reason, _context(case.key_ref))


def open_reasons(entries: Iterable[Any]) -> None:
    """Replace, in memory only, each sealed reason of ``entries`` by its text, or by the
    "(erased)" marker when its case's key (or the case) is gone: never a token. Two queries
    for the whole page (the cases' key references, then their keys), none if nothing is sealed."""
    sealed = [entry for entry in entries if entry.reason and crypto.is_sealed(entry.reason)]
    if not sealed:
        return
    rows = Case.objects.filter(code__in={entry.case_code for entry in sealed}).values_list(
        "code", "key_ref", "organisation_id"
    )
    refs = {code: (key_ref, organisation_id) for code, key_ref, organisation_id in rows}
    keys = keystore.open_keys(refs.values())
    for entry in sealed:
        ref = refs.get(entry.case_code, (None, None))[0]
        entry.reason = _opened(entry.reason, ref, keys.get(ref) if ref else None)


def _opened(token: str, ref: uuid.UUID | None, key: bytes | None) -> str:
    if ref is None or key is None:
        return str(ERASED)
    try:
        return crypto.unseal(key, token, _context(ref))
    except crypto.DecryptionError:  # a code issued again to a new case after an erasure
        return str(ERASED)


def reason_of(entry: Any) -> str:
    """The reason of one entry as a reader sees it (opened, or the erased marker); the entry
    itself keeps what is stored."""
    shown = copy.copy(entry)
    open_reasons([shown])
    return str(shown.reason)
