from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.utils.translation import gettext as _

from casework.cases.models import Case, CaseChild, ServiceProvider

# A record saved with a version: a case, one of its records, a provider.
Versioned = TypeVar("Versioned", bound=Case | CaseChild | ServiceProvider)


class EditConflict(Exception):
    """Someone saved the record after the editor loaded it; ``current`` is what is saved now."""

    def __init__(self, current: Model) -> None:
        super().__init__("edit conflict")
        self.current = current


def require(by: User, case: Case, action: str) -> None:
    """Refuse unless ``by`` may ``action`` ``case`` at this moment (grants can expire mid-form).

    Asked of the database, not of what the page loaded with the case: a service may run
    long after its page was opened, or be called from elsewhere."""
    if not Case.objects.restrict(by, action).filter(pk=case.pk).exists():
        raise PermissionDenied(_("You may not do this on this case."))


def save_versioned(instance: Versioned, *, version: int, fields: Iterable[str]) -> Versioned:
    """Save ``fields`` of ``instance`` if nobody saved it since ``version``, and bump the version.

    The row is locked for the rest of the transaction, so two editors who started from
    the same version cannot both win: the second gets ``EditConflict``.
    """
    current = type(instance)._base_manager.select_for_update().get(pk=instance.pk)
    if current.version != version:
        raise EditConflict(current)
    instance.version = current.version + 1
    # Field-level checks on what changed; the forms checked the rest and the database's
    # constraints are the last word.
    others = [f.name for f in instance._meta.fields if f.name not in fields]
    instance.full_clean(exclude=others, validate_unique=False, validate_constraints=False)
    instance.save(update_fields=[*fields, "version", "updated_at"])
    return instance


def apply(instance: Model, changes: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    """Set ``changes`` on ``instance``; refuse any field not in ``allowed`` (a programming error)."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"Not editable here: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(instance, name, value)
    return list(changes)
