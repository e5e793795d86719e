"""Writes that would slip past the audit trail are refused.

auditlog records a change when a model instance is saved or deleted; ``QuerySet.update()``,
``bulk_create()`` and ``bulk_update()`` write rows without any instance, so nothing would
be recorded. Every audited model's queryset derives from ``AuditedQuerySet``, which
refuses them unless the caller says, in code that can be read, why an unaudited write is
right (the demo seeder's bulk path, a data migration). Raw SQL on these tables is caught
by a test that scans the code instead.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

_allowed = ContextVar("casework_unaudited_writes", default=None)


class UnauditedWrite(Exception):
    pass


@contextmanager
def unaudited_writes(why):
    """Allow bulk writes on audited models inside this block, for the reason ``why``."""
    token = _allowed.set(why)
    try:
        yield
    finally:
        _allowed.reset(token)


def _refuse(queryset, method):
    if _allowed.get() is None:
        raise UnauditedWrite(
            f"{queryset.model._meta.label}.objects.{method}() would bypass the audit trail: "
            "save or delete each instance, or wrap the call in unaudited_writes(why)."
        )


class AuditedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _refuse(self, "update")
        return super().update(**kwargs)

    def bulk_create(self, *args, **kwargs):
        _refuse(self, "bulk_create")
        return super().bulk_create(*args, **kwargs)

    def bulk_update(self, *args, **kwargs):
        _refuse(self, "bulk_update")
        return super().bulk_update(*args, **kwargs)
