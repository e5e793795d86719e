"""A third review of issue 22 (freeze, travel mode, duress sign-in): beyond leaks, whether
whoever must see and lift a protection always can, and whether every page an emptied
administrator is offered keeps the promise "with no team".

Each test failed on the code reviewed and passes now that the problem it describes is closed.
"""

import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from casework.accounts import protection
from casework.accounts.models import AccountGuard
from casework.audit import flags
from casework.audit.models import AuditEntry, FlagKind, WeekReview
from casework.audit.review import week_start
from tests.accounts.test_safety import DURESS_PASSWORD, signed_out, through_pages
from tests.factories import make_admin, make_caseworker, make_org, make_supervisor, make_team


def _alarm_reaches(organisation, person):
    """The other members of ``organisation`` who get a "duress sign-in" flag about
    ``person``, and those who may lift what protects her (her name on their home page)."""
    flagged, lifters = [], []
    for other in User.objects.filter(membership__organisation=organisation).exclude(pk=person.pk):
        raised = flags.flags_for(other) or []
        if any(flag.kind == FlagKind.DURESS_SIGN_IN and flag.actor_id == person.pk for flag in raised):
            flagged.append(other.username)
        if person.pk in {guard.user_id for guard in protection.protected_people(other, organisation.pk)}:
            lifters.append(other.username)
    return flagged, lifters


def test_the_duress_sign_in_of_the_supervisor_of_every_team_reaches_nobody(world):
    """Problem: only a supervisor who could vouch for her sees or lifts a protection
    (casework/accounts/protection.py may_protect, casework/audit/review.py
    fellow_supervisors). For a supervisor of every team that is another supervisor of every
    team; when there is none (``head`` in the world), her duress sign-in raises no flag for
    anyone, her name is on nobody's home page, nobody may unfreeze her, and no management
    command does it either. The alarm the duress password exists for is lost, and the one
    person who lifts everyone else's protections stays frozen for good."""
    protection.duress_password_set(user=world.head, password=DURESS_PASSWORD)
    through_pages(world.head, password=DURESS_PASSWORD)
    flagged, lifters = _alarm_reaches(world.org, world.head)
    assert flagged, "nobody in her organisation is told of her duress sign-in"
    assert lifters, "nobody in her organisation may lift her freeze"


def test_the_duress_sign_in_of_a_teams_only_supervisor_reaches_nobody(db):
    """Problem: the same in the commonest small organisation, one supervisor per team and
    nobody supervising every team: a supervisor signed in under duress is seen by no one
    (no flag, no home page) and can be unfrozen by no one (casework/accounts/protection.py
    may_protect needs a supervisor covering her team; casework/audit/review.py
    fellow_supervisors finds none)."""
    organisation = make_org("small-org")
    north, south = make_team(organisation, "north"), make_team(organisation, "south")
    north_supervisor = make_supervisor(organisation, north, username="north_supervisor")
    make_supervisor(organisation, south, username="south_supervisor")
    make_caseworker(organisation, north, username="north_worker")
    make_admin(organisation, username="small_admin")
    protection.duress_password_set(user=north_supervisor, password=DURESS_PASSWORD)
    through_pages(north_supervisor, password=DURESS_PASSWORD)
    flagged, lifters = _alarm_reaches(organisation, north_supervisor)
    assert flagged, "nobody in her organisation is told of her duress sign-in"
    assert lifters, "nobody in her organisation may lift her freeze"


def test_an_administrator_under_duress_reads_every_team_name_on_the_new_person_form(world):
    """Problem: under duress an administrator's pages hold "no team": the team list is
    empty and a team's page is the 404 of an unknown slug. But "Add a person" (offered on
    her People list, /access/users/new/) ticks every team of the organisation by name
    (casework/access/views/people.py person_create: PersonCreateForm, a TeamsForm over
    ``Team.objects.filter(organisation=...)``, does not ask ``workspace_is_empty``). Team
    names are often places (a town, a safe house): whoever stands over her reads them all.
    Creating the person is refused as an outage anyway; the names are not."""
    page = reverse("access:user_new")
    ordinary, _steps = through_pages(world.admin)  # the comparison can fail: on any day they are there
    text = ordinary.get(page).content.decode()
    assert "Team-A" in text and "Team-B" in text
    protection.duress_password_set(user=world.admin, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.admin, password=DURESS_PASSWORD)
    assert duress.get(reverse("access:teams")).status_code == 200
    assert "Team-A" not in duress.get(reverse("access:teams")).content.decode()  # the team list: none
    response = duress.get(page)
    assert response.status_code == 200
    shown = response.content.decode()
    assert "Team-A" not in shown and "Team-B" not in shown


def test_under_duress_the_home_page_says_last_week_was_reviewed_and_its_page_says_not(world):
    """Problem: a supervisor who marked last week reviewed opens, under duress, a home page
    without the "Last week's audit trail is not yet reviewed" reminder (it reads her mark:
    casework/audit/review.py last_week_unreviewed does not ask ``workspace_is_empty``), but
    last week's page says she has not marked it and offers the form (casework/audit/views.py
    _week_context: "Emptied, she has marked nothing either"). On any day the two agree; here
    they contradict each other, which only an emptied account does."""
    monday = week_start(timezone.localdate()) - datetime.timedelta(days=7)
    WeekReview.objects.create(organisation=world.org, week=monday, reviewed_by=world.other_supervisor, note="Seen.")
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    reminded = "not yet reviewed" in duress.get(reverse("home")).content.decode()
    week_page = duress.get(reverse("audit:trail"), {"week": monday.isoformat()})
    assert week_page.status_code == 200
    marked = "You marked this week reviewed" in week_page.content.decode()
    assert reminded != marked, "the home page and last week's page disagree about her mark"


def test_an_operator_lifts_the_freeze_of_an_organisations_only_supervisor(db):
    """With no other supervisor at all, nobody in the organisation may lift her freeze: an
    operator at the server does, with a reason, and the trail says so (no actor). Every
    session of hers ends, the duress one among them."""
    organisation = make_org("one-supervisor")
    team = make_team(organisation, "only")
    only = make_supervisor(organisation, team, username="only_supervisor")
    protection.duress_password_set(user=only, password=DURESS_PASSWORD)
    captor, _steps = through_pages(only, password=DURESS_PASSWORD)
    assert AccountGuard.objects.get(user=only).is_frozen
    with pytest.raises(CommandError):
        call_command("protection_lift", "only_supervisor")  # a reason is required
    call_command("protection_lift", "only_supervisor", "--reason", "She called from the office", stdout=io.StringIO())
    assert not AccountGuard.objects.get(user=only).is_frozen
    entry = AuditEntry.objects.filter(event="account.unfreeze").latest("seq")
    assert entry.actor is None and entry.object_pk == str(only.pk) and entry.reason == "She called from the office"
    assert signed_out(captor)
    with pytest.raises(CommandError, match="neither frozen nor in travel mode"):
        call_command("protection_lift", "only_supervisor", "--reason", "Again")
