"""Referrals to partner organisations: a partner as recipient, consent as categories of data,
steps a partner organisation makes, and the survivor's languages.

The consent scope written before (free text) is kept as it was, in ``consent_scope_note``;
``consent_scope`` becomes the list of categories, empty for those older referrals (a
packet needs her consent recorded again, by category).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('access', '0007_partner_settings'),
        ('cases', '0007_contact_timeline_order'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='from_packet',
            field=models.BooleanField(default=False, editable=False, verbose_name="opened from a partner's packet"),
        ),
        migrations.RemoveConstraint(
            model_name='referral',
            name='referral_status_valid',
        ),
        migrations.RemoveConstraint(
            model_name='referral',
            name='referral_one_provider',
        ),
        migrations.RemoveConstraint(
            model_name='referralstep',
            name='referral_step_status_valid',
        ),
        migrations.AddField(
            model_name='case',
            name='languages',
            field=models.JSONField(blank=True, default=list, verbose_name='languages'),
        ),
        migrations.RenameField(model_name='referral', old_name='consent_scope', new_name='consent_scope_note'),
        migrations.AlterField(
            model_name='referral',
            name='consent_scope_note',
            field=models.CharField(blank=True, editable=False, max_length=500, verbose_name='consent to share (as written before categories)'),
        ),
        migrations.AddField(
            model_name='referral',
            name='consent_scope',
            field=models.JSONField(blank=True, default=list, verbose_name='consent to share'),
        ),
        migrations.AddField(
            model_name='referral',
            name='partner',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='access.organisation', verbose_name='partner organisation'),
        ),
        migrations.AddField(
            model_name='referralstep',
            name='by_organisation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='access.organisation', verbose_name='by the partner organisation'),
        ),
        migrations.AlterField(
            model_name='referral',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('sent', 'Sent'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('started', 'Service started'), ('completed', 'Completed'), ('withdrawn', 'Withdrawn')], default='draft', max_length=10, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='referralstep',
            name='by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
        migrations.AlterField(
            model_name='referralstep',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('sent', 'Sent'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('started', 'Service started'), ('completed', 'Completed'), ('withdrawn', 'Withdrawn')], max_length=10, verbose_name='status'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'sent', 'accepted', 'declined', 'started', 'completed', 'withdrawn'])), name='referral_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('provider__isnull', False), ('external_provider', ''), ('partner__isnull', True)), models.Q(('provider__isnull', True), models.Q(('external_provider', ''), _negated=True), ('partner__isnull', True)), models.Q(('provider__isnull', True), ('external_provider', ''), ('partner__isnull', False)), _connector='OR'), name='referral_one_provider'),
        ),
        migrations.AddConstraint(
            model_name='referralstep',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'sent', 'accepted', 'declined', 'started', 'completed', 'withdrawn'])), name='referral_step_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='referralstep',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('by__isnull', False), ('by_organisation__isnull', True)), models.Q(('by__isnull', True), ('by_organisation__isnull', False)), _connector='OR'), name='referral_step_one_author'),
        ),
    ]
