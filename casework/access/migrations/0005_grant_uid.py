"""Grants get an opaque ``uid`` for their URLs: added empty, filled with a fresh random UUID
per existing grant, then made unique and required."""

import uuid

from django.db import migrations, models


def fill_uids(apps, schema_editor):
    Grant = apps.get_model("access", "Grant")
    for grant in Grant.objects.filter(uid__isnull=True).only("pk").iterator():
        grant.uid = uuid.uuid4()
        grant.save(update_fields=["uid"])


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0004_vouching"),
    ]

    operations = [
        migrations.AddField(
            model_name="grant",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_uids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="grant",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
