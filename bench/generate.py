"""A casework data set at scale, written with PostgreSQL COPY.

People (organisations, teams, users with vouched memberships, supervisor groups) go in
through the same tables the access services write; cases with their assignments, grants
and guardian rows exactly as ``casework.access.services`` derives them (``wanted_permissions``
for the user rows, one group row per supervisor permission per case); contacts, needs and
referrals; encrypted identities on a sample (through ``Identity.write`` and the blind
index, as the demo seeder's bulk path does); and audit entries.

The audit entries are NOT a valid hash chain: they carry the chain key name ``bench`` and
placeholder hashes, so ``audit_verify`` stops at the first of them. Never run it on a bench
database. Entries the application writes afterwards link to the head as usual.

Everything is drawn from one seeded ``random.Random``: the same scale and seed give the
same data. The scale is recorded in ``bench_scale`` so a later run reuses the data set.
"""

import contextlib
import datetime
import hashlib
import itertools
import json
import random
import time
import uuid
from dataclasses import asdict, dataclass, field

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from bench.scale import Personas, Scale
from casework.access import services as access
from casework.access.models import Grant, GrantLevel, Membership, Organisation, Role
from casework.audit import events
from casework.audit.guard import unaudited_writes
from casework.audit.models import AuditEntry
from casework.cases import codes
from casework.cases.choices import (
    AgeBand,
    AssignmentRole,
    CaseStatus,
    ContactChannel,
    ContactPurpose,
    Gender,
    IntakeSource,
    JourneyStage,
    Nationality,
    NeedStatus,
    Region,
    RiskLevel,
    ServiceType,
    Urgency,
    values_of,
)
from casework.cases.codes import display
from casework.cases.models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Contact,
    JourneyStep,
    Referral,
    SupportNeed,
)
from casework.cases.services.contacts import CONTACT_FIELDS
from casework.demo.plan import identity_values, synthetic_identity
from casework.identity import blind, crypto
from casework.identity.models import Identity, IdentityIndex
from casework.keystore import services as keystore

# Share of the cases and people in each organisation, and teams per organisation.
ORGANISATION_WEIGHTS = (0.6, 0.3, 0.1)
TEAMS_PER_ORGANISATION = 5
COWORKER_SHARE = 0.3
GRANT_SHARE = 0.02
IDENTITY_SHARE = 0.01
# An unusable password: the bench signs in by session, never with a password.
NO_PASSWORD = "!bench-no-password"
BENCH_CHAIN_KEY = "bench"
# Entry kinds in the generated trail, roughly as a working day writes them.
AUDIT_EVENTS = (
    (events.CASE_VIEW.name, 50),
    (events.CASE_LIST.name, 20),
    ("contact.create", 12),
    ("supportneed.create", 6),
    ("case.update", 6),
    (events.IDENTITY_REVEAL.name, 3),
    (events.CASE_ASSIGN.name, 2),
    (events.GRANT_ADD.name, 1),
)

SCALE_TABLE = "bench_scale"
ACTIONS = {"create": AuditEntry.Action.CREATE, "update": AuditEntry.Action.UPDATE}


@dataclass
class _Org:
    organisation: Organisation
    teams: list
    admin_id: int = 0
    supervisor_all_id: int = 0
    team_supervisor_ids: dict = field(default_factory=dict)  # team id → user id
    caseworkers: dict = field(default_factory=dict)  # team id → [user ids]


# The recorded scale ---------------------------------------------------------------


def recorded():
    """``(Scale, Personas, seconds)`` of the data set in this database, or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [SCALE_TABLE])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT scale, personas, seconds FROM {SCALE_TABLE}")  # noqa: S608 (a constant)
        row = cursor.fetchone()
    if row is None:
        return None
    scale, personas, seconds = (json.loads(value) if isinstance(value, str) else value for value in row)
    return Scale(**scale), Personas(**personas), seconds


def _record(scale, personas, seconds):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {SCALE_TABLE} (scale jsonb, personas jsonb, seconds double precision)")
        cursor.execute(
            f"INSERT INTO {SCALE_TABLE} VALUES (%s, %s, %s)",  # noqa: S608 (a constant)
            [json.dumps(asdict(scale)), json.dumps(asdict(personas)), seconds],
        )


# The whole data set ---------------------------------------------------------------


def generate(scale, progress=print):
    """Write the data set for ``scale`` into a freshly migrated PostgreSQL database and
    return its personas."""
    started = time.monotonic()
    rng = random.Random(scale.seed)
    with transaction.atomic(), _bulk_load(BULK_TABLES, progress):
        orgs = _people(scale, rng)
        progress(f"people: {scale.users:,} users in {len(orgs)} organisations")
        writer = _CaseWriter(scale, rng, orgs, progress)
        writer.write()
        _identities(writer.identity_sample, rng)
        progress(f"identities: {len(writer.identity_sample):,} encrypted")
        _audit(scale, rng, orgs, writer, progress)
        _reset_sequences()
        personas = _personas(orgs, writer.lead_counts)
        _record(scale, personas, time.monotonic() - started)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    progress(f"generated in {time.monotonic() - started:.0f} s")
    return personas


# The tables the generator fills by the million: their secondary indexes are built once the
# rows are in (one sort each) instead of growing row by row.
BULK_TABLES = (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Contact,
    SupportNeed,
    Referral,
    JourneyStep,
    AuditEntry,
)


@contextlib.contextmanager
def _bulk_load(models, progress):
    """Inside the generating transaction: no foreign-key checks row by row (the generator
    writes only ids it made or read; ``session_replication_role`` needs the superuser the
    bench connects as), and the secondary indexes of ``models`` dropped, then built again
    from their own definitions at the end. Constraints (primary keys, unique) stay in place."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(
            """SELECT index_class::text, pg_get_indexdef(i.indexrelid)
                 FROM pg_index i, LATERAL (SELECT i.indexrelid::regclass AS index_class) named
                WHERE i.indrelid = ANY(%s::regclass[])
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")  # a name read from the catalogue, not input
    yield
    started = time.monotonic()
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    progress(f"{len(indexes)} indexes built in {time.monotonic() - started:.1f} s")


def _copy(model_or_table, columns, rows):
    """COPY ``rows`` (tuples in ``columns`` order) into a table; returns how many."""
    table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _reset_sequences():
    """The identity sequences past the ids COPY wrote, for the rows the application adds later."""
    with connection.cursor() as cursor:
        for model in (User, Membership, Case, CaseUserObjectPermission, CaseGroupObjectPermission, CaseAssignment):
            _reset_sequence(cursor, model._meta.db_table)
        for model in (Contact, SupportNeed, Referral, Grant, AuditEntry):
            _reset_sequence(cursor, model._meta.db_table)
        for through in (Membership.teams.through, Membership.supervised_teams.through, User.groups.through):
            _reset_sequence(cursor, through._meta.db_table)


def _reset_sequence(cursor, table):
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)",  # noqa: S608
        [table],
    )


# People ---------------------------------------------------------------------------


def _people(scale, rng):
    """Organisations and teams through the services (a few rows); users, vouched
    memberships, team places and supervisor groups by COPY."""
    orgs = []
    for number, _weight in enumerate(ORGANISATION_WEIGHTS, start=1):
        organisation = Organisation.objects.create(name=f"Bench organisation {number}", slug=f"bench-{number}")
        teams = [
            access.team_create(by=None, organisation=organisation, name=f"Team {number}.{t}", slug=f"team-{t}")
            for t in range(1, TEAMS_PER_ORGANISATION + 1)
        ]
        orgs.append(_Org(organisation=organisation, teams=teams))
    users, memberships, places, supervised, groups = [], [], [], [], []
    now = timezone.now()
    next_id = 1 + (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
    for org, weight in zip(orgs, ORGANISATION_WEIGHTS, strict=True):
        count = max(2 + 2 * len(org.teams), round(scale.users * weight))
        for index in range(count):
            user_id, next_id = next_id, next_id + 1
            role, team = _place(org, index, user_id)
            username = f"{org.organisation.slug}-{role}-{index:06d}"
            users.append((user_id, NO_PASSWORD, False, username, "", "", "", False, True, now))
            memberships.append(
                (user_id, user_id, org.organisation.pk, role, index == 1, True, False, False, now, None, now)
            )
            if role == Role.CASEWORKER:
                places.append((user_id, team.pk))
            elif role == Role.SUPERVISOR:
                for led in org.teams if index == 1 else [team]:
                    groups.append((user_id, led.supervisor_group_id))
                    if index != 1:
                        supervised.append((user_id, led.pk))
    _copy(
        User,
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        users,
    )
    _copy(
        Membership,
        [
            "id",
            "user_id",
            "organisation_id",
            "role",
            "supervises_all_teams",
            "is_active",
            "must_change_password",
            "receives_packets",
            "vouched_at",
            "vouched_by_id",
            "created_at",
        ],
        memberships,
    )
    # The membership id is the user id (both written above in the same order).
    _copy(Membership.teams.through, ["membership_id", "team_id"], places)
    _copy(Membership.supervised_teams.through, ["membership_id", "team_id"], supervised)
    _copy(User.groups.through, ["user_id", "group_id"], groups)
    return orgs


def _place(org, index, user_id):
    """Role and team of the organisation's ``index``-th person: an administrator, a
    supervisor of every team, one supervisor per team, then caseworkers round the teams."""
    teams = org.teams
    if index == 0:
        org.admin_id = user_id
        return Role.ADMIN, None
    if index == 1:
        org.supervisor_all_id = user_id
        return Role.SUPERVISOR, None
    if index < 2 + len(teams):
        team = teams[index - 2]
        org.team_supervisor_ids[team.pk] = user_id
        return Role.SUPERVISOR, team
    team = teams[index % len(teams)]
    org.caseworkers.setdefault(team.pk, []).append(user_id)
    return Role.CASEWORKER, team


def _personas(orgs, lead_counts):
    """The generated people the bench signs in as, all from the largest organisation."""
    org = orgs[0]
    caseworkers = [user_id for ids in org.caseworkers.values() for user_id in ids if lead_counts.get(user_id)]
    caseworkers.sort(key=lambda user_id: (lead_counts[user_id], user_id))
    names = dict(
        User.objects.filter(
            pk__in=[
                org.admin_id,
                org.supervisor_all_id,
                caseworkers[0],
                caseworkers[-1],
                org.team_supervisor_ids[org.teams[0].pk],
            ]
        ).values_list("pk", "username")
    )
    # The reporting role (the reports, no case): one person, made through the services.
    reporting = User.objects.create_user(f"{org.organisation.slug}-reporting", password=None)
    membership = access.membership_add(by=None, user=reporting, organisation=org.organisation, role=Role.REPORTING)
    access.membership_vouch(by=None, membership=membership)
    return Personas(
        caseworker_few=names[caseworkers[0]],
        caseworker_many=names[caseworkers[-1]],
        supervisor_one_team=names[org.team_supervisor_ids[org.teams[0].pk]],
        supervisor_every_team=names[org.supervisor_all_id],
        admin=names[org.admin_id],
        reporting=reporting.username,
    )


# Cases ----------------------------------------------------------------------------

CASE_COLUMNS = [
    "has_lead",  # every generated case has a lead (_assignments)
    "from_packet",
    "languages",
    "id",
    "code",
    "organisation_id",
    "team_id",
    "status",
    "opened_on",
    "closed_on",
    "risk_level",
    "age_band",
    "gender",
    "nationality",
    "region",
    "stage",  # derived from the journey steps; the bench's are written after, and leave it blank
    "exploitation_types",
    "intake_source",
    "follow_up_on",
    "summary",
    "version",
    "created_by_id",
    "created_at",
    "updated_at",
    "key_ref",
]
CHILD_COLUMNS = ["uid", "created_by_id", "created_at", "updated_at", "version", "case_id"]


class _CaseWriter:
    """Cases and every row under them, streamed table by table from one seeded plan."""

    def __init__(self, scale, rng, orgs, progress):
        self.scale, self.rng, self.orgs, self.progress = scale, rng, orgs, progress
        self.permissions = {codename: p.pk for codename, p in access.case_permissions().items()}
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.lead_counts = {}
        self.identity_sample = []  # (case id, organisation id, lead id, nationality, age band, region)
        self.plan = self._plan()
        # Each case's own key in the key store (casework.keystore), and its free text sealed
        # under it as the application seals it.
        self.refs = {case_id: uuid.uuid4() for case_id, *_rest in self.plan}
        pairs = ((self.refs[case_id], org.organisation.pk) for case_id, _code, org, *_rest in self.plan)
        self.keys = keystore.create_case_keys(pairs)

    def _seal(self, case_id, text, context):
        return crypto.seal(self.keys[self.refs[case_id]], text, context)

    def _plan(self):
        """One tuple per case: (id, code, org, team, lead, coworker or None, grantee or None, opened_on)."""
        rng, plan, seen = self.rng, [], set()
        weights = list(itertools.accumulate(ORGANISATION_WEIGHTS))
        first_id = 1 + (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
        # A skewed load: some caseworkers lead a handful of cases, some hundreds.
        lead_weights = {
            team_id: list(itertools.accumulate(1 / (rank + 1) for rank in range(len(ids))))
            for org in self.orgs
            for team_id, ids in org.caseworkers.items()
        }
        for number in range(self.scale.cases):
            org = rng.choices(self.orgs, cum_weights=weights)[0]
            team = org.teams[rng.randrange(len(org.teams))]
            workers = org.caseworkers[team.pk]
            lead = rng.choices(workers, cum_weights=lead_weights[team.pk])[0]
            coworker = rng.choice(workers) if rng.random() < COWORKER_SHARE else None
            grantee = None
            if rng.random() < GRANT_SHARE:
                grantee = rng.choice(org.caseworkers[org.teams[rng.randrange(len(org.teams))].pk])
            code = self._code(seen)
            opened_on = self.today - datetime.timedelta(days=rng.randrange(5 * 365))
            plan.append((first_id + number, code, org, team, lead, coworker, grantee, opened_on))
            self.lead_counts[lead] = self.lead_counts.get(lead, 0) + 1
        return plan

    def _code(self, seen):
        while True:
            body = "".join(self.rng.choice(codes.ALPHABET) for _ in range(codes.BODY_LENGTH))
            code = body + codes.check_character(body)
            if code not in seen:
                seen.add(code)
                return code

    def write(self):
        steps = [
            (Case, CASE_COLUMNS, self._cases),
            (CaseAssignment, ["case_id", "user_id", "role", "assigned_by_id", "assigned_at"], self._assignments),
            (
                Grant,
                ["uid", "case_id", "user_id", "level", "reason", "expires_at", "granted_by_id", "granted_at"],
                self._grants,
            ),
            (CaseGroupObjectPermission, ["permission_id", "group_id", "content_object_id"], self._group_rows),
            (
                CaseUserObjectPermission,
                ["permission_id", "user_id", "content_object_id", "expires_at"],
                self._user_rows,
            ),
            (
                Contact,
                [*CHILD_COLUMNS, *CONTACT_FIELDS],
                self._contacts,
            ),
            (
                SupportNeed,
                [
                    *CHILD_COLUMNS,
                    "category",
                    "urgency",
                    "status",
                    "owner_id",
                    "identified_on",
                    "due_on",
                    "closed_on",
                    "outcome_notes",
                ],
                self._needs,
            ),
            (
                Referral,
                [
                    *CHILD_COLUMNS,
                    "provider_id",
                    "external_provider",
                    "service_type",
                    "urgency",
                    "status",
                    "consent_given_by",
                    "consent_method",
                    "consent_scope",
                    "consent_scope_note",
                    "consent_recipient",
                    "consent_witness",
                    "next_step",
                    "data_shared",
                    "outcome",
                ],
                self._referrals,
            ),
            (JourneyStep, [*CHILD_COLUMNS, "stage", "region", "started_on"], self._journey),
        ]
        for model, columns, rows in steps:
            started = time.monotonic()
            count = _copy(model, columns, rows())
            self.progress(f"{model._meta.db_table}: {count:,} rows in {time.monotonic() - started:.1f} s")

    def _cases(self):
        rng, statuses = self.rng, values_of(CaseStatus)
        choices = [values_of(c) for c in (RiskLevel, AgeBand, Gender, Nationality, Region, IntakeSource)]
        for case_id, code, org, team, lead, _coworker, _grantee, opened_on in self.plan:
            status = rng.choice(statuses)
            closed_on = opened_on + datetime.timedelta(days=rng.randrange(400)) if status == CaseStatus.CLOSED else None
            closed_on = min(closed_on, self.today) if closed_on else None
            risk, age, gender, nationality, region, source = (rng.choice(values) for values in choices)
            follow_up = self.today + datetime.timedelta(days=rng.randrange(-30, 60)) if status != "closed" else None
            if rng.random() < IDENTITY_SHARE:
                self.identity_sample.append((case_id, org.organisation.pk, lead, nationality, age, region))
            created = datetime.datetime.combine(opened_on, datetime.time(9), datetime.UTC)
            yield (
                True,
                False,
                "[]",
                case_id,
                code,
                org.organisation.pk,
                team.pk,
                status,
                opened_on,
                closed_on,
                risk,
                age,
                gender,
                nationality,
                region,
                "",
                "[]",
                source,
                follow_up,
                self._seal(case_id, "Generated for the benchmark.", f"case:{self.refs[case_id]}:summary:v1"),
                1,
                lead,
                created,
                created,
                self.refs[case_id],
            )

    def _assignments(self):
        for case_id, _code, org, team, lead, coworker, _grantee, opened_on in self.plan:
            at = datetime.datetime.combine(opened_on, datetime.time(9), datetime.UTC)
            yield case_id, lead, AssignmentRole.LEAD, lead, at
            if coworker is not None and coworker != lead:
                yield case_id, coworker, AssignmentRole.COWORKER, org.team_supervisor_ids[team.pk], at

    def _grants(self):
        for case_id, _code, org, team, lead, coworker, grantee, _opened in self.plan:
            if grantee is not None and grantee not in (lead, coworker):
                supervisor = org.team_supervisor_ids[team.pk]
                yield uuid.uuid4(), case_id, grantee, GrantLevel.VIEW, "Cover while away", None, supervisor, self.now

    def _group_rows(self):
        wanted = [self.permissions[codename] for codename in access.SUPERVISOR_PERMISSIONS]
        for case_id, _code, _org, team, *_rest in self.plan:
            for permission_id in wanted:
                yield permission_id, team.supervisor_group_id, case_id

    def _user_rows(self):
        """Each person's rows on each case, as ``sync_case_user`` derives them."""
        for case_id, _code, _org, _team, lead, coworker, grantee, _opened in self.plan:
            roles = {lead: AssignmentRole.LEAD}
            if coworker is not None and coworker != lead:
                roles[coworker] = AssignmentRole.COWORKER
            grants = {grantee: [(GrantLevel.VIEW, None)]} if grantee is not None and grantee not in roles else {}
            for user_id in [*roles, *grants]:
                wanted = access.wanted_permissions(roles.get(user_id), grants.get(user_id, []))
                for codename, expires_at in wanted.items():
                    yield self.permissions[codename], user_id, case_id, expires_at

    def _children(self, per_case):
        """(case id, lead, opened_on, n) for each case, ``n`` drawn around ``per_case``."""
        for case_id, _code, _org, _team, lead, _coworker, _grantee, opened_on in self.plan:
            yield case_id, lead, opened_on, self.rng.randrange(int(2 * per_case) + 1)

    def _contacts(self):
        rng, channels, purposes = self.rng, values_of(ContactChannel), values_of(ContactPurpose)
        for case_id, lead, opened_on, count in self._children(3):
            for _ in range(count):
                at = datetime.datetime.combine(opened_on, datetime.time(10), datetime.UTC)
                at += datetime.timedelta(days=rng.randrange(max(1, (self.today - opened_on).days)))
                uid = uuid.uuid4()
                yield (
                    uid,
                    lead,
                    at,
                    at,
                    1,
                    case_id,
                    at,
                    rng.randrange(5, 90),
                    rng.choice(channels),
                    "",
                    "[]",
                    rng.choice(purposes),
                    self._seal(case_id, "Generated contact note.", f"cases.contact:{uid}:notes:v1"),
                    rng.random() < 0.05,
                    None,
                )

    def _needs(self):
        rng, categories, urgencies, statuses = (
            self.rng,
            values_of(ServiceType),
            values_of(Urgency),
            values_of(NeedStatus),
        )
        for case_id, lead, opened_on, count in self._children(1.5):
            for _ in range(count):
                at = datetime.datetime.combine(opened_on, datetime.time(11), datetime.UTC)
                due = opened_on + datetime.timedelta(days=rng.randrange(1, 120))
                yield (
                    uuid.uuid4(),
                    lead,
                    at,
                    at,
                    1,
                    case_id,
                    rng.choice(categories),
                    rng.choice(urgencies),
                    rng.choice(statuses),
                    lead,
                    opened_on,
                    due,
                    None,
                    "",
                )

    def _referrals(self):
        rng, services, urgencies = self.rng, values_of(ServiceType), values_of(Urgency)
        for case_id, lead, opened_on, count in self._children(0.5):
            for _ in range(count):
                at = datetime.datetime.combine(opened_on, datetime.time(12), datetime.UTC)
                uid = uuid.uuid4()
                yield (
                    uid,
                    lead,
                    at,
                    at,
                    1,
                    case_id,
                    None,
                    self._seal(case_id, "Partner shelter", f"cases.referral:{uid}:external_provider:v1"),
                    rng.choice(services),
                    rng.choice(urgencies),
                    "draft",
                    "",
                    "",
                    "[]",  # consent_scope: categories (JSON), none on a draft
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                )

    def _journey(self):
        """Steps along each journey (for the reports), in the stages' usual order, weeks apart."""
        rng, stages, regions = self.rng, values_of(JourneyStage), values_of(Region)
        for case_id, lead, opened_on, count in self._children(1.5):
            on = opened_on
            for stage in stages[:count]:
                on += datetime.timedelta(days=rng.randrange(1, 90))
                at = datetime.datetime.combine(on, datetime.time(13), datetime.UTC)
                yield (uuid.uuid4(), lead, at, at, 1, case_id, stage, rng.choice(regions), on)


# Identities -----------------------------------------------------------------------


def _identities(sample, rng):
    """Encrypted identities and their blind index on a sample of the cases, through
    ``Identity.write`` as the demo seeder's bulk path writes them."""
    identities, digests = [], []
    today = timezone.localdate()
    for case_id, _org_id, lead, nationality, age_band, region in sample:
        values = identity_values(
            synthetic_identity(rng, nationality=nationality, age_band=age_band, region=region, today=today)
        )
        identity = Identity(case_id=case_id, updated_by_id=lead)
        identity.write(values)
        identities.append(identity)
        digests.append(sorted(blind.digests(values)))
    with unaudited_writes("benchmark generator: bulk identities on a generated sample"):
        Identity.objects.bulk_create(identities, batch_size=1000)
        IdentityIndex.objects.bulk_create(
            [
                IdentityIndex(identity_id=identity.pk, organisation_id=org_id, kind=kind, digest=digest)
                for identity, (_case, org_id, *_rest), found in zip(identities, sample, digests, strict=True)
                for kind, digest in found
            ],
            batch_size=1000,
        )


# Audit entries --------------------------------------------------------------------

AUDIT_COLUMNS = [
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes_text",
    "actor_id",
    "timestamp",
    "additional_data",
    "actor_email",
    "event",
    "outcome",
    "reason",
    "case_code",
    "organisation_id",
    "ip_hash",
    "seq",
    "prev_hash",
    "entry_hash",
    "chain_key",
]


def _audit(scale, rng, orgs, writer, progress):
    """``scale.audit_entries`` entries after the head of the chain, oldest first, each about
    one generated case and written by someone who works on it or supervises it."""
    started = time.monotonic()
    last = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first() or (0, "0" * 64)
    names, weights = zip(*AUDIT_EVENTS, strict=True)
    weights = list(itertools.accumulate(weights))
    span = datetime.timedelta(days=2 * 365).total_seconds()
    begin = timezone.now() - datetime.timedelta(days=2 * 365)
    plan = writer.plan
    case_type = ContentType.objects.get_for_model(Case).pk

    def rows():
        seq, prev = last
        step = span / max(1, scale.audit_entries)
        for number in range(scale.audit_entries):
            case_id, code, org, team, lead, coworker, _grantee, _opened = plan[rng.randrange(len(plan))]
            actor = rng.choice((lead, lead, lead, coworker or lead, org.team_supervisor_ids[team.pk]))
            seq += 1
            digest = hashlib.sha256(f"{BENCH_CHAIN_KEY}{seq}".encode()).hexdigest()
            at = begin + datetime.timedelta(seconds=number * step)
            event = rng.choices(names, cum_weights=weights)[0]
            action = ACTIONS.get(event.rsplit(".", 1)[1], AuditEntry.Action.ACCESS)
            yield (
                case_type,
                str(case_id),
                case_id,
                display(code),
                action,
                "",
                actor,
                at,
                None,
                "",
                event,
                "ok",
                "",
                code,
                org.organisation.pk,
                "",
                seq,
                prev,
                digest,
                BENCH_CHAIN_KEY,
            )
            prev = digest

    count = _copy(AuditEntry, AUDIT_COLUMNS, rows())
    progress(f"{AuditEntry._meta.db_table}: {count:,} rows in {time.monotonic() - started:.1f} s")
