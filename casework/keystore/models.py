"""Keys, and nothing else: no case code, no name, no content.

An organisation's key is encrypted under ``CASEWORK_FIELD_KEYS`` (from the environment,
never in a database); each case's key is encrypted under its organisation's key. A case is
named here only by a random reference (``Case.key_ref``) that appears nowhere but in its
own row of the main database. Destroying a case's row here makes every copy of that case's
encrypted values, in the database and in every backup of it, unreadable for good.
"""

from django.db import models
from django.utils import timezone


class OrganisationKey(models.Model):
    # Another database: an id, not a foreign key.
    organisation_id = models.BigIntegerField(unique=True)
    sealed = models.TextField()  # the key, under CASEWORK_FIELD_KEYS (casework.identity.crypto)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"organisation key #{self.pk}"


class CaseKey(models.Model):
    ref = models.UUIDField(primary_key=True)
    organisation_key = models.ForeignKey(OrganisationKey, on_delete=models.CASCADE, related_name="case_keys")
    wrapped = models.TextField()  # the key, under its organisation's key, bound to ``ref``
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return "case key"
