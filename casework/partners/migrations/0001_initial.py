"""Partnerships, their directory entries, packets and the one link table."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('access', '0007_partner_settings'),
        ('cases', '0008_partner_referrals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Packet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('status', models.CharField(choices=[('approval', "Waiting for a supervisor's approval"), ('sent', 'Waiting for the partner'), ('withdrawn', 'Withdrawn'), ('accepted', 'Accepted'), ('declined', 'Declined')], max_length=10, verbose_name='status')),
                ('categories', models.JSONField(default=list, verbose_name='what it holds')),
                ('service_type', models.CharField(choices=[('shelter', 'Shelter'), ('medical', 'Medical'), ('psychological', 'Psychological support'), ('legal', 'Legal'), ('documents', 'Documents'), ('safe_passage', 'Safe passage'), ('livelihood', 'Livelihood'), ('education', 'Education'), ('family_tracing', 'Family tracing'), ('child_care', 'Child care'), ('other', 'Other')], max_length=20, verbose_name='service')),
                ('urgency', models.CharField(choices=[('low', 'Low'), ('normal', 'Normal'), ('high', 'High'), ('urgent', 'Urgent')], default='normal', max_length=10, verbose_name='urgency')),
                ('needs', models.JSONField(blank=True, default=list, verbose_name='needs')),
                ('risk_level', models.CharField(blank=True, choices=[('low', 'Low'), ('medium', 'Medium'), ('high', 'High'), ('critical', 'Critical')], max_length=10, verbose_name='risk')),
                ('age_band', models.CharField(blank=True, max_length=10, verbose_name='age band')),
                ('nationality', models.CharField(blank=True, max_length=10, verbose_name='nationality')),
                ('region', models.CharField(blank=True, max_length=10, verbose_name='region')),
                ('languages', models.JSONField(blank=True, default=list, verbose_name='languages')),
                ('identity', models.JSONField(blank=True, default=dict, editable=False)),
                ('note', models.TextField(blank=True, max_length=500, verbose_name='handover note')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='built')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='answered')),
                ('decline_reason', models.CharField(blank=True, choices=[('no_capacity', 'No capacity at the moment'), ('not_our_service', 'We do not offer this service'), ('not_our_region', 'Outside the regions we serve'), ('not_safe', 'We cannot reach her safely'), ('not_enough', 'Not enough information to act on'), ('already_supported', 'She is already supported by us'), ('other', 'Another reason (we will say by a safe channel)')], max_length=20, verbose_name='reason')),
                ('consent_withdrawn_on', models.DateField(blank=True, null=True, verbose_name='consent withdrawn')),
                ('consent_notice', models.CharField(blank=True, choices=[('', 'None'), ('waiting', "Waiting for a supervisor's decision"), ('erased', 'Identity details erased'), ('kept', 'Kept, with a reason')], default='', max_length=10)),
                ('imported', models.BooleanField(default=False, editable=False)),
                ('version', models.PositiveIntegerField(default=1, editable=False)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='access.organisation')),
                ('referral', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='packets', to='cases.referral')),
                ('sender', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='access.organisation')),
            ],
            options={
                'verbose_name': 'packet',
                'verbose_name_plural': 'packets',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='PacketLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case')),
                ('packet', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='partners.packet')),
            ],
            options={
                'verbose_name': 'packet link',
            },
        ),
        migrations.CreateModel(
            name='Partnership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='proposed')),
                ('active_since', models.DateTimeField(blank=True, null=True, verbose_name='active since')),
                ('ended_at', models.DateTimeField(blank=True, null=True, verbose_name='ended')),
                ('ended_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('first', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='access.organisation')),
                ('second', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='access.organisation')),
            ],
            options={
                'verbose_name': 'partnership',
                'verbose_name_plural': 'partnerships',
                'ordering': ['-created_at'],
            },
        ),
        migrations.AddField(
            model_name='packet',
            name='partnership',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='packets', to='partners.partnership'),
        ),
        migrations.CreateModel(
            name='PartnerSide',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('proposed_at', models.DateTimeField(blank=True, null=True, verbose_name='proposed')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed')),
                ('services', models.JSONField(blank=True, default=list, verbose_name='services offered')),
                ('regions', models.JSONField(blank=True, default=list, verbose_name='regions served')),
                ('languages', models.JSONField(blank=True, default=list, verbose_name='languages')),
                ('reach', models.CharField(blank=True, help_text="A channel and when to use it; never a person's private number.", max_length=300, verbose_name='how to reach it safely')),
                ('signing_key', models.CharField(blank=True, editable=False, max_length=100, verbose_name='signing key')),
                ('agreement_key', models.CharField(blank=True, editable=False, max_length=100, verbose_name='encryption key')),
                ('version', models.PositiveIntegerField(default=1, editable=False)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='partner_sides', to='access.organisation')),
                ('partnership', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sides', to='partners.partnership')),
                ('proposed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['partnership', 'organisation'],
            },
        ),
        migrations.AddConstraint(
            model_name='partnership',
            constraint=models.CheckConstraint(condition=models.Q(('first__lt', models.F('second'))), name='partnership_pair_ordered'),
        ),
        migrations.AddConstraint(
            model_name='partnership',
            constraint=models.UniqueConstraint(condition=models.Q(('ended_at__isnull', True)), fields=('first', 'second'), name='partnership_one_live_per_pair'),
        ),
        migrations.AddIndex(
            model_name='packet',
            index=models.Index(fields=['recipient', 'status', 'sent_at'], name='packet_inbox'),
        ),
        migrations.AddConstraint(
            model_name='packet',
            constraint=models.CheckConstraint(condition=models.Q(('sender', models.F('recipient')), _negated=True), name='packet_between_two'),
        ),
        migrations.AddConstraint(
            model_name='packet',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['approval', 'sent', 'withdrawn', 'accepted', 'declined'])), name='packet_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='partnerside',
            constraint=models.UniqueConstraint(fields=('partnership', 'organisation'), name='partner_side_once'),
        ),
    ]
