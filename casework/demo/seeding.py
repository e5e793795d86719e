"""Synthetic demo data for ``manage.py seed_demo``: realistic, deterministic, never real.

The data set is first *planned* from seeded random streams (``plan_people``,
``plan_cases``), then *written*: through the access services, exactly as the application
does, for small runs; with bulk inserts that write the same rows for large runs (load
tests). The same seed on the same day gives the same plan, whichever way it is written,
and the manifest describes that plan so tests and tools can drive the running app.

The synthetic identities (Korean and Chinese names, phones, birth dates, some messenger
handles and last locations) are written encrypted, through the same encryption and blind
index as ``identity_save``; the summaries and notes stay generic text. The manifest also
carries the identities' clear values, for tests and tools only: treat a manifest file as
a secret (as its passwords already make it), even though the data are synthetic.
"""

from contextlib import contextmanager

from auditlog.context import disable_auditlog
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from casework.access.models import Grant, Membership, Organisation, Role, Team
from casework.audit import events
from casework.audit.models import AuditEntry
from casework.audit.services import record
from casework.cases.choices import ConsentGiver, ConsentMethod
from casework.cases.models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Contact,
    JourneyStep,
    Referral,
    ReferralStep,
    ServiceProvider,
    SupportNeed,
)
from casework.cases.services.referrals import referral_consent_record, referral_create
from casework.demo.plan import demo_usernames, identity_values, plan_cases, plan_people, synthetic_identity
from casework.demo.vocabulary import BATCH_SIZE, DEFAULT_CASES, SERVICES_LIMIT
from casework.demo.write import BulkWriter, chunks, create_people, write_with_services
from casework.identity.models import DuplicateAlert, Identity, IdentityIndex
from casework.partners import services as partners
from casework.partners.models import Packet, PacketLink, Partnership, PartnerSide

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_CASES",
    "SERVICES_LIMIT",
    "database_has_data",
    "demo_usernames",
    "identity_values",
    "reset",
    "seed",
    "synthetic_identity",
]

# The whole data set ---------------------------------------------------------------


def seed(*, cases=DEFAULT_CASES, seed=1, today=None, progress=None):
    """Write the demo data set for ``seed`` into an empty database; return its manifest.

    Up to SERVICES_LIMIT cases go through the services; more go in bulk, in batches,
    calling ``progress(done, total)`` after each batch.
    """
    today = today or timezone.localdate()
    organisations = plan_people(seed)
    with transaction.atomic():
        directory = create_people(organisations)
        plans = plan_cases(seed, cases, organisations, today)
        bulk = cases > SERVICES_LIMIT
        if bulk:
            entries = _write_in_bulk(plans, directory, cases, progress)
        else:
            entries = _write_through_services(plans, directory)
        _partners(organisations, directory, entries)
        record(event=events.DEMO_SEED, actor=None, details={"cases": cases, "seed": seed, "bulk": bulk})
    users = [user.manifest_entry() for organisation in organisations for user in organisation.users]
    return {"users": users, "cases": entries}


def _write_through_services(plans, directory):
    entries = []
    for plan in plans:
        write_with_services(plan, directory)
        entries.append(plan.manifest_entry())
    return entries


def _write_in_bulk(plans, directory, total, progress):
    writer, entries = BulkWriter(directory), []
    for batch in chunks(plans, BATCH_SIZE):
        writer.write(batch)
        entries += [plan.manifest_entry() for plan in batch]
        if progress is not None:
            progress(len(entries), total)
    return entries


def database_has_data():
    """Anything seed_demo would collide with or mix demo accounts into."""
    return (
        Organisation.objects.exists()
        or Case.objects.exists()
        or User.objects.filter(username__in=demo_usernames()).exists()
    )


@contextmanager
def _append_only_paused():
    if connection.vendor != "postgresql":
        yield
        return
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no pending checks
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def reset():
    """Delete every organisation with everything in it, its people, and the audit trail.

    Development only (the command checks DEBUG): the one place where audit entries are
    removed, and only those of a development database's demo. On PostgreSQL the
    append-only trigger is paused for this transaction (which takes the table's owner,
    as a development database user is; a production role should not own it).
    Cases and their records, identities included, go with plain DELETEs, children first and before the people their rows
    protect: the ORM's delete() would load every row into memory because auditlog
    listens to deletions. The few people, teams and groups go through the ORM,
    so their memberships, devices and many-to-many rows go with them.
    """
    user_ids = list(Membership.objects.values_list("user_id", flat=True))
    user_ids += User.objects.filter(username__in=demo_usernames()).values_list("pk", flat=True)
    group_ids = list(Team.objects.values_list("supervisor_group_id", flat=True))
    bulk_deleted = (
        AuditEntry,
        PacketLink,
        Packet,
        PartnerSide,
        Partnership,
        IdentityIndex,
        DuplicateAlert,
        Identity,
        Referral.needs.through,
        ReferralStep,
        Referral,
        SupportNeed,
        Contact,
        JourneyStep,
        Grant,
        CaseUserObjectPermission,
        CaseGroupObjectPermission,
        CaseAssignment,
        Case,
        ServiceProvider,
    )
    with _append_only_paused():
        for model in bulk_deleted:
            queryset = model.objects.all()
            queryset._raw_delete(queryset.db)
    with disable_auditlog():
        User.objects.filter(pk__in=user_ids).delete()
        Team.objects.all().delete()
        Group.objects.filter(pk__in=group_ids).delete()
        Organisation.objects.all().delete()


def _partners(organisations, directory, entries):
    """haven and bridge in partnership, as their people would set it up (administrators
    propose, supervisors confirm), with a bridge caseworker on the intake and one packet of
    a haven case waiting in bridge's inbox."""
    people = {plan.slug: plan.users for plan in organisations}
    if not {"haven", "bridge"} <= set(people):
        return

    def first(slug, role):
        return directory.users[next(user.username for user in people[slug] if user.role == role)]

    haven, bridge = directory.organisations["haven"], directory.organisations["bridge"]
    offers = {
        "haven": {"services": ["shelter", "safe_passage"], "regions": ["CN-JL", "CN-LN"], "languages": ["ko", "zh"]},
        "bridge": {
            "services": ["shelter", "legal", "documents"],
            "regions": ["transit", "KR"],
            "languages": ["ko", "en"],
        },
    }
    reach = "Secure messenger, weekdays; the intake desk answers within a day."
    partners.partnership_propose(by=first("haven", Role.ADMIN), partner=bridge, **offers["haven"], reach=reach)
    partnership = partners.partnership_propose(
        by=first("bridge", Role.ADMIN), partner=haven, **offers["bridge"], reach=reach
    )
    partners.partnership_confirm(by=first("haven", Role.SUPERVISOR), partnership=partnership)
    partners.partnership_confirm(by=first("bridge", Role.SUPERVISOR), partnership=partnership)
    intake = first("bridge", Role.CASEWORKER)
    partners.intake_name(by=first("bridge", Role.SUPERVISOR), member=intake.membership, receives=True)
    # The first case of haven with a lead (the manifest's entries name her first).
    entry = next((entry for entry in entries if entry["organisation"] == "haven" and entry["caseworkers"]), None)
    if entry is None:
        return
    case = Case.objects.get(code=entry["code"])
    lead = directory.users[entry["caseworkers"][0]]
    referral = referral_create(by=lead, case=case, partner=bridge, service_type="shelter", urgency="high")
    referral_consent_record(
        by=lead,
        referral=referral,
        version=referral.version,
        consent_given_by=ConsentGiver.SURVIVOR,
        consent_given_on=timezone.localdate(),
        consent_method=ConsentMethod.WRITTEN,
        consent_scope=["needs", "age_band", "languages", "legal_name"],
        consent_recipient=bridge.name,
    )
    packet = partners.packet_build(
        by=lead, referral=referral, categories=["needs", "age_band", "legal_name"], needs=case.needs.all()[:2]
    )
    partners.packet_approve(by=first("haven", Role.SUPERVISOR), packet=packet)
