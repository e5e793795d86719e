"""Duplicate detection tells the writer nothing about cases she cannot see.

Played as the attacker would: the lead of a team A case, signed in through the real pages,
types another team's survivor's phone (or name and birth date) into her own case, or
opens a new case with it, and compares the answer with the one for a number nobody has.
Identity writes need a fresh second factor, and a burst of them is flagged.
"""

import copy
import datetime
import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from casework.audit import events, flags
from casework.audit.models import AuditEntry, FlagKind
from casework.cases.models import Case
from casework.identity import services
from casework.identity.models import DuplicateAlert, Identity
from tests.audit.test_flags import entry_at, local
from tests.identity.conftest import current_code, signed_in
from tests.identity.test_guard_oracle import SAVED_AT, without_choices

pytestmark = pytest.mark.django_db

BORN = datetime.date(1996, 4, 2)
THEIR_NAME, THEIR_PHONE = "최은별", "+86 138 0013 8000"
FRESH_NAME, FRESH_PHONE = "윤다솜", "+86 139 2468 1357"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
NOW = re.compile(r'value="\d{4}-\d\d-\d\dT\d\d:\d\d"')  # the quick contact form's current minute


@pytest.fixture
def theirs(world):
    """A client of team B, whom the lead of team A may not see."""
    values = {"legal_name": THEIR_NAME, "date_of_birth": BORN, "phones": [THEIR_PHONE]}
    services.identity_save(by=world.other_team_worker, case=world.other_case, values=values)
    return world.other_case


@pytest.fixture
def mine(world):
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": "정하늘"})
    return world.case


def observe(client, send, typed):
    """Everything the writer sees after ``send(client)``, with what she typed and the code
    of a case just opened replaced by placeholders; then all of it is undone."""
    cookies = copy.deepcopy(client.cookies)
    before = set(Case.objects.values_list("code", flat=True))
    with transaction.atomic():
        response = send(client)
        landing = client.get(response["Location"]) if response.status_code == 302 else None
        home = client.get(reverse("home"))
        new = [case for case in Case.objects.exclude(code__in=before)]

        def clean(text):
            text = SAVED_AT.sub("saved at …", NOW.sub('value="now"', CSRF.sub("csrf", text or "")))
            for case in new:
                text = text.replace(case.display_code, "NEW").replace(case.code, "NEW")
            return text.replace(typed, "TYPED")

        seen = {
            "status": response.status_code,
            "headers": {name: clean(value) for name, value in response.headers.items() if name != "Content-Length"},
            "body": clean(response.content.decode()),
            "landing": clean(landing and landing.content.decode()),
            "home": clean(home.content.decode()),
            "cases created": len(new),
        }
        transaction.set_rollback(True)
    client.cookies = cookies
    return seen


def edit(case, **values):
    identity = Identity.objects.get(case=case)
    url = reverse("cases:identity_edit", args=[case.display_code])
    return lambda client: client.post(url, {"version": identity.version, **values})


def intake(team, **identity):
    data = {"team": team.pk, "status": "open", "risk_level": "medium", "age_band": "unknown", "gender": "female"}
    data |= {"nationality": "KP", "region": "unknown", "intake_source": "other"}
    data |= {f"identity-{name}": value for name, value in identity.items()}
    return lambda client: client.post(reverse("cases:new"), data)


def test_her_own_case_answers_alike_for_another_team_s_phone_and_a_fresh_one(world, theirs, mine):
    lead = signed_in(world.lead)
    known = observe(lead, edit(mine, phones=THEIR_PHONE), THEIR_PHONE)
    fresh = observe(lead, edit(mine, phones=FRESH_PHONE), FRESH_PHONE)
    assert known == fresh
    assert known["status"] == 302
    for text in (known["landing"], known["home"]):
        assert theirs.display_code not in text and "duplicate" not in text.lower()


@pytest.mark.parametrize(
    ("known", "fresh"),
    [
        ({"phones": THEIR_PHONE}, {"phones": FRESH_PHONE}),
        ({"legal_name": THEIR_NAME, "date_of_birth": BORN.isoformat()}, {"legal_name": FRESH_NAME}),
    ],
    ids=["phone", "name and birth date"],
)
def test_intake_answers_alike_for_another_team_s_client_and_a_stranger(world, theirs, known, fresh):
    fresh = {"date_of_birth": BORN.isoformat(), **fresh} if "legal_name" in fresh else fresh
    lead = signed_in(world.lead)
    typed_known, typed_fresh = next(iter(known.values())), next(iter(fresh.values()))
    seen_known = observe(lead, intake(world.team_a, **known), typed_known)
    seen_fresh = observe(lead, intake(world.team_a, **fresh), typed_fresh)
    assert seen_known == seen_fresh
    assert (seen_known["status"], seen_known["cases created"]) == (302, 1)


def test_the_supervisors_get_the_alert_and_the_writer_nothing(client, world, theirs, mine, sign_in):
    lead = signed_in(world.lead)
    assert edit(mine, phones=THEIR_PHONE)(lead).status_code == 302
    alert = DuplicateAlert.objects.get()
    assert (alert.case, alert.other_case, alert.found_by) == (mine, theirs, world.lead)
    for supervisor in (world.supervisor, world.other_supervisor, world.head):
        sign_in(client, supervisor)
        home = client.get(reverse("home")).content.decode()
        assert mine.display_code in home and theirs.display_code in home, supervisor
    assert theirs.display_code not in lead.get(reverse("home")).content.decode()


def test_a_supervisor_typing_it_herself_is_not_told_either(client, world, theirs, mine, sign_in):
    writer = signed_in(world.supervisor)  # supervises team A: may reveal mine, may not see theirs
    assert edit(mine, phones=THEIR_PHONE)(writer).status_code == 302
    assert DuplicateAlert.objects.filter(found_by=world.supervisor).exists()
    pages = [reverse("home"), reverse("audit:trail"), reverse("audit:case", args=[mine.display_code])]
    for url in pages:
        page = without_choices(writer.get(url).content.decode())
        assert theirs.display_code not in page and "identity.duplicate" not in page, url
        assert str(events.IDENTITY_DUPLICATE.label) not in page, url
    sign_in(client, world.other_supervisor)
    assert mine.display_code in client.get(reverse("home")).content.decode()


def test_an_identity_edit_without_a_fresh_code_is_refused_then_accepted_with_one(client, world, mine, sign_in):
    sign_in(client, world.lead)  # signed in long enough ago that her code is not fresh
    url = reverse("cases:identity_edit", args=[mine.display_code])
    assert "one-time-code" in client.get(url).content.decode()
    version = Identity.objects.get(case=mine).version
    refused = client.post(url, {"version": version, "phones": FRESH_PHONE})
    assert refused.status_code == 400
    assert "needs a recent one" in refused.content.decode()
    assert Identity.objects.get(case=mine).read(["phones"])["phones"] == []
    entry = AuditEntry.objects.get(event="identity.change", outcome="denied")
    assert (entry.case_code, entry.additional_data) == (mine.code, {"fields": ["phones"]})
    accepted = client.post(url, {"version": version, "phones": FRESH_PHONE, "code": current_code(world.lead)})
    assert accepted.status_code == 302
    assert Identity.objects.get(case=mine).read(["phones"])["phones"] == [FRESH_PHONE]
    # Proved a moment ago: the next write asks for no code.
    assert "one-time-code" not in client.get(url).content.decode()


def test_a_wrong_code_is_refused(client, world, mine, sign_in):
    sign_in(client, world.lead)
    url = reverse("cases:identity_edit", args=[mine.display_code])
    version = Identity.objects.get(case=mine).version
    refused = client.post(url, {"version": version, "phones": FRESH_PHONE, "code": "000000"})
    assert refused.status_code == 400
    assert "not right" in refused.content.decode()
    assert Identity.objects.get(case=mine).read(["phones"])["phones"] == []


def test_intake_with_identity_needs_a_fresh_code_and_without_one_opens_nothing(client, world, sign_in):
    sign_in(client, world.lead)
    send = intake(world.team_a, legal_name=FRESH_NAME)
    before = Case.objects.count()
    refused = send(client)
    assert refused.status_code == 400
    assert Case.objects.count() == before
    entry = AuditEntry.objects.get(event="identity.change", outcome="denied")
    assert (entry.case_code, entry.additional_data) == ("", {"fields": ["legal_name"]})
    data = {"identity-code": current_code(world.lead)}
    accepted = client.post(reverse("cases:new"), {**refused.wsgi_request.POST.dict(), **data})
    assert accepted.status_code == 302
    assert Case.objects.count() == before + 1


def test_intake_without_identity_needs_no_code(client, world, sign_in):
    sign_in(client, world.lead)
    assert intake(world.team_a)(client).status_code == 302


def write_phones(client, case, count):
    url = reverse("cases:identity_edit", args=[case.display_code])
    for n in range(count):
        version = Identity.objects.get(case=case).version
        assert client.post(url, {"version": version, "phones": f"+86 139 0000 {n:04d}"}).status_code == 302


def test_a_burst_of_identity_writes_is_flagged_to_supervisors(client, world, mine, settings, sign_in):
    settings.AUDIT_FLAG_IDENTITY_WRITES_PER_HOUR = 4
    lead = signed_in(world.lead)
    write_phones(lead, mine, 4)  # (the fixture's write came from no request: no one's)
    sign_in(client, world.supervisor)
    assert "Many identity changes in one hour" not in client.get(reverse("audit:flags")).content.decode()
    write_phones(lead, mine, 1)
    page = client.get(reverse("audit:flags")).content.decode()
    assert "Many identity changes in one hour" in page and "5 identity changes" in page


def test_the_burst_window_slides_across_the_clock_hour(world, settings):
    settings.AUDIT_FLAG_IDENTITY_WRITES_PER_HOUR = 4
    for minute in (50, 55, 60, 65, 70):  # 10:50 to 11:10
        entry_at(local(1, 10) + timedelta(minutes=minute), event="identity.update", actor=world.lead)
    for minute in range(0, 125, 25):  # five writes, never five within an hour
        entry_at(local(2, 10) + timedelta(minutes=minute), event="identity.update", actor=world.coworker)
    found = [flag for flag in flags.flags_for(world.supervisor) if flag.kind == FlagKind.IDENTITY_WRITES_PER_HOUR]
    assert [(flag.actor_id, flag.count, flag.when) for flag in found] == [(world.lead.pk, 5, local(1, 10, 50))]
