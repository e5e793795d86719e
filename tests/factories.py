"""Plain ``make_*`` helpers that build data through the services, as the application does."""

import datetime
import itertools

from django.contrib.auth.models import User
from django.utils import timezone

from casework.access import services as access
from casework.access.models import Organisation, Role
from casework.cases.models import Contact, Referral, ServiceProvider, SupportNeed
from casework.cases.services.journey import journey_step_add

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_org(slug=None):
    slug = slug or f"org{next(_counter)}"
    return Organisation.objects.create(name=slug.title(), slug=slug)


def make_team(org, slug=None):
    slug = slug or f"team{next(_counter)}"
    return access.team_create(by=None, organisation=org, name=slug.title(), slug=slug)


def make_user(
    org=None,
    role=Role.CASEWORKER,
    teams=(),
    supervises=(),
    supervises_all=False,
    username=None,
    vouched=True,
    **extra,
):
    """A member of ``org`` placed by an operator, and (unless ``vouched=False``) vouched for
    by the operator too, as the first people of an organisation are."""
    user = User.objects.create_user(username or f"user{next(_counter)}", password=PASSWORD, **extra)
    if org is not None:
        membership = access.membership_add(
            by=None,
            user=user,
            organisation=org,
            role=role,
            teams=list(teams),
            supervised_teams=list(supervises),
            supervises_all_teams=supervises_all,
        )
        if vouched:
            access.membership_vouch(by=None, membership=membership)
    return user


def make_caseworker(org, team, **extra):
    return make_user(org, Role.CASEWORKER, teams=[team], **extra)


def make_supervisor(org, *teams, **extra):
    return make_user(org, Role.SUPERVISOR, supervises=teams, **extra)


def make_admin(org, **extra):
    return make_user(org, Role.ADMIN, **extra)


def make_case(lead, team=None, **profile):
    """A case opened by its lead caseworker (in her first team unless ``team`` is given)."""
    team = team or lead.membership.teams.order_by("pk").first()
    return access.case_open(by=lead, team=team, **profile)


def make_need(case, by, **fields):
    return SupportNeed.objects.create(case=case, created_by=by, category=fields.pop("category", "shelter"), **fields)


def make_contact(case, by, **fields):
    fields.setdefault("channel", "phone")
    fields.setdefault("purpose", "check_in")
    return Contact.objects.create(case=case, created_by=by, **fields)


def make_journey_step(case, by, stage="hiding", region="CN-JL", days_ago=30):
    """A step of ``case``'s journey, through the service (the case's stage and region follow)."""
    case.refresh_from_db(fields=["version"])
    started_on = timezone.localdate() - datetime.timedelta(days=days_ago)
    return journey_step_add(by=by, case=case, stage=stage, region=region, started_on=started_on, version=case.version)


def make_provider(org, name=None):
    return ServiceProvider.objects.create(organisation=org, name=name or f"Provider {next(_counter)}")


def make_referral(case, by, provider=None, **fields):
    fields.setdefault("service_type", "shelter")
    if provider is None and fields.get("partner") is None:
        fields.setdefault("external_provider", "A partner clinic")
    return Referral.objects.create(case=case, created_by=by, provider=provider, **fields)


def make_partnership(one_admin, one_supervisor, other_admin, other_supervisor):
    """An active partnership between two organisations, made as the application makes it:
    proposed by an administrator of each, confirmed by a supervisor of each."""
    from casework.partners import services as partners

    other_org = other_admin.membership.organisation
    partners.partnership_propose(by=one_admin, partner=other_org)
    partnership = partners.partnership_propose(by=other_admin, partner=one_admin.membership.organisation)
    partners.partnership_confirm(by=one_supervisor, partnership=partnership)
    return partners.partnership_confirm(by=other_supervisor, partnership=partnership)
