"""A second review of issue 22 (freeze, travel mode, duress sign-in) from the attacker's side,
after tests/attack/test_emptied_review.py was closed: a captor standing over her, a border
agent with her unlocked laptop (and its browser history), a malicious colleague.

Each test is an attack that worked when the review was made; each passes now that it is
closed. Where a colleague's page answers "not found" under duress, that is the design (no
colleague is named to whoever stands over her), and the test compares it with the page of
a name or an id that does not exist.
"""

import datetime
import re
import uuid

from django.urls import reverse
from django.utils import timezone

from casework.accounts import protection
from casework.audit import review
from casework.audit.models import Outcome
from tests.accounts.test_safety import DURESS_PASSWORD, same_shape, through_pages, unused_code
from tests.factories import make_admin, make_org, make_partnership, make_supervisor, make_team

COLLEAGUES = ("lead", "coworker", "teammate", "other_team_worker", "viewer", "editor", "revealer", "head")


def _named_as_options(text, names):
    return [name for name in names if re.search(rf"<option[^>]*>\s*{re.escape(name)}\s*</option>", text)]


def test_an_administrator_under_duress_reads_every_colleagues_username_on_the_unlock_page(world):
    """Attack: the captor (or the border agent, with an administrator in travel mode) follows
    the "unlock an account" link her pages offer: /accounts/unlock/ holds a select of every
    member of the organisation by username, under duress as on any day. The People list
    holds herself alone and a colleague's page is a 404, but this form hands over every
    rescuer's name (casework/accounts/views.py unlock: ``members`` does not ask
    ``workspace_is_empty``). Unlocking is refused as an outage anyway; the names are not."""
    ordinary, _steps = through_pages(world.admin)  # the comparison can fail: on any day they are named
    assert _named_as_options(ordinary.get(reverse("accounts:unlock")).content.decode(), COLLEAGUES)
    protection.duress_password_set(user=world.admin, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.admin, password=DURESS_PASSWORD)
    response = duress.get(reverse("accounts:unlock"))
    assert response.status_code == 200
    assert _named_as_options(response.content.decode(), COLLEAGUES) == []


def test_an_administrator_in_travel_mode_names_her_colleagues_on_the_unlock_page(world):
    """Attack: the same page on an administrator's laptop in travel mode, opened by the
    officer at the border: every colleague's username."""
    protection.travel_start(by=world.admin, user=world.admin, until=timezone.localdate())
    travelling, _steps = through_pages(world.admin)
    text = travelling.get(reverse("accounts:unlock")).content.decode()
    assert _named_as_options(text, COLLEAGUES) == []


def test_the_trail_filter_tells_a_captor_which_usernames_exist(world):
    """Attack: under duress a supervisor's trail opens empty, and a colleague's trail page is
    the 404 of a name that does not exist. But the trail's "Person" filter
    (/audit/?user=<name>, and /audit/export/?user=<name>) validates the name against the
    organisation: a colleague's username gives 200, any other gives 400 "No one in your
    organisation has this username". The captor confirms, one guess at a time, who works
    there (casework/audit/forms.py TrailFilterForm.clean_user does not ask
    ``workspace_is_empty``)."""
    protection.duress_password_set(user=world.supervisor, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.supervisor, password=DURESS_PASSWORD)
    for page in ("audit:trail", "audit:export"):
        colleague = duress.get(f"{reverse(page)}?user=lead")
        nobody = duress.get(f"{reverse(page)}?user=no-such-person")
        assert colleague.status_code == nobody.status_code, page
        assert ("No one in your organisation" in colleague.content.decode()) == (
            "No one in your organisation" in nobody.content.decode()
        ), page


def test_an_administrators_trail_filter_under_duress_tells_which_usernames_exist(world):
    """Attack: the same oracle for an administrator under duress, whose People list holds
    herself alone: /audit/?user=<colleague> answers 200, an unknown name 400."""
    protection.duress_password_set(user=world.admin, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.admin, password=DURESS_PASSWORD)
    colleague = duress.get(f"{reverse('audit:trail')}?user=coworker")
    nobody = duress.get(f"{reverse('audit:trail')}?user=no-such-person")
    assert colleague.status_code == nobody.status_code


def _partnership(world):
    partner_org = make_org("org-partner")
    partner_team = make_team(partner_org, "team-p")
    return make_partnership(
        world.admin,
        world.supervisor,
        make_admin(partner_org, username="partner_admin"),
        make_supervisor(partner_org, partner_team, username="partner_supervisor"),
    )


def test_a_partnership_page_opens_under_duress_and_names_the_partner(world):
    """Attack: the partner directory reads as empty under duress, and a provider's page is
    the 404 of an unknown id. But a partnership's own pages (/partners/<uid>/end/ and
    /partners/<uid>/entry/, whose addresses sit in her browser's history) open as on any
    day: the partner organisation's name and her organisation's directory entry for it,
    while an unknown id is a 404. The partnership_page door finds the partnership among
    ``partner_services.partnerships_of(organisation)`` without asking
    ``workspace_is_empty`` (casework/web/doors.py partnership_page)."""
    partnership = _partnership(world)
    protection.duress_password_set(user=world.supervisor, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.supervisor, password=DURESS_PASSWORD)
    for page in ("partners:end", "partners:entry"):
        real = duress.get(reverse(page, args=[partnership.uid]))
        assert "Org-Partner" not in real.content.decode(), page
        same_shape(real, duress.get(reverse(page, args=[uuid.uuid4()])))


def test_an_administrator_reads_in_the_trail_that_a_fellow_administrator_is_in_travel_mode(world):
    """Attack (a malicious administrator): protections are for her supervisors alone. But
    when the officer at the border opens /access/cases/<code>/ on a travelling
    administrator's laptop (the address is in the browser history), the directory_case door
    records a denied ``access.case`` with the real case code, and every administrator
    reviews that event. An administrator is never refused a live case of her own
    organisation on any day: the entry tells a fellow administrator that she is frozen,
    travelling or under duress, and when (casework/web/doors.py directory_case)."""
    other_admin = make_admin(world.org, username="admin2")
    protection.travel_start(by=world.admin, user=world.admin, until=timezone.localdate() + datetime.timedelta(days=3))
    laptop, _steps = through_pages(world.admin)
    assert laptop.get(reverse("access:case", args=[world.case.display_code])).status_code == 404
    seen = review.entries_for(other_admin).filter(actor=world.admin, outcome=Outcome.DENIED)
    assert list(seen.filter(case_code=world.case.code).values_list("event", flat=True)) == []


def test_an_administrator_reads_in_the_trail_that_a_supervisor_is_under_duress(world):
    """Attack (a malicious administrator): a supervisor under duress is made to open her own
    team's case in the access directory and its trail (/access/cases/<code>/,
    /audit/cases/<code>/). Both are refused (404) and kept as denied ``access.case`` and
    ``audit.view`` entries with the code, which administrators review. A supervisor is
    never refused her own team's case on any day, so the administrator learns she is
    emptied: her protections are meant for the supervisors who may protect her alone."""
    protection.duress_password_set(user=world.supervisor, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.supervisor, password=DURESS_PASSWORD)
    for page in ("access:case", "audit:case"):
        assert duress.get(reverse(page, args=[world.case.display_code])).status_code == 404
    seen = review.entries_for(world.admin).filter(actor=world.supervisor, outcome=Outcome.DENIED)
    assert list(seen.filter(case_code=world.case.code).values_list("event", flat=True)) == []
    # A code of no case is refused alike on any day: that much an administrator may read.
    assert duress.get(reverse("access:case", args=[unused_code()])).status_code == 404
