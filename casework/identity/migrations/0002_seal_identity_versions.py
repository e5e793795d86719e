"""Seal every identity value again, bound to its record's version as well as its case and
field (crypto ``cw2``). Until this runs, values are ``cw1`` tokens, which ordinary reads
now refuse: an operator could otherwise put an older value of a field back unnoticed.

It needs CASEWORK_FIELD_KEYS (every key the values were written with) and decrypts in
memory only. Reversing it leaves the values as they are: older code cannot read them, so
go back only to a backup taken before the upgrade.
"""

from django.db import migrations

FIELDS = [
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


def seal_with_versions(apps, schema_editor):
    from casework.identity import crypto

    Identity = apps.get_model("identity", "Identity")
    for identity in Identity.objects.order_by("pk").iterator():
        legacy = [name for name in FIELDS if crypto.is_legacy(getattr(identity, name))]
        for name in legacy:
            where = f"identity:{identity.case_id}:{name}"
            clear = crypto.decrypt(getattr(identity, name), where, legacy_context=where)
            setattr(identity, name, crypto.encrypt(clear, f"{where}:v{identity.version}"))
        if legacy:
            identity.save(update_fields=legacy)


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seal_with_versions, migrations.RunPython.noop),
    ]
