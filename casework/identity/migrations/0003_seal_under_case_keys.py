from django.db import migrations

from casework.keystore import upgrade


class Migration(migrations.Migration):
    """Identity values move from CASEWORK_FIELD_KEYS to each case's own key (casework.keystore)."""

    dependencies = [
        ("identity", "0002_seal_identity_versions"),
        ("cases", "0009_sealed_free_text"),
        ("keystore", "0001_initial"),
    ]

    operations = [migrations.RunPython(upgrade.seal_identities, migrations.RunPython.noop)]
