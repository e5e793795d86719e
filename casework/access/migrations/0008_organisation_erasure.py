"""Erasure (casework.retention): a second supervisor for erasing a case, and an organisation erased."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("access", "0007_partner_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="erasure_needs_second_supervisor",
            field=models.BooleanField(default=False, verbose_name="erasing a case needs a second supervisor"),
        ),
        migrations.AddField(
            model_name="organisation",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="erased"),
        ),
    ]
