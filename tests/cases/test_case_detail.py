import logging
import re

from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.cases import codes
from casework.cases.views.cases import CONTACTS_SHOWN
from tests.factories import make_contact, make_journey_step, make_need, make_referral


def without_csrf_token(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def url(case_or_code):
    code = case_or_code if isinstance(case_or_code, str) else case_or_code.display_code
    return reverse("cases:detail", args=[code])


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(url(world.case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_outsider_gets_the_same_404_as_for_a_case_that_does_not_exist(client, world, sign_in):
    sign_in(client, world.outsider)
    hidden = client.get(url(world.case))
    missing = client.get(url(codes.display(codes.generate())))
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf_token(hidden) == without_csrf_token(missing)


def test_the_lead_sees_profile_needs_referrals_and_contacts(client, world, sign_in):
    make_need(world.case, world.lead, category="medical")
    make_referral(world.case, world.lead, service_type="legal")
    make_contact(world.case, world.lead, channel="secure_messenger")
    sign_in(client, world.lead)
    response = client.get(url(world.case))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<title>Case {world.case.display_code} · casework</title>" in page
    for text in ("Medical", "Legal", "Secure messenger", world.case.summary):
        assert text in page


def test_it_finds_the_case_whatever_way_the_code_is_typed(client, world, sign_in):
    sign_in(client, world.lead)
    typed = world.case.display_code.lower().replace("-", " ")
    assert client.get(url(typed)).status_code == 200


def test_a_view_is_audited(client, world, sign_in):
    sign_in(client, world.viewer)
    client.get(url(world.case))
    entry = AuditEntry.objects.filter(event="case.view").latest("pk")
    assert (entry.actor, entry.case_code, entry.outcome) == (world.viewer, world.case.code, "ok")
    assert entry.organisation == world.org


def test_a_denial_is_audited_without_what_was_typed(client, world, sign_in):
    sign_in(client, world.outsider)
    client.get(url(world.case))
    client.get("/cases/KIM-YOUNG-HEE/")
    denied = list(AuditEntry.objects.filter(outcome="denied").order_by("pk"))
    assert [(e.actor, e.case_code) for e in denied] == [(world.outsider, world.case.code), (world.outsider, "")]
    assert not AuditEntry.objects.filter(object_repr__icontains="KIM").exists()


def test_its_query_count_does_not_grow_with_the_records(client, world, django_assert_max_num_queries, sign_in):
    sign_in(client, world.lead)
    make_need(world.case, world.lead)
    make_contact(world.case, world.lead)
    make_referral(world.case, world.lead)
    make_journey_step(world.case, world.lead)
    # The case and what she may do on it are one query (restrict with with_actions), not four;
    # the journey with who recorded each step is one.
    with django_assert_max_num_queries(17) as small:
        client.get(url(world.case))
    for days_ago in range(25):
        make_need(world.case, world.lead)
        make_contact(world.case, world.lead)
        make_referral(world.case, world.lead)
        make_journey_step(world.case, world.coworker, days_ago=days_ago)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url(world.case))
    assert sum(len(column["needs"]) for column in response.context["need_board"]) == 26
    assert len(response.context["contacts"]) == CONTACTS_SHOWN  # the newest; the rest on the contacts page
    assert len(response.context["journey"]) == 26


def test_a_mistyped_url_never_reaches_the_log(client, world, sign_in):
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(handler.format(record))
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        sign_in(client, world.lead)
        response = client.get("/cases/KIMYOUNGHEE-CANARY/contacts/PHONE-CANARY/")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    assert records, "the 404 should still be logged, without its path"
    assert not any("CANARY" in line for line in records)
