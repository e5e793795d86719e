"""Writing a planned data set: through the services for small runs, in bulk for large ones."""

import itertools
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access import services as access
from casework.access.models import Grant, Organisation, Role
from casework.audit.guard import unaudited_writes
from casework.cases.choices import AssignmentRole, ReferralStatus
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
from casework.demo.plan import identity_values
from casework.demo.vocabulary import BATCH_SIZE
from casework.identity import blind
from casework.identity.models import Identity, IdentityIndex
from casework.identity.services import identity_save
from casework.keystore import services as keystore

# Writing people -------------------------------------------------------------------


@dataclass
class Directory:
    """The rows the plan's names refer to, once they exist."""

    organisations: dict = field(default_factory=dict)  # slug → Organisation
    teams: dict = field(default_factory=dict)  # (org slug, team slug) → Team
    users: dict = field(default_factory=dict)  # username → User
    providers: dict = field(default_factory=dict)  # (org slug, name) → ServiceProvider

    def user_id(self, username):
        return self.users[username].pk if username else None


def create_people(organisations):
    """Organisations, teams, people and providers, through the access services."""
    directory = Directory()
    for plan in organisations:
        _create_organisation(plan, directory)
    return directory


def _create_organisation(plan, directory):
    # There is no organisation service yet; the admin's own membership has no one to act for it.
    organisation = Organisation.objects.create(name=plan.name, slug=plan.slug)
    directory.organisations[plan.slug] = organisation
    admin_plan, *others = plan.users
    admin = _create_user(admin_plan, directory)
    access.membership_vouch(
        by=None, membership=access.membership_add(by=None, user=admin, organisation=organisation, role=Role.ADMIN)
    )
    teams = {
        slug: access.team_create(by=admin, organisation=organisation, name=name, slug=slug) for slug, name in plan.teams
    }
    directory.teams.update({(plan.slug, slug): team for slug, team in teams.items()})
    for user_plan in others:
        _add_member(user_plan, organisation, teams, admin, directory)
    for provider in plan.providers:
        directory.providers[(plan.slug, provider["name"])] = ServiceProvider.objects.create(
            organisation=organisation, **provider
        )


def _add_member(plan, organisation, teams, admin, directory):
    # The seeder is an operator at the server: its supervisors take effect at once, and it
    # vouches for every demo account (their authenticators are the manifest's own).
    membership = access.membership_add(
        by=None,
        user=_create_user(plan, directory),
        organisation=organisation,
        role=plan.role,
        teams=[teams[slug] for slug in plan.teams],
        supervised_teams=[] if plan.supervises_all else [teams[slug] for slug in plan.supervises],
        supervises_all_teams=plan.supervises_all,
    )
    access.membership_vouch(by=None, membership=membership)


def _create_user(plan, directory):
    user = User.objects.create_user(plan.username, password=plan.password)
    TOTPDevice.objects.create(user=user, name="demo", key=plan.totp_key.hex(), confirmed=True)
    directory.users[plan.username] = user
    return user


# Writing cases --------------------------------------------------------------------


def _resolved(fields, organisation, directory):
    """Planned fields with usernames and provider names replaced by ids."""
    fields = dict(fields)
    fields.pop("need", None)
    fields["created_by_id"] = directory.user_id(fields.pop("created_by"))
    if "owner" in fields:
        fields["owner_id"] = directory.user_id(fields.pop("owner"))
    if "provider" in fields:
        provider = directory.providers.get((organisation, fields.pop("provider")))
        fields["provider_id"] = provider.pk if provider else None
    return fields


def _children(case, plan, directory):
    """Unsaved needs, referrals and contacts of ``case``, and the (referral, need) links."""
    org = plan.organisation
    needs = [SupportNeed(case=case, **_resolved(fields, org, directory)) for fields in plan.needs]
    referrals = [Referral(case=case, **_resolved(fields, org, directory)) for fields in plan.referrals]
    links = [(referral, needs[fields["need"]]) for referral, fields in zip(referrals, plan.referrals, strict=True)]
    contacts = [Contact(case=case, **_resolved(fields, org, directory)) for fields in plan.contacts]
    return needs, referrals, links, contacts


def _journey(case, plan, directory):
    """Unsaved steps of ``case``'s journey; the case already holds the latest one's stage and region."""
    return [JourneyStep(case=case, **_resolved(fields, plan.organisation, directory)) for fields in plan.journey]


def write_with_services(plan, directory):
    """One case the way the application makes it: opened by its lead, co-workers and
    grants added by a supervisor or admin, the identity recorded by the lead, every step
    with its audit entries."""
    users = directory.users
    team = directory.teams[(plan.organisation, plan.team)]
    case = access.case_open(by=users[plan.lead], team=team, **plan.fields)
    for username in plan.coworkers:
        access.case_assign(
            by=users[plan.manager],
            case=case,
            user=users[username],
            role=AssignmentRole.COWORKER,
            reason="Second caseworker for continuity",
        )
    for grant in plan.grants:
        user, by = users[grant.username], users[grant.granted_by]
        access.grant_add(by=by, case=case, user=user, level=grant.level, reason=grant.reason, expires=grant.expires_at)
    # Random names rarely collide; when they do, the duplicate alert is part of the demo.
    identity_save(by=users[plan.lead], case=case, values=identity_values(plan.identity))
    needs, referrals, links, contacts = _children(case, plan, directory)
    # Saved as the contacts are, each with its audit entry; the steps come in date order, as
    # the journey service would have taken them, and the case was opened at its latest.
    for child in [*needs, *referrals, *contacts, *_journey(case, plan, directory)]:
        child.save()
    for referral, need in links:
        referral.needs.add(need)
    for step in steps_of(referrals):
        step.save()
    return case


def steps_of(referrals):
    """The dated, attributed moves that brought each referral to its status (its author made them)."""
    steps = []
    for referral in referrals:
        moves = []
        if referral.sent_on:
            moves.append((ReferralStatus.SENT, referral.sent_on))
        if referral.responded_on:
            answer = ReferralStatus.DECLINED if referral.status == ReferralStatus.DECLINED else ReferralStatus.ACCEPTED
            moves.append((answer, referral.responded_on))
        if referral.closed_on and referral.status in (ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN):
            moves.append((referral.status, referral.closed_on))
        steps += [
            ReferralStep(referral_id=referral.pk, status=status, on=day, by_id=referral.created_by_id)
            for status, day in moves
        ]
    return steps


class BulkWriter:
    """Writes planned cases with bulk inserts: the rows that case_open, case_assign,
    grant_add, identity_save and saving the children would write, from the same
    permission tables and the same encryption.

    bulk_create bypasses auditlog, so these cases have no audit entries; STYLE.md allows
    that in the demo seeder only, and ``seed`` records one ``demo.seed`` entry instead.
    Nor are duplicates looked for: the blind index is written, the alerts are not.
    """

    def __init__(self, directory):
        self.directory = directory
        self.permissions = access.case_permissions()

    def write(self, plans):
        with unaudited_writes("demo seeder, bulk path: one demo.seed entry stands for the data set"):
            self._write(plans)

    def _write(self, plans):
        cases = [self._case(plan) for plan in plans]
        # Each case's key, made with it, as Case.save makes it (bulk_create does not call save).
        keystore.create_case_keys((case.key_ref, case.organisation_id) for case in cases)
        _insert(Case, cases, key="code")
        rows = {model: [] for model in (CaseGroupObjectPermission, CaseAssignment, Grant, CaseUserObjectPermission)}
        for plan, case in zip(plans, cases, strict=True):
            self._supervision_rows(plan, case, rows)
            roles = self._assignment_rows(plan, case, rows)
            grants = self._grant_rows(plan, case, rows)
            self._user_permission_rows(case, roles, grants, rows)
        for model, objects in rows.items():
            model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        self._write_identities(plans, cases)
        self._write_children(plans, cases)

    def _case(self, plan):
        team = self.directory.teams[(plan.organisation, plan.team)]
        lead_id = self.directory.user_id(plan.lead)
        return Case(
            organisation_id=team.organisation_id,
            team=team,
            created_by_id=lead_id,
            has_lead=bool(plan.lead),  # as the access services keep it: the lead is assigned below
            **plan.fields,
        )

    def _supervision_rows(self, plan, case, rows):
        group_id = self.directory.teams[(plan.organisation, plan.team)].supervisor_group_id
        rows[CaseGroupObjectPermission] += [
            CaseGroupObjectPermission(content_object=case, group_id=group_id, permission=self.permissions[codename])
            for codename in access.SUPERVISOR_PERMISSIONS
        ]

    def _assignment_rows(self, plan, case, rows):
        """username → assignment role; the lead assigned herself (case_open), co-workers her supervisor."""
        roles = {plan.lead: AssignmentRole.LEAD, **dict.fromkeys(plan.coworkers, AssignmentRole.COWORKER)}
        user_id = self.directory.user_id
        for username, role in roles.items():
            by = plan.lead if role == AssignmentRole.LEAD else plan.manager
            rows[CaseAssignment].append(
                CaseAssignment(case=case, user_id=user_id(username), role=role, assigned_by_id=user_id(by))
            )
        return roles

    def _grant_rows(self, plan, case, rows):
        """username → [(level, expiry)] of her grants on the case."""
        grants, user_id = {}, self.directory.user_id
        for grant in plan.grants:
            rows[Grant].append(
                Grant(
                    case=case,
                    user_id=user_id(grant.username),
                    level=grant.level,
                    reason=grant.reason,
                    expires_at=grant.expires_at,
                    granted_by_id=user_id(grant.granted_by),
                )
            )
            grants.setdefault(grant.username, []).append((grant.level, grant.expires_at))
        return grants

    def _user_permission_rows(self, case, roles, grants, rows):
        for username in dict.fromkeys([*roles, *grants]):
            wanted = access.wanted_permissions(roles.get(username), grants.get(username, []))
            rows[CaseUserObjectPermission] += [
                CaseUserObjectPermission(
                    content_object=case,
                    user_id=self.directory.user_id(username),
                    permission=self.permissions[codename],
                    expires_at=expires_at,
                )
                for codename, expires_at in wanted.items()
            ]

    def _write_identities(self, plans, cases):
        identities, digests = [], []
        for plan, case in zip(plans, cases, strict=True):
            # case_id first: every token is bound to its case and field.
            identity = Identity(case=case, updated_by_id=self.directory.user_id(plan.lead))
            values = identity_values(plan.identity)
            identity.write(values)
            identities.append(identity)
            digests.append(sorted(blind.digests(values)))
        _insert(Identity, identities, key="case_id")
        IdentityIndex.objects.bulk_create(
            [
                IdentityIndex(identity_id=identity.pk, organisation_id=case.organisation_id, kind=kind, digest=digest)
                for identity, case, found in zip(identities, cases, digests, strict=True)
                for kind, digest in found
            ],
            batch_size=BATCH_SIZE,
        )

    def _write_children(self, plans, cases):
        needs, referrals, links, contacts, steps = [], [], [], [], []
        for plan, case in zip(plans, cases, strict=True):
            case_needs, case_referrals, case_links, case_contacts = _children(case, plan, self.directory)
            needs += case_needs
            referrals += case_referrals
            links += case_links
            contacts += case_contacts
            steps += _journey(case, plan, self.directory)
        _insert(SupportNeed, needs, key="uid")
        _insert(Referral, referrals, key="uid")
        ReferralStep.objects.bulk_create(steps_of(referrals), batch_size=BATCH_SIZE)
        Link = Referral.needs.through
        Link.objects.bulk_create(
            [Link(referral_id=referral.pk, supportneed_id=need.pk) for referral, need in links], batch_size=BATCH_SIZE
        )
        Contact.objects.bulk_create(contacts, batch_size=BATCH_SIZE)
        JourneyStep.objects.bulk_create(steps, batch_size=BATCH_SIZE)


def chunks(iterable, size):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _insert(model, objects, key):
    """bulk_create, making sure every object has its id for the rows that point to it."""
    model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    if objects and objects[0].pk is None:
        # A database that cannot return ids from a bulk insert: find them by the unique key.
        for batch in chunks(objects, 500):
            keys = [getattr(obj, key) for obj in batch]
            ids = dict(model.objects.filter(**{f"{key}__in": keys}).values_list(key, "pk"))
            for obj in batch:
                obj.pk = ids[getattr(obj, key)]
