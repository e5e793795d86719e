"""Whoever stands over her makes her do things: vouch for an account, grant a case, confirm an
erasure, change her password, make new recovery codes. While her workspace is emptied
(frozen, travelling, under duress) every change she sends, on every page, gets the answer any
account gets when the database does not answer, and changes nothing but the trail, where her
supervisors (only they) read that it was refused.

Only signing in and out, the language, and what protects her further (freezing, travel mode,
a lost phone, ending her other sessions) still go through
(casework.accounts.middleware.EmptiedWorkspaceMiddleware).
"""

import base64
import uuid

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.accounts import protection
from casework.accounts.middleware import CASE_DOORS, WHILE_EMPTIED
from casework.audit import review
from casework.audit.models import AuditEntry
from tests.accounts.test_safety import DURESS_PASSWORD, code, guard, signed_out, through_pages
from tests.factories import PASSWORD, make_supervisor, make_team

# What a change may add while refused: its trail entry, and the session rows of signing in.
WRITTEN_ANYWAY = {"audit.auditentry", "sessions.session", "accounts.loginsession"}


def every_named_url(world):
    """Every named URL of the site, each parameter filled with something of her organisation
    (a case code, a username, a team) or a random id: the change is refused before any page
    would look it up."""
    values = {
        "code": world.case.display_code,
        "uid": str(uuid.uuid4()),
        "grant_uid": str(uuid.uuid4()),
        "username": "coworker",
        "slug": world.team_a.slug,
        "section": "cases",
    }

    def walk(patterns, namespace="", converters=()):
        for pattern in patterns:
            inner = (*converters, *pattern.pattern.converters)
            if isinstance(pattern, URLResolver):
                deeper = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, deeper, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}{pattern.name}"
                yield name, reverse(name, kwargs={key: values[key] for key in inner})

    return sorted(walk(get_resolver().url_patterns))


def rows():
    """How many rows each model holds (the key store's included), but for what a refusal writes."""
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in WRITTEN_ANYWAY and not model._meta.proxy and model._meta.managed
    }


def emptied_client(world, how):
    """Her client, signed in while her workspace is emptied ``how``."""
    person = world.admin if how == "administrator travelling" else world.other_supervisor
    if how == "under duress":
        protection.duress_password_set(user=person, password=DURESS_PASSWORD)
        client, _steps = through_pages(person, password=DURESS_PASSWORD)
    elif how == "frozen":
        protection.account_freeze(by=world.head, user=person)
        client, _steps = through_pages(person)
    else:
        protection.travel_start(by=person, user=person, until=timezone.localdate())
        client, _steps = through_pages(person)
    return person, client


@pytest.mark.parametrize("how", ["under duress", "frozen", "administrator travelling"])
def test_every_change_she_sends_is_refused_as_an_outage_and_changes_nothing(world, how):
    person, client = emptied_client(world, how)
    before_rows, before_seq = rows(), AuditEntry.objects.latest("seq").seq
    refused, not_found = [], []
    for name, url in every_named_url(world):
        if name in WHILE_EMPTIED:
            continue  # signing out, freezing, ... : tested below
        response = client.post(url, {"confirm": "on", "reason": "Made to", "code": "123456"})
        if getattr(resolve(url).func, "door", None) in CASE_DOORS:
            # A case she reaches on any day: the same 404 as a case that does not exist (405 for
            # a page that is only read, as for anyone).
            assert response.status_code in (404, 405), (name, response.status_code)
            not_found.append(name)
        else:
            assert response.status_code == 503 and response["Retry-After"], (name, response.status_code)
            refused.append(name)
    assert len(refused) > 60 and len(not_found) > 40  # the walk reached the site, not a few pages
    assert rows() == before_rows  # nothing changed anywhere
    written = AuditEntry.objects.filter(seq__gt=before_seq)
    assert {(entry.outcome, entry.actor_id) for entry in written} == {("denied", person.pk)}
    refusals = written.filter(event="account.change_refused")
    assert sorted(entry.additional_data["page"] for entry in refusals) == sorted(refused)
    # She is still signed in, and still sees an ordinary workspace.
    assert client.get(reverse("home")).status_code == 200


def test_the_refusals_are_for_her_supervisors_only(world):
    person, client = emptied_client(world, "under duress")
    client.post(reverse("partners:settings"), {"packets_need_approval": "on"})
    assert review.entries_for(world.head).filter(event="account.change_refused", actor=person).exists()
    assert not review.entries_for(world.admin).filter(event="account.change_refused").exists()
    person = get_user_model().objects.get(pk=person.pk)  # as a request loads her: frozen now
    assert review.entries_for(person).count() == 0  # she reads no trail while it lasts


def test_saving_partner_settings_under_duress_answers_as_an_outage_and_saves_nothing(world):
    _person, duress = emptied_client(world, "under duress")
    baseline, _steps = through_pages(make_supervisor(world.org, make_team(world.org, "team-c"), username="emptysup"))
    page = reverse("partners:settings")
    assert duress.get(page).status_code == baseline.get(page).status_code == 200  # the same form
    data = {"packets_need_approval": ""}  # unticked: packets leave without a supervisor's approval
    assert world.org.packets_need_approval
    response = duress.post(page, data)
    assert response.status_code == 503 and "Nothing was changed" in response.content.decode()
    world.org.refresh_from_db()
    assert world.org.packets_need_approval
    # The comparison can fail: the same form from an ordinary supervisor saves it.
    saved = baseline.post(page, data)
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    world.org.refresh_from_db()
    assert not world.org.packets_need_approval


def test_under_duress_her_password_and_recovery_codes_stay_as_they_were(world):
    person, duress = emptied_client(world, "under duress")
    codes_before = set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True))
    for current in (DURESS_PASSWORD, PASSWORD):  # whichever she is made to type: no "not right"
        data = {
            "old_password": current,
            "new_password1": "a captor's own phrase 1",
            "new_password2": "a captor's own phrase 1",
        }
        assert duress.post(reverse("accounts:password"), data).status_code == 503
    response = duress.post(reverse("accounts:recovery_codes"), {})
    assert response.status_code == 503
    # Nor may his phone take the place of hers: replacing the authenticator is a change too.
    devices = set(TOTPDevice.objects.filter(user=person).values_list("pk", "key"))
    secret = duress.get(reverse("accounts:enrol")).context["secret"].replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    data = {"current_code": code(person, 1), "code": f"{TOTP(key, step=30, t0=0, digits=6).token():06d}"}
    assert duress.post(reverse("accounts:enrol"), data).status_code == 503
    assert set(TOTPDevice.objects.filter(user=person).values_list("pk", "key")) == devices
    person = get_user_model().objects.get(pk=person.pk)
    assert person.check_password(PASSWORD) and not person.check_password("a captor's own phrase 1")
    assert set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True)) == codes_before


def test_what_protects_her_still_goes_through_while_emptied(world):
    person, _frozen = emptied_client(world, "frozen")
    protection.account_unfreeze(by=world.head, user=person, reason="She is back")
    protection.travel_start(by=person, user=person, until=timezone.localdate())
    phone, _steps = through_pages(person)
    laptop, _steps = through_pages(person)
    # The language, then ending her other sessions, then freezing: each as on any day.
    assert laptop.post(reverse("set_language"), {"language": "ko", "next": "/"}).status_code == 302
    assert laptop.post(reverse("accounts:sign_out_others"), {}).status_code == 302
    assert signed_out(phone) and not signed_out(laptop)
    assert laptop.post(reverse("accounts:freeze"), {"freeze-confirm": "on"}).status_code == 302
    assert guard(person).is_frozen and signed_out(laptop)
    assert not AuditEntry.objects.filter(event="account.change_refused", actor=person).exists()
