"""Freeze, travel mode, the duress password and a lost phone, through the real sign-in pages.

What is promised: a frozen, travelling or duress-signed-in caseworker reaches nothing of a
case (every case URL answers as for a case she never had), `/` and `/cases/` look like an
empty account's, the pages a duress sign-in shows are those of any empty account, and only
her supervisors hear of any of it.
"""

import base64
import datetime
import re
import time
import uuid

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.models import Membership
from casework.accounts import protection
from casework.accounts.models import AccountGuard, LoginSession
from casework.audit import flags, review
from casework.audit.models import AuditEntry, FlagKind
from casework.cases import codes
from casework.identity import services as identity_services
from tests.factories import (
    PASSWORD,
    make_caseworker,
    make_contact,
    make_journey_step,
    make_need,
    make_referral,
    make_supervisor,
    make_team,
)
from tests.identity.conftest import VALUES
from tests.reports.conftest import page_tables, report_url, seed

DURESS_PASSWORD = "a grey heron waits by the ford"
REASON = "Phone taken at a checkpoint"


# Signing in through the pages -----------------------------------------------------------------


def code(user, steps_ahead=0):
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def _authenticator_ready(user):
    """Her authenticator, ready for the current code (a test signs in several times a minute;
    django-otp would refuse a time step it has seen)."""
    device, _made = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "authenticator"})
    device.last_t = -1
    device.throttling_failure_count = 0
    device.save()
    return device


def password_step(client, user, password=PASSWORD):
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def through_pages(user, password=PASSWORD, client=None):
    """A client signed in the way a person signs in: password, then a code. Returns the
    client and the responses of the two steps."""
    client = client or Client()
    _authenticator_ready(user)
    first = password_step(client, user, password)
    assert first.url == reverse("accounts:verify")
    second = client.post(reverse("accounts:verify"), {"code": code(user)})
    assert second.status_code == 302
    return client, (first, second)


def signed_out(client):
    response = client.get(reverse("home"))
    return response.status_code == 302 and response.url.startswith(reverse("login"))


# Every case URL ---------------------------------------------------------------------------------


def case_urls(case, records):
    """Every page of the case: each URL of the cases namespace that names a case, and for
    those that name a record too, a record of the case (or an id of none)."""
    _prefix, resolver = get_resolver().namespace_dict["cases"]
    urls = set()
    for name in resolver.reverse_dict:
        if not isinstance(name, str):
            continue
        for possibilities, *_rest in resolver.reverse_dict.getlist(name):
            for _result, params in possibilities:
                if params == ["code"]:
                    urls.add(reverse(f"cases:{name}", kwargs={"code": case.display_code}))
                elif params == ["code", "uid"]:
                    uid = next((str(r.uid) for prefix, r in records.items() if name.startswith(prefix)), None)
                    uid = uid or str(uuid.uuid4())
                    urls.add(reverse(f"cases:{name}", kwargs={"code": case.display_code, "uid": uid}))
    return sorted(urls)


def unused_code():
    code_ = codes.generate()
    return codes.display(code_)


def as_if_missing(url, case):
    return url.replace(case.display_code, unused_code())


@pytest.fixture
def records(world):
    return {
        "contact": make_contact(world.case, world.lead),
        "need": make_need(world.case, world.lead),
        "referral": make_referral(world.case, world.lead),
        "journey": make_journey_step(world.case, world.lead),
    }


def answers_as_for_no_case(client, case, records):
    """Each case URL answers her exactly as the same URL with a code of no case."""
    differing = []
    for url in case_urls(case, records):
        real, missing = client.get(url), client.get(as_if_missing(url, case))
        if real.status_code != missing.status_code or real.status_code not in (404, 405):
            differing.append((url, real.status_code, missing.status_code))
    return differing


def shows_no_case(client, *cases):
    pages = [client.get(reverse("home")), client.get(reverse("cases:list"))]
    assert all(page.status_code == 200 for page in pages)
    text = b"".join(page.content for page in pages).decode()
    return not any(case.display_code in text or case.code in text for case in cases)


def person_safety(client, person, act, **data):
    fields = {f"{act}-{name}": value for name, value in data.items()}
    return client.post(reverse("accounts:person_safety", args=[person.username]), {"act": act, **fields})


def guard(user):
    return AccountGuard.objects.filter(user=user).first()


# Freeze -------------------------------------------------------------------------------------------


def test_a_supervisors_freeze_signs_her_out_everywhere_and_hides_every_case(world, records):
    lead, _steps = through_pages(world.lead)
    assert lead.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 200
    assert answers_as_for_no_case(lead, world.case, records)  # the check can fail: she sees her case
    supervisor, _steps = through_pages(world.supervisor)
    response = person_safety(supervisor, world.lead, "freeze", confirm="on", reason=REASON)
    assert response.status_code == 302
    assert signed_out(lead)
    assert not LoginSession.objects.filter(user=world.lead).exists()
    # She can still sign in: to an empty workspace, whose every case URL is a case she never had.
    again, _steps = through_pages(world.lead)
    assert answers_as_for_no_case(again, world.case, records) == []
    assert shows_no_case(again, world.case)
    entry = AuditEntry.objects.get(event="account.freeze")
    assert (entry.actor, entry.object_pk, entry.reason) == (world.supervisor, str(world.lead.pk), REASON)
    # Frozen accounts are on her supervisors' home page.
    home = supervisor.get(reverse("home")).content.decode()
    assert reverse("accounts:person_safety", args=["lead"]) in home


def test_an_unconfirmed_freeze_changes_nothing(world):
    supervisor, _steps = through_pages(world.supervisor)
    assert person_safety(supervisor, world.lead, "freeze", reason=REASON).status_code == 400
    assert guard(world.lead) is None
    own, _steps = through_pages(world.lead)
    assert own.post(reverse("accounts:freeze"), {}).status_code == 400
    assert guard(world.lead) is None and not signed_out(own)


def test_she_freezes_her_account_from_any_of_her_sessions(world, records):
    phone, _steps = through_pages(world.lead)
    laptop, _steps = through_pages(world.lead)
    response = laptop.post(reverse("accounts:freeze"), {"freeze-confirm": "on"})
    assert response.status_code == 302 and response["Clear-Site-Data"]
    assert signed_out(phone) and signed_out(laptop)
    assert guard(world.lead).is_frozen
    again, _steps = through_pages(world.lead)
    assert answers_as_for_no_case(again, world.case, records) == []
    # Only a supervisor unfreezes, never she herself.
    page = reverse("accounts:person_safety", args=["lead"])
    assert again.get(page).status_code == 404
    # What she sends while frozen is refused before any page reads it (as an outage would be).
    assert again.post(page, {"act": "unfreeze", "unfreeze-code": code(world.lead, 1)}).status_code == 503
    assert guard(world.lead).is_frozen


def test_unfreezing_needs_a_supervisors_fresh_code_and_a_reason(world, records):
    protection.account_freeze(by=world.supervisor, user=world.lead)
    supervisor, _steps = through_pages(world.supervisor)  # her sign-in spent the current code

    def refused(**data):
        response = person_safety(supervisor, world.lead, "unfreeze", **data)
        TOTPDevice.objects.get(user=world.supervisor).throttle_reset()
        return response.status_code == 400 and guard(world.lead).is_frozen

    assert refused(reason="She is safe")  # no code: the form refuses it before any check
    assert refused(code="000000", reason="She is safe")  # a wrong one
    assert refused(code=code(world.supervisor), reason="She is safe")  # the code she already used
    assert refused(code=code(world.supervisor, 1))  # no reason
    assert AuditEntry.objects.filter(event="account.unfreeze", outcome="denied").count() == 2
    response = person_safety(supervisor, world.lead, "unfreeze", code=code(world.supervisor, 1), reason="She is safe")
    assert response.status_code == 302
    assert not guard(world.lead).is_frozen
    lead, _steps = through_pages(world.lead)
    assert lead.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 200


def test_a_supervisor_of_another_team_cannot_touch_her_account(world):
    other, _steps = through_pages(world.other_supervisor)
    assert person_safety(other, world.lead, "freeze", confirm="on").status_code == 404
    assert other.get(reverse("accounts:person_safety", args=["lead"])).status_code == 404
    admin, _steps = through_pages(world.admin)
    assert person_safety(admin, world.lead, "freeze", confirm="on").status_code == 404
    assert guard(world.lead) is None


# Travel mode ----------------------------------------------------------------------------------------


def test_travel_mode_empties_her_workspace_until_its_last_day(world, records):
    lead, _steps = through_pages(world.lead)
    until = timezone.localdate() + datetime.timedelta(days=3)
    response = lead.post(reverse("accounts:travel"), {"travel-until": until.isoformat()})
    assert response.status_code == 302
    assert not signed_out(lead)  # her session goes on, emptied
    assert answers_as_for_no_case(lead, world.case, records) == []
    assert shows_no_case(lead, world.case)
    # Signing in works, to the same empty workspace.
    again, _steps = through_pages(world.lead)
    assert shows_no_case(again, world.case)
    # She cannot shorten it, nor end it.
    lead.post(reverse("accounts:travel"), {"travel-until": timezone.localdate().isoformat()})
    assert guard(world.lead).travel_until == until
    assert lead.get(reverse("accounts:person_safety", args=["lead"])).status_code == 404
    # Its last day is still travel; the day after, it is over by itself.
    row = guard(world.lead)
    row.travel_until = timezone.localdate()
    row.save()
    assert answers_as_for_no_case(lead, world.case, records) == []
    row.travel_until = timezone.localdate() - datetime.timedelta(days=1)
    row.save()
    # A session used while it lasted ends with it (whoever took her laptop at the border may
    # still hold it); signed in again, she sees her cases.
    assert signed_out(lead)
    lead, _steps = through_pages(world.lead)
    assert lead.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 200
    assert not shows_no_case(lead, world.case)
    ended = AuditEntry.objects.filter(event="account.session_ended", actor=world.lead)
    assert ended.exists() and not review.entries_for(world.admin).filter(event="account.session_ended").exists()


def test_only_a_supervisor_ends_travel_mode_early_and_with_a_reason(world):
    protection.travel_start(by=world.lead, user=world.lead, until=timezone.localdate() + datetime.timedelta(days=10))
    lead, _steps = through_pages(world.lead)
    assert lead.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 404
    supervisor, _steps = through_pages(world.supervisor)
    assert person_safety(supervisor, world.lead, "travel_end").status_code == 400
    assert guard(world.lead).is_travelling()
    assert person_safety(supervisor, world.lead, "travel_end", reason="Back early").status_code == 302
    assert not guard(world.lead).is_travelling()
    # The session opened in travel mode ends with it (whoever made her sign in may hold it);
    # she signs in again and sees her cases.
    assert signed_out(lead)
    lead, _steps = through_pages(world.lead)
    assert lead.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 200
    travel = AuditEntry.objects.filter(event__startswith="account.travel").order_by("seq")
    assert list(travel.values_list("event", flat=True)) == [
        "account.travel",
        "account.travel_end",
    ]


@pytest.mark.parametrize("days", [-1, protection.TRAVEL_DAYS_AT_MOST + 1])
def test_a_day_in_the_past_or_too_far_ahead_is_refused_and_changes_nothing(world, days):
    lead, _steps = through_pages(world.lead)
    until = timezone.localdate() + datetime.timedelta(days=days)
    response = lead.post(reverse("accounts:travel"), {"travel-until": until.isoformat()})
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert guard(world.lead) is None
    assert lead.post(reverse("accounts:travel"), {"travel-until": "not a day"}).status_code == 400
    assert guard(world.lead) is None


# Duress --------------------------------------------------------------------------------------------


def set_duress_password(client, password=DURESS_PASSWORD, current=PASSWORD, again=None):
    data = {
        "duress-current_password": current,
        "duress-password1": password,
        "duress-password2": again if again is not None else password,
    }
    return client.post(reverse("accounts:duress_password"), data)


def test_a_duress_password_needs_her_password_is_validated_and_is_kept_hashed(world):
    lead, _steps = through_pages(world.lead)
    for refused in (
        set_duress_password(lead, current="not her password at all"),
        set_duress_password(lead, password=PASSWORD),  # her real one
        set_duress_password(lead, password="short"),
        set_duress_password(lead, again="another grey heron"),
    ):
        assert refused.status_code == 400 and "error-summary" in refused.content.decode()
    assert guard(world.lead) is None
    assert set_duress_password(lead).status_code == 302
    stored = guard(world.lead).duress_password
    assert stored and DURESS_PASSWORD not in stored and MD5PasswordHasher().verify(DURESS_PASSWORD, stored)
    # The duress password never changes her password, nor becomes it.
    data = {"old_password": DURESS_PASSWORD, "new_password1": "x" * 20 + "yz", "new_password2": "x" * 20 + "yz"}
    assert lead.post(reverse("accounts:password"), data).status_code == 400
    data = {"old_password": PASSWORD, "new_password1": DURESS_PASSWORD, "new_password2": DURESS_PASSWORD}
    assert lead.post(reverse("accounts:password"), data).status_code == 400
    assert User.objects.get(pk=world.lead.pk).check_password(PASSWORD)


def test_every_sign_in_checks_both_hashes_whatever_matches(world, monkeypatch):
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    checked = []
    real_verify = MD5PasswordHasher.verify

    def verify(self, password, encoded):
        checked.append(encoded)
        return real_verify(self, password, encoded)

    monkeypatch.setattr(MD5PasswordHasher, "verify", verify)
    for user, password in (
        (world.lead, PASSWORD),
        (world.lead, DURESS_PASSWORD),
        (world.lead, "a wrong password entirely"),
        (world.coworker, PASSWORD),  # no duress password: a decoy is checked
        (world.coworker, "a wrong password entirely"),
    ):
        checked.clear()
        Client().post(reverse("login"), {"username": user.username, "password": password})
        assert len(checked) == 2, (user.username, password)


# What a page shows that differs from person to person, and nothing else.
_PER_REQUEST = [
    (re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"'), b'name="csrfmiddlewaretoken" value=""'),
    (re.compile(rb'(<a class="whoami" [^>]*>)[^<]*(</a>)'), rb"\1NAME\2"),
]
PER_REQUEST_HEADERS = {"Content-Length"}


def normalised(response):
    content = response.content
    for pattern, replacement in _PER_REQUEST:
        content = pattern.sub(replacement, content)
    return content


def same_shape(one, other):
    assert one.status_code == other.status_code
    assert normalised(one) == normalised(other)
    assert {name: value for name, value in one.headers.items() if name not in PER_REQUEST_HEADERS} == {
        name: value for name, value in other.headers.items() if name not in PER_REQUEST_HEADERS
    }
    assert sorted(one.cookies) == sorted(other.cookies)


def test_a_duress_sign_in_looks_exactly_like_an_empty_account(world, records):
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    other_session, _steps = through_pages(world.lead)
    # The baseline: a caseworker of the same team with no case at all.
    empty = make_caseworker(world.org, world.team_a, username="emptyacc")
    baseline, baseline_steps = through_pages(empty)
    duress, duress_steps = through_pages(world.lead, password=DURESS_PASSWORD)
    for theirs, hers in zip(baseline_steps, duress_steps, strict=True):
        assert (theirs.status_code, theirs.url) == (hers.status_code, hers.url)
        assert sorted(theirs.cookies) == sorted(hers.cookies)
    for name in ("home", "cases:list", "accounts:security", "accounts:safety"):
        same_shape(duress.get(reverse(name)), baseline.get(reverse(name)))
    assert answers_as_for_no_case(duress, world.case, records) == []
    # Her other session is over; the account is frozen underneath.
    assert signed_out(other_session)
    assert guard(world.lead).is_frozen and guard(world.lead).duress_at
    # Her supervisors hear of it (their home page and their trail); administrators do not.
    supervisor, _steps = through_pages(world.supervisor)
    home = supervisor.get(reverse("home")).content.decode()
    assert "duress sign-in" in home and reverse("accounts:person_safety", args=["lead"]) in home
    assert review.entries_for(world.supervisor).filter(event="account.duress").exists()
    assert not review.entries_for(world.admin).filter(event="account.duress").exists()
    raised = [f.actor_name for f in flags.flags_for(world.supervisor) if f.kind == FlagKind.DURESS_SIGN_IN]
    assert raised == ["lead"]
    assert not [f for f in flags.flags_for(world.admin) if f.kind == FlagKind.DURESS_SIGN_IN]
    assert "lead" in supervisor.get(reverse("audit:flags")).content.decode()
    # Her own trail is closed to her while it lasts (a supervisor's would be): nothing to read there.
    assert duress.get(reverse("audit:trail")).status_code == 404


def test_a_supervisors_duress_sign_in_looks_like_a_supervisor_of_an_empty_team(world, records):
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    empty = make_supervisor(world.org, make_team(world.org, "team-c"), username="emptysup")
    baseline, _steps = through_pages(empty)
    duress, _steps = through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    for name in ("home", "cases:list", "accounts:security", "accounts:safety"):
        same_shape(duress.get(reverse(name)), baseline.get(reverse(name)))
    assert answers_as_for_no_case(duress, world.other_case, records) == []


def test_a_frozen_supervisor_reviews_nothing_and_confirms_nothing(world):
    before, _steps = through_pages(world.supervisor)
    pages = ("audit:trail", "audit:flags", "access:confirmations", "reports:report", "partners:inbox", "cases:new")
    assert [before.get(reverse(name)).status_code for name in pages] == [200] * len(pages)
    seed(world, lead=world.lead, cases=7)  # her team's cases in the last ended quarter: shown before the freeze
    assert any(
        v is not None
        for t in page_tables(before.get(report_url()).content.decode()).values()
        for r in t["grid"]
        for v in r
    )
    lead, _steps = through_pages(world.lead)
    assert lead.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 200
    trail = f"{reverse('audit:trail')}?list=1"
    assert world.case.display_code in before.get(trail).content.decode()
    assert before.get(reverse("audit:export")).content.decode().count("\n") > 1
    protection.account_freeze(by=world.head, user=world.supervisor)
    supervisor, _steps = through_pages(world.supervisor)
    # Her pages open as on any day (test_account_protection_shape), with nothing in them.
    for name in ("audit:trail", "audit:flags", "access:confirmations", "partners:inbox"):
        assert supervisor.get(reverse(name)).status_code == 200, name
    assert world.case.display_code not in supervisor.get(trail).content.decode()
    assert supervisor.get(reverse("audit:export")).content.decode().count("\n") == 1  # the header row alone
    assert supervisor.get(reverse("audit:flags")).context["flags"] == []
    assert len(supervisor.get(reverse("access:confirmations")).context["pending"]) == 0
    # The intake form shows as on any day; sending it writes nothing (test_account_protection_intake).
    assert supervisor.get(reverse("cases:new")).status_code == 200
    # The report opens as on any day and counts nothing: every count reads "fewer than 5".
    tables = page_tables(supervisor.get(report_url()).content.decode())
    assert tables and all(value is None for table in tables.values() for row in table["grid"] for value in row)
    assert review.reviewer(world.supervisor) is None
    assert shows_no_case(supervisor, world.case)


# Lost phone -----------------------------------------------------------------------------------------


def vouch(client, username, code_):
    data = {"met": "on", "reason": "Met her at the office", "code": code_}
    return client.post(reverse("access:vouch", args=[username]), data)


def enrol_new_phone(user):
    """She signs in with her password and sets up a new authenticator, as on a new phone."""
    client = Client()
    password_step(client, user)
    assert client.get(reverse("accounts:verify")).url == reverse("accounts:enrol")
    secret = client.get(reverse("accounts:enrol")).context["secret"].replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    token = f"{TOTP(key, step=30, t0=0, digits=6).token():06d}"
    assert client.post(reverse("accounts:enrol"), {"code": token}).status_code == 200
    return client


@pytest.mark.parametrize("reported_by", ["herself", "her supervisor"])
def test_a_lost_phone_ends_every_session_and_needs_a_new_vouch(world, reported_by):
    lead, _steps = through_pages(world.lead)
    laptop, _steps = through_pages(world.lead)
    if reported_by == "herself":
        response = laptop.post(reverse("accounts:device_lost"), {"lost-confirm": "on"})
    else:
        supervisor, _steps = through_pages(world.supervisor)
        response = person_safety(supervisor, world.lead, "lost", confirm="on", reason="Lost on the bus")
    assert response.status_code == 302
    assert signed_out(lead) and signed_out(laptop)
    assert not TOTPDevice.objects.filter(user=world.lead).exists()
    assert not StaticDevice.objects.filter(user=world.lead).exists()
    assert not Membership.objects.get(user=world.lead).is_vouched
    client = enrol_new_phone(world.lead)
    assert client.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 404
    supervisor, _steps = through_pages(world.supervisor)
    assert vouch(supervisor, "lead", code(world.supervisor, 1)).status_code == 302
    assert client.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 200
    assert AuditEntry.objects.filter(event="account.device_lost").count() == 1


# The evidence ---------------------------------------------------------------------------------------


def test_the_trail_verifies_and_holds_no_identity_after_every_act(world):
    identity_services.identity_save(by=world.lead, case=world.case, values=VALUES)
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    through_pages(world.lead, password=DURESS_PASSWORD)
    supervisor, _steps = through_pages(world.supervisor)
    person_safety(supervisor, world.lead, "unfreeze", code=code(world.supervisor, 1), reason="She is safe")
    person_safety(supervisor, world.lead, "travel", until=timezone.localdate().isoformat(), reason="Border")
    person_safety(supervisor, world.lead, "travel_end", reason="Back early")
    person_safety(supervisor, world.lead, "freeze", confirm="on", reason="Phone taken")
    person_safety(supervisor, world.lead, "lost", confirm="on", reason="Phone taken")
    acts = set(AuditEntry.objects.filter(event__startswith="account.").values_list("event", flat=True))
    assert acts == {
        "account.duress_password",
        "account.duress",
        "account.unfreeze",
        "account.travel",
        "account.travel_end",
        "account.freeze",
        "account.device_lost",
    }
    call_command("audit_verify")  # exits non-zero, naming the entry, if the chain does not hold
    entries = AuditEntry.objects.filter(event__startswith="account.")
    text = " ".join(f"{e.reason} {e.additional_data} {e.object_repr} {e.changes}" for e in entries)
    canaries = [VALUES["legal_name"], *VALUES["other_names"], *VALUES["phones"], VALUES["last_location"]]
    assert not [value for value in canaries if value in text]
    assert DURESS_PASSWORD not in text
