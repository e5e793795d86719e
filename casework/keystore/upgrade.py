"""The upgrade to per-case keys, for the data migrations (cases 0009, identity 0003,
partners 0004): free text written in the clear before, and identity values under
``CASEWORK_FIELD_KEYS``, sealed under each case's own key, bound as the models bind them.

Only the main database is changed here; the keys are made in the key store, which must be
migrated first (``python manage.py migrate --database keystore``). A database with nothing to
seal (a new one, a test database) needs nothing from the store.
"""

from django.db import connections

from casework.audit.guard import unaudited_writes
from casework.identity import crypto
from casework.keystore import services
from casework.keystore.models import CaseKey
from casework.keystore.router import ALIAS

WHY = "the upgrade to per-case keys: the same values, encrypted, not an edit"
CASE_TEXT = ["summary"]
CHILD_TEXT = {
    "Contact": ["place", "notes"],
    "SupportNeed": ["outcome_notes"],
    "Referral": [
        "external_provider",
        "consent_scope_note",
        "consent_recipient",
        "consent_witness",
        "next_step",
        "data_shared",
        "outcome",
    ],
}


def _clear(value):
    """What a historical model read from a column: the clear text (wrapped as if sealed).
    Before this release no free-text column held a token, whatever the text looks like."""
    return getattr(value, "token", value) or ""


def _require_store():
    if "keystore_casekey" not in connections[ALIAS].introspection.table_names():
        raise RuntimeError(
            "The key store has no tables yet. Run `python manage.py migrate --database keystore` first, "
            "then `python manage.py migrate` again."
        )


def _case_keys(Case):
    rows = Case.objects.values_list("pk", "key_ref", "organisation_id")
    return {pk: (ref, organisation) for pk, ref, organisation in rows}


def _seal_rows(model, names, needs, context, key_for):
    """Seal the clear values of ``names`` in every row of ``model`` (one row at a time);
    ``needs``: the other columns ``context`` and ``key_for`` read from a row."""
    sealed = 0
    for row in model.objects.values("pk", *names, *needs).iterator():
        changes = {}
        for name in names:
            text = _clear(row[name])
            if text:
                changes[name] = crypto.seal(key_for(row), text, context(row, name))
        if changes:
            with unaudited_writes(WHY):
                model.objects.filter(pk=row["pk"]).update(**changes)
            sealed += 1
    return sealed


def seal_case_text(apps, schema_editor):
    """Every case gets its key (a key is made only with its case from now on), and every
    free text its case holds is sealed under it."""
    if schema_editor.connection.alias == ALIAS:
        return
    Case = apps.get_model("cases", "Case")
    Step = apps.get_model("cases", "ReferralStep")
    if not Case.objects.exists():
        return
    _require_store()
    keys = _case_keys(Case)
    made = set(CaseKey.objects.values_list("ref", flat=True))
    services.create_case_keys(pair for pair in keys.values() if pair[0] not in made)
    services.forget()

    def key(case_pk):
        ref, organisation = keys[case_pk]
        return services.case_key(ref, organisation)

    _seal_rows(
        Case,
        CASE_TEXT,
        ("key_ref", "version"),
        lambda row, name: f"case:{row['key_ref']}:{name}:v{row['version']}",
        lambda row: key(row["pk"]),
    )
    for model_name, fields in CHILD_TEXT.items():
        model = apps.get_model("cases", model_name)
        label = f"cases.{model_name.lower()}"
        _seal_rows(
            model,
            fields,
            ("uid", "version", "case_id"),
            lambda row, name, label=label: f"{label}:{row['uid']}:{name}:v{row['version']}",
            lambda row: key(row["case_id"]),
        )
    _seal_rows(
        Step,
        ["note"],
        ("uid", "referral__case_id"),
        lambda row, name: f"cases.referralstep:{row['uid']}:{name}",
        lambda row: key(row["referral__case_id"]),
    )
    services.forget()


IDENTITY_FIELDS = [
    "legal_name",
    "other_names",
    "date_of_birth",
    "approximate_age",
    "phones",
    "messengers",
    "addresses",
    "last_location",
    "family_contacts",
    "documents",
    "notes",
]


def seal_identities(apps, schema_editor):
    """Identity values under CASEWORK_FIELD_KEYS (cw2; cw1 still unbound to the version) sealed
    under their case's key."""
    if schema_editor.connection.alias == ALIAS:
        return
    Identity = apps.get_model("identity", "Identity")
    Case = apps.get_model("cases", "Case")
    stale = Identity.objects.all()
    if not any(token and not crypto.is_sealed(token) for row in stale.values_list(*IDENTITY_FIELDS) for token in row):
        return
    _require_store()
    keys = _case_keys(Case)
    for row in stale.values("pk", "case_id", "version", *IDENTITY_FIELDS).iterator():
        ref, organisation = keys[row["case_id"]]
        key = services.case_key(ref, organisation, create=True)
        changes = {}
        for name in IDENTITY_FIELDS:
            token = row[name]
            if token and not crypto.is_sealed(token):
                where = f"identity:{row['case_id']}:{name}"
                context = f"{where}:v{row['version']}"
                changes[name] = crypto.seal(key, crypto.decrypt(token, context, legacy_context=where), context)
        if changes:
            with unaudited_writes(WHY):
                Identity.objects.filter(pk=row["pk"]).update(**changes)
    services.forget()


def seal_packet_notes(apps, schema_editor):
    """Packets on their way get a key of their own (wrapped by the receiving organisation's),
    and their handover notes and identity values are sealed under it."""
    if schema_editor.connection.alias == ALIAS:
        return
    Packet = apps.get_model("partners", "Packet")
    rows = [
        row
        for row in Packet.objects.values("pk", "uid", "version", "recipient_id", "note", "identity")
        if _clear(row["note"]) or row["identity"]
    ]
    if not rows:
        return
    _require_store()
    for row in rows:
        key = services.case_key(row["uid"], row["recipient_id"], create=True)
        changes = {}
        if _clear(row["note"]):
            changes["note"] = crypto.seal(key, _clear(row["note"]), f"packet:{row['uid']}:note:v{row['version']}")
        identity = dict(row["identity"] or {})
        for name, token in identity.items():
            if not crypto.is_sealed(token):
                context = f"packet:{row['uid']}:{name}"
                identity[name] = crypto.seal(key, crypto.decrypt(token, context), context)
        if identity != row["identity"]:
            changes["identity"] = identity
        if changes:
            with unaudited_writes(WHY):
                Packet.objects.filter(pk=row["pk"]).update(**changes)
    services.forget()
