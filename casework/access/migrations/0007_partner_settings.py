"""Partner settings: a remote partner organisation, packets approval, intake caseworkers."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('access', '0006_membership_one_to_one'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='receives_packets',
            field=models.BooleanField(default=False, verbose_name='works the partner intake'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='is_remote',
            field=models.BooleanField(default=False, editable=False, verbose_name='runs its own server'),
        ),
        migrations.AddField(
            model_name='organisation',
            name='packets_need_approval',
            field=models.BooleanField(default=True, verbose_name="packets need a supervisor's approval"),
        ),
    ]
