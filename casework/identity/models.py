"""The identity record: every value that could identify a survivor, encrypted, one per case.

The columns hold tokens from casework.identity.crypto, sealed under the case's own key
(casework.keystore), never clear values. Read them only
through ``Identity.read`` (which decrypts) and write them through ``Identity.write``;
casework.identity.services decides who may do either and records it.
"""

import datetime
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.audit.guard import AuditedQuerySet
from casework.identity import crypto
from casework.keystore import services as keystore

TEXT, LINES, DATE = "text", "lines", "date"


class IdentityField:
    def __init__(self, name, label, kind=TEXT, multiline=False, help_text=""):
        self.name, self.label, self.kind, self.multiline, self.help_text = name, label, kind, multiline, help_text

    def empty(self):
        return [] if self.kind == LINES else ("" if self.kind == TEXT else None)

    def dump(self, value):
        if self.kind == DATE:
            value = value.isoformat() if value else None
        return json.dumps(value, ensure_ascii=False)

    def load(self, text):
        value = json.loads(text)
        return datetime.date.fromisoformat(value) if self.kind == DATE and value else value


# What an identity holds, in the order forms and the reveal page show it.
FIELDS = [
    IdentityField("legal_name", _("Legal name")),
    IdentityField("other_names", _("Other names and aliases"), LINES, help_text=_("One per line, in any script.")),
    IdentityField("date_of_birth", _("Date of birth"), DATE),
    IdentityField("approximate_age", _("Approximate age"), help_text=_("When the date of birth is not known.")),
    IdentityField("phones", _("Phone numbers"), LINES, help_text=_("One per line.")),
    IdentityField("messengers", _("Messenger handles"), LINES, help_text=_("One per line, with the app's name.")),
    IdentityField("addresses", _("Addresses"), multiline=True),
    IdentityField("last_location", _("Last known location"), multiline=True),
    IdentityField("family_contacts", _("Family contacts"), multiline=True),
    IdentityField("documents", _("Identity documents"), multiline=True),
    IdentityField("notes", _("Notes"), multiline=True),
]
FIELDS_BY_NAME = {field.name: field for field in FIELDS}
FIELD_NAMES = [field.name for field in FIELDS]


def _column(field):
    # editable=False: no ModelForm ever offers the token itself.
    return models.TextField(field.label, blank=True, editable=False)


class Identity(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="identity", verbose_name=_("case"))
    legal_name = _column(FIELDS[0])
    other_names = _column(FIELDS[1])
    date_of_birth = _column(FIELDS[2])
    approximate_age = _column(FIELDS[3])
    phones = _column(FIELDS[4])
    messengers = _column(FIELDS[5])
    addresses = _column(FIELDS[6])
    last_location = _column(FIELDS[7])
    family_contacts = _column(FIELDS[8])
    documents = _column(FIELDS[9])
    notes = _column(FIELDS[10])
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self):
        return f"identity #{self.pk}"  # never a value; the case code is in the audit scope

    def get_additional_data(self):
        return self.case.get_additional_data()

    def _context(self, name):
        # Binds each token to its case, field and the record's version: moved or swapped
        # tokens, and an older value of the same field put back, fail to decrypt.
        return f"identity:{self.case_id}:{name}:v{self.version}"

    def _legacy_context(self, name):
        # What tokens were bound to before the version was (crypto.LEGACY_PREFIX).
        return f"identity:{self.case_id}:{name}"

    def filled(self):
        """The names of the fields that hold a value (no decryption needed)."""
        return [name for name in FIELD_NAMES if getattr(self, name)]

    def _key(self):
        """The case's own key (casework.keystore), made with the case; KeyErased once it is erased."""
        return keystore.key_of_record(self)

    def read(self, names=FIELD_NAMES, *, legacy=False):
        """Decrypt ``names``; raises crypto.DecryptionError rather than show anything unreal.
        ``legacy``: also read tokens from before per-case keys (under CASEWORK_FIELD_KEYS, or
        not yet bound to the version): the upgrade and rotate_field_keys only."""
        values = {}
        for name in names:
            field, token = FIELDS_BY_NAME[name], getattr(self, name)
            if not token:
                values[name] = field.empty()
            elif crypto.is_sealed(token):
                values[name] = field.load(crypto.unseal(self._key(), token, self._context(name)))
            elif legacy:
                values[name] = field.load(crypto.decrypt(token, self._context(name), self._legacy_context(name)))
            elif crypto.is_legacy(token):
                crypto.decrypt(token, self._context(name))  # refuses it, saying what to do
            else:
                raise crypto.DecryptionError(
                    "A stored identity value is in an old form, under CASEWORK_FIELD_KEYS rather than its case's "
                    "key: left over from the upgrade (see rotate_field_keys), or put back by hand."
                )
        return values

    def write(self, values):
        """Encrypt ``values`` into their columns under the case's key and the current version;
        an empty value clears its column. Whoever changes the version re-seals every field
        (services)."""
        for name, value in values.items():
            field = FIELDS_BY_NAME[name]
            token = crypto.seal(self._key(), field.dump(value), self._context(name)) if value else ""
            setattr(self, name, token)

    def stale_fields(self):
        """Fields whose token is not yet under the case's key (what the upgrade must redo)."""
        return [name for name in FIELD_NAMES if getattr(self, name) and not crypto.is_sealed(getattr(self, name))]


class IndexKind(models.TextChoices):
    NAME = "name", _("Name and date of birth")
    PHONE = "phone", _("Phone number")


class IdentityIndex(models.Model):
    """Keyed digests of normalised names and phones: finds possible duplicates without decrypting."""

    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="index_entries")
    organisation = models.ForeignKey("access.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=IndexKind.choices)
    digest = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["organisation", "digest"], name="identity_index_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["identity", "kind", "digest"], name="identity_index_unique"),
        ]

    def __str__(self):
        return f"{self.kind} digest"


class DuplicateAlert(models.Model):
    """Two cases of one organisation whose identities share a name + birth date or a phone.

    Shown to the supervisors of either case (but not to one who found it herself and cannot
    see the other case); whoever typed the match is told nothing of a case she cannot see.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    other_case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("possible duplicate of")
    )
    kinds = models.JSONField(_("matched on"), default=list)
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("found by")
    )
    found_at = models.DateTimeField(_("found"), default=timezone.now)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-found_at"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["case", "other_case"], name="duplicate_alert_unique"),
        ]

    def __str__(self):
        return f"possible duplicate #{self.pk}"

    def get_additional_data(self):
        return self.case.get_additional_data()
