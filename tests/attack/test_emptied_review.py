"""A review of issue 22 (freeze, travel mode, duress sign-in) from the attacker's side: a
captor standing over her, a border agent with her unlocked laptop, a malicious colleague.

Each test is an attack that worked when the review was made; each passes now that it is
closed. Where a colleague's page answers "not found" under duress, that is the design (no
colleague is named to whoever stands over her), and the test compares it with the page of
a name that does not exist.
"""

import base64
import datetime

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.models import Membership
from casework.access.services.people import password_reset
from casework.accounts import protection
from casework.audit import flags, review
from casework.audit.models import FlagKind
from tests.accounts.test_safety import (
    DURESS_PASSWORD,
    password_step,
    person_safety,
    same_shape,
    through_pages,
    unused_code,
)
from tests.factories import make_admin, make_caseworker, make_supervisor, make_team


def _duress_admin(world):
    protection.duress_password_set(user=world.admin, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_admin(world.org, username="emptyadm"))
    duress, _steps = through_pages(world.admin, password=DURESS_PASSWORD)
    return baseline, duress


# Administrators -------------------------------------------------------------------------------


def test_an_administrator_under_duress_is_handed_every_case_code_of_the_organisation(world):
    """Attack: a captor (or a border agent, with an administrator in travel mode) clicks
    "Cases" in the access menu of her duress session. /access/cases/ lists every case of
    the organisation (codes, teams, assignments) and each /access/cases/<code>/ opens,
    while a code of no case answers 404: the emptied workspace hands him the whole case
    directory. ``Case.objects.access_directory`` gives an administrator her organisation's
    cases without asking ``workspace_is_empty``."""
    _baseline, duress = _duress_admin(world)
    listed = duress.get(reverse("access:cases"))
    assert listed.status_code == 200
    assert world.case.display_code not in listed.content.decode()
    assert world.other_case.display_code not in listed.content.decode()
    real = duress.get(reverse("access:case", args=[world.case.display_code]))
    missing = duress.get(reverse("access:case", args=[unused_code()]))
    assert (real.status_code, missing.status_code) == (404, 404)


def test_an_administrator_in_travel_mode_is_handed_every_case_code_too(world):
    """Attack: the same as under duress, for an administrator who put herself into travel
    mode before the border: the officer opens /access/cases/ on her laptop and reads every
    case code and who works it."""
    protection.travel_start(by=world.admin, user=world.admin, until=timezone.localdate())
    travelling, _steps = through_pages(world.admin)
    listed = travelling.get(reverse("access:cases")).content.decode()
    assert world.case.display_code not in listed


def test_an_administrator_under_duress_shows_when_her_colleagues_last_signed_in(world):
    """Attack: the captor opens "People" from her menu: the list (and each person's page)
    says when each colleague last signed in, their activity, as on any day. Nothing of
    a colleague's activity may show while her workspace is emptied: the list holds herself,
    and a colleague's page is the 404 of a name that does not exist."""
    world.lead.last_login = timezone.now() - datetime.timedelta(days=3, hours=5)
    world.lead.save(update_fields=["last_login"])
    _baseline, duress = _duress_admin(world)
    listed = duress.get(reverse("access:users"))
    detail = duress.get(reverse("access:user", args=["lead"]))
    assert listed.status_code == 200
    same_shape(detail, duress.get(reverse("access:user", args=["no-such-person"])))
    when = date_format(localtime(world.lead.last_login), "SHORT_DATETIME_FORMAT")
    assert when not in listed.content.decode() and "lead" not in listed.content.decode()


def test_the_add_a_partner_button_of_an_administrator_under_duress_leads_to_not_found(world):
    """Attack: the captor clicks "Add a partner from its key card" on the partners'
    exchange page her menu offers. An ordinary administrator gets the form; under duress
    (frozen, travelling) the page answers "Not found": the page offers the button as on
    any day (``adds_partners(shown=True)``) but its door asks ``adds_partners`` without
    ``shown`` (casework/partners/views_exchange.py remote_add)."""
    baseline, duress = _duress_admin(world)
    page = reverse("exchange:remote_add")
    for client in (baseline, duress):
        assert f'href="{page}"' in client.get(reverse("exchange:home")).content.decode()
    same_shape(duress.get(page), baseline.get(page))


def test_an_administrator_under_duress_cannot_open_a_persons_trail_an_ordinary_one_can(world):
    """Attack: the captor types /audit/people/<colleague>/ (the page the trail links each
    name to). An ordinary administrator of the organisation gets the page; under duress it
    is "Not found": ``doors.reviewer_finds`` asks ``review.reviewer(user)`` instead of
    ``as_offered=True`` as ``doors.reviewer`` does, so the 404 tells him the account is not
    ordinary. It should open with nothing in it."""
    baseline, duress = _duress_admin(world)
    page = reverse("audit:user", args=["coworker"])
    assert baseline.get(page).status_code == 200
    # By design a colleague is nobody under duress: the 404 of a name that does not exist.
    same_shape(duress.get(page), duress.get(reverse("audit:user", args=["no-such-person"])))
    # Her own page (People links to it) opens as on any day, with nothing in it.
    own = duress.get(reverse("audit:user", args=["admin"]))
    assert own.status_code == baseline.get(reverse("audit:user", args=["emptyadm"])).status_code == 200
    assert own.context["entries"] == []


# Supervisors ----------------------------------------------------------------------------------


def test_a_supervisor_under_duress_gets_not_found_on_her_own_teams_safety_page(world):
    """Attack: the captor makes a supervisor open /accounts/people/<her caseworker>/safety/
    (to freeze her colleague, or to see whether she is protected). An ordinary supervisor
    of that team gets the page; under duress it is 404 (``may_protect`` refuses an emptied
    supervisor in the ``protector`` door): a tell. It should open as a form with nothing
    of the colleague's protections in it (the act itself is refused as an outage)."""
    team_c = make_team(world.org, "team-c")
    make_caseworker(world.org, team_c, username="cwc")
    baseline, _steps = through_pages(make_supervisor(world.org, team_c, username="emptysup"))
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    ordinary = baseline.get(reverse("accounts:person_safety", args=["cwc"]))
    under_duress = duress.get(reverse("accounts:person_safety", args=["other_team_worker"]))
    assert ordinary.status_code == 200
    # By design a colleague is nobody under duress (her home page lists nobody to protect):
    # the 404 of a name that does not exist, whoever is typed.
    same_shape(under_duress, duress.get(reverse("accounts:person_safety", args=["no-such-person"])))


# Changes --------------------------------------------------------------------------------------


def test_under_duress_a_lost_phone_lets_the_captor_plant_his_own_authenticator(world):
    """Attack: under duress the captor makes her report her phone lost (allowed while
    emptied), then signs in again with the duress password he watched her type; with no
    authenticator left, the second step sends him to enrol, which the middleware lets
    through "while not yet verified". His phone becomes her authenticator (and he gets her
    recovery codes): exactly the replacement WHILE_EMPTIED means to stop. Once she is
    unfrozen, his phone, not hers, is her second factor."""
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    captor, _steps = through_pages(world.lead, password=DURESS_PASSWORD)
    assert captor.post(reverse("accounts:device_lost"), {"lost-confirm": "on"}).status_code == 302
    again = Client()
    password_step(again, world.lead, DURESS_PASSWORD)
    secret = again.get(reverse("accounts:enrol")).context["secret"].replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    token = f"{TOTP(key, step=30, t0=0, digits=6).token():06d}"
    again.post(reverse("accounts:enrol"), {"code": token})
    # Nothing he did under duress may leave his phone as her second factor.
    planted = [device for device in TOTPDevice.objects.filter(user=world.lead, confirmed=True) if device.bin_key == key]
    assert planted == []


def test_a_session_open_when_a_supervisor_sets_travel_mode_wakes_up_with_her_cases(world):
    """Attack: her supervisor puts her into travel mode because her laptop will be searched
    at the border; the laptop's session, open since the morning, goes on (emptied). The
    officer keeps it alive (a request every few minutes, within the idle limit); when the
    supervisor ends travel mode (or its last day passes) that same session shows her cases.
    A freeze ends every session; travel mode set by a supervisor ends none and does not mark
    them as opened emptied (casework/accounts/protection.py travel_start)."""
    laptop, _steps = through_pages(world.lead)
    supervisor, _steps = through_pages(world.supervisor)
    until = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    assert person_safety(supervisor, world.lead, "travel", until=until, reason="Border").status_code == 302
    detail = reverse("cases:detail", args=[world.case.display_code])
    assert laptop.get(detail).status_code == 404  # emptied while it lasts
    assert person_safety(supervisor, world.lead, "travel_end", reason="Back").status_code == 302
    assert laptop.get(detail).status_code != 200


def test_an_administrator_under_duress_reads_a_colleagues_cases_on_the_offboarding_page(world):
    """Attack: from "People" the captor opens a colleague's page and its "left the
    organisation" or "reactivate" links (GETs): /access/users/<name>/offboard/ and
    /reactivate/ list the codes of the cases she is assigned to, under duress as on any
    day (``access.offboarding_cases`` and the reactivation page do not ask
    ``workspace_is_empty``)."""
    _baseline, duress = _duress_admin(world)
    for page in ("access:user_offboard", "access:user_reactivate"):
        response = duress.get(reverse(page, args=["lead"]))
        assert world.case.display_code not in response.content.decode(), page
        same_shape(response, duress.get(reverse(page, args=["no-such-person"])))


def test_under_duress_the_temporary_password_page_says_the_password_she_signed_in_with_is_wrong(world):
    """Attack: an administrator gave her a temporary password; before she replaces it she is
    made to sign in and types her duress password. Every page sends her to "choose your
    password", as for any account with a temporary password; the captor fills in the
    password he watched her type as the current one, and is told it is incorrect (400,
    and a denied password.change): an ordinary account is never told the password it has
    just signed in with is wrong. The REPLACE_CREDENTIAL exception lets the change through
    the middleware, and the form refuses the duress password (casework/accounts/passwords.py
    clean_old_password). It should answer as any refused change does (the outage), or as
    a success that changes nothing."""
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    through_pages(world.lead)  # her authenticator, as an administrator's reset requires
    password_reset(by=world.admin, membership=Membership.objects.get(user=world.lead))
    captor, _steps = through_pages(world.lead, password=DURESS_PASSWORD)
    assert captor.get(reverse("home")).url == reverse("accounts:password")
    new = "a captor's own phrase 1"
    response = captor.post(
        reverse("accounts:password"),
        {"old_password": DURESS_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code in (302, 503), response.status_code
    assert not get_user_model().objects.get(pk=world.lead.pk).check_password(new)


def test_an_administrators_duress_and_refusals_reach_no_trail_and_no_flag(world):
    """Attack (on the alarm): an administrator is made to sign in under duress and to try
    deactivating a colleague. The supervisor of every team may protect her (her home page
    lists the duress sign-in and the safety page opens), yet neither the duress flag nor the
    refused change is in that supervisor's flags or trail, nor in anyone else's: an
    administrator is nobody's team member nor fellow supervisor (casework/audit/review.py
    entries_for), so what the captor made her try is read by no one."""
    protection.duress_password_set(user=world.admin, password=DURESS_PASSWORD)
    captor, _steps = through_pages(world.admin, password=DURESS_PASSWORD)
    assert captor.post(reverse("access:user_deactivate", args=["lead"]), {"reason": "Made to"}).status_code == 503
    assert protection.may_protect(world.head, world.admin)
    seen = review.entries_for(world.head).filter(actor=world.admin)
    assert seen.filter(event="account.duress").exists()
    assert seen.filter(event="account.change_refused").exists()
    assert [f for f in flags.flags_for(world.head) if f.kind == FlagKind.DURESS_SIGN_IN]


def test_go_to_a_case_answers_a_duress_caseworker_with_an_outage_where_an_empty_one_gets_an_answer(world):
    """Attack: on the case list her menu offers, the captor types a code into "Go to a case"
    (a form that only reads, posted so that a name typed into it never lands in a URL). An
    ordinary empty caseworker is sent to the case page and told "Not found" (or, for a
    malformed code, gets the list back with its error); under duress every such search gets
    the outage page, whatever is typed, while every other page answers: a search that never
    works is a tell. The middleware refuses every POST outside WHILE_EMPTIED, reads too."""
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_caseworker(world.org, world.team_a, username="emptyacc"))
    duress, _steps = through_pages(world.lead, password=DURESS_PASSWORD)
    for typed in (world.case.display_code, unused_code(), "not a code"):
        ordinary = baseline.post(reverse("cases:find"), {"code": typed})
        under_duress = duress.post(reverse("cases:find"), {"code": typed})
        assert (under_duress.status_code, under_duress.get("Location")) == (
            ordinary.status_code,
            ordinary.get("Location"),
        ), typed


def test_an_administrator_reads_in_the_trail_that_a_protection_of_hers_ended(world):
    """Attack (a malicious administrator): protections are in her supervisors' trail only.
    But when a session opened while she was in travel mode (at the border, in front of the
    officer) is ended because travel mode ended, a ``session.expire`` entry with reason
    ``protection_ended`` is written, and administrators review that event
    (casework/accounts/sessions.py SessionLimitsMiddleware._end; SESSION_EXPIRE is BOTH):
    the administrator learns that she was protected, and when it was lifted."""
    protection.travel_start(by=world.lead, user=world.lead, until=timezone.localdate() + datetime.timedelta(days=5))
    officer, _steps = through_pages(world.lead)
    protection.travel_end(by=world.supervisor, user=world.lead, reason="Back early")
    officer.get(reverse("home"))  # the session opened in travel mode ends
    seen = review.entries_for(world.admin).filter(actor=world.lead, event="session.expire")
    assert [entry.additional_data for entry in seen if "protection" in str(entry.additional_data)] == []
