"""The case page as a caseworker uses it on a phone, the case list's cards and filter, and the
referral fast path: what she needs at a glance, where a save lands, one form to refer and send."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from casework.audit.models import AuditEntry
from casework.cases.models import Case, Referral, ReferralStep
from casework.cases.services.referrals import (
    referral_consent_record,
    referral_create,
    referral_send_now,
    referral_transition,
)
from casework.cases.views.cases import CONTACTS_SHOWN
from casework.web import paging
from tests.cases.contract import FormContract, PageContract, snapshot
from tests.factories import make_case, make_contact, make_need, make_provider

TODAY = timezone.localdate()


def case_url(w):
    return reverse("cases:detail", args=[w.case.display_code])


def strip_of(page):
    """The at-a-glance strip, as (name, value) pairs in the order shown."""
    strip = re.search(r'<dl class="case-strip">(.*?)</dl>', page, re.S).group(1)
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", strip, re.S)
    return [(name, re.sub(r"<[^>]+>", "", value).strip()) for name, value in pairs]


def before(page, first, second):
    return page.index(first) < page.index(second)


# --- The case page ------------------------------------------------------------------------


def test_the_strip_says_status_risk_lead_follow_up_and_urgent_needs(client, world, sign_in):
    case = Case.objects.get(pk=world.case.pk)
    case.follow_up_on, case.risk_level = TODAY - timedelta(days=2), "high"
    case.save()
    make_need(world.case, world.lead, category="medical", urgency="urgent")
    make_need(world.case, world.lead, category="legal", urgency="urgent", status="met", closed_on=TODAY)
    make_need(world.case, world.lead, category="shelter", urgency="high")
    sign_in(client, world.lead)
    strip = dict(strip_of(client.get(case_url(world)).content.decode()))
    assert strip["Status"] == world.case.get_status_display()
    assert strip["Risk"] == "High"
    assert strip["Lead"] == "lead"
    assert strip["Next follow-up"].startswith("overdue since")
    assert strip["Urgent needs open"] == "1"  # met needs and high ones are not counted


def test_the_strip_of_a_case_without_lead_or_follow_up_says_so(client, world, sign_in):
    sign_in(client, world.other_supervisor)
    page = client.get(reverse("cases:detail", args=[world.other_case.display_code])).content.decode()
    strip = dict(strip_of(page))
    assert strip["Next follow-up"] == "None set" and strip["Urgent needs open"] == "0"


def test_the_three_actions_come_right_after_the_strip_and_before_the_profile(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.get(case_url(world)).content.decode()
    code = world.case.display_code
    actions = re.search(r'<nav class="case-do"[^>]*>(.*?)</nav>', page, re.S).group(1)
    assert 'href="#log-contact"' in actions  # the quick form on this page: no page load
    assert reverse("cases:need_new", args=[code]) in actions
    assert reverse("cases:referral_send", args=[code]) in actions
    assert before(page, 'class="case-strip"', 'class="case-do"')
    assert before(page, 'class="case-do"', 'id="profile-heading"')
    assert 'id="log-contact"' in page


def test_someone_who_may_only_view_gets_the_strip_without_the_actions(client, world, sign_in):
    sign_in(client, world.viewer)
    page = client.get(case_url(world)).content.decode()
    assert 'class="case-strip"' in page
    assert 'class="case-do"' not in page and 'id="log-contact"' not in page


def test_the_identity_button_says_what_it_does(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.get(case_url(world)).content.decode()
    assert "Reveal or change identity" in page and "Identity…" not in page


def test_a_logged_contact_lands_on_the_timeline_with_its_message_there(client, world, sign_in):
    sign_in(client, world.lead)
    data = {
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "channel": "phone",
        "purpose": "check_in",
        "notes": "Short call; all well.",
        "follow_up_on": (TODAY + timedelta(days=3)).isoformat(),
    }
    response = client.post(reverse("cases:contact_new", args=[world.case.display_code]), data)
    assert response["Location"] == case_url(world) + "#timeline"
    page = client.get(response["Location"].split("#")[0]).content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "Contact logged." in timeline  # in the landing place, right above the new contact
    assert before(timeline, "Contact logged.", "Timeline, newest first")
    assert page.count("Contact logged.") == 1  # and not at the top of the page as well
    assert "Contact logged." not in client.get(case_url(world)).content.decode()  # shown once


def test_a_message_from_elsewhere_still_shows_at_the_top(client, world, sign_in):
    sign_in(client, world.lead)
    version = Case.objects.get(pk=world.case.pk).version
    profile = {
        "version": version,
        "status": "active",
        "risk_level": "high",
        "age_band": "18-24",
        "gender": "female",
        "nationality": "KP",
        "intake_source": "hotline",
        "summary": "Referred by the hotline.",
    }
    page = client.post(reverse("cases:edit", args=[world.case.display_code]), profile, follow=True).content.decode()
    assert "Case saved." in page and before(page, "Case saved.", 'class="case-strip"')


def test_an_added_need_lands_on_the_needs_with_its_message(client, world, sign_in):
    sign_in(client, world.lead)
    data = {"category": "medical", "urgency": "high", "owner": world.lead.pk, "identified_on": TODAY.isoformat()}
    response = client.post(reverse("cases:need_new", args=[world.case.display_code]), data)
    assert response["Location"] == case_url(world) + "#needs"
    page = client.get(case_url(world)).content.decode()
    assert before(page, 'id="needs"', "Support need added.") and before(page, "Support need added.", 'id="referrals"')


# --- The case list ------------------------------------------------------------------------


def test_the_filters_fold_behind_one_control_that_counts_those_in_use(client, world, sign_in):
    sign_in(client, world.supervisor)
    url = reverse("cases:list")
    assert re.search(r"<summary>\s*Filter\s*</summary>", client.get(url).content.decode())
    page = client.get(url, {"status": "open", "risk": "high", "sort": "code"}).content.decode()
    assert re.search(r"<summary>\s*Filter \(2 in use\)\s*</summary>", page)  # the order is not a filter
    assert '<details class="filter-panel">' in page  # folded: the cases come first


def test_a_filter_to_correct_opens_the_panel(client, world, sign_in):
    sign_in(client, world.supervisor)
    page = client.get(reverse("cases:list"), {"risk": "extreme"}).content.decode()
    assert '<details class="filter-panel" open>' in page


def test_each_value_of_a_case_card_carries_its_name(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.get(reverse("cases:list")).content.decode()
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", page, re.S).group(1)
    cells = re.findall(r"<td([^>]*)>", row)
    assert cells and all("data-label=" in attributes for attributes in cells)
    assert re.search(r'<th scope="row"><a class="code"', row)  # the card's title is its case code


# --- Labels -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ko", "zh-hans"])
def test_no_label_ends_in_a_colon_in_any_language(client, world, sign_in, language):
    sign_in(client, world.lead)
    client.post(reverse("set_language"), {"language": language})
    code = world.case.display_code
    names = ("detail", "edit", "need_new", "referral_send", "journey_new")
    pages = [reverse(f"cases:{name}", args=[code]) for name in names]
    for url in [*pages, reverse("cases:new"), reverse("cases:list")]:
        page = client.get(url).content.decode()
        labels = re.findall(r"<label[^>]*>(.*?)</label>", page, re.S)
        assert labels, url
        ending = [label for label in labels if re.sub(r"<[^>]+>", "", label).strip().endswith((":", "："))]
        assert not ending, (url, ending)


# --- The referral fast path ---------------------------------------------------------------


def fast_path_data(w, **changes):
    return {
        "provider": w.provider.pk,
        "service_type": "medical",
        "needs": [w.need.pk],
        "urgency": "high",
        "next_step": "The clinic calls back within two days.",
        "data_shared": "Age band and the medical need.",
        "consent_given_by": "survivor",
        "consent_given_on": (TODAY - timedelta(days=1)).isoformat(),
        "consent_method": "written",
        "consent_scope": ["age_band", "needs"],
        "consent_recipient": "",
        "on": TODAY.isoformat(),
        **changes,
    }


def with_provider(w):
    if not hasattr(w, "provider"):
        w.provider = make_provider(w.org, name="Partner clinic")
        w.need = make_need(w.case, w.lead, category="medical")
    return w


class TestReferralFastPath(FormContract):
    # The three audited steps of the long path (draft and its needs, consent, sent) and the step
    # row, each service asking the door again, in one transaction; one more the first time a
    # step is written in the process (the content type of a step, then cached), as when this
    # test runs alone.
    max_queries = 53

    def url(self, w):
        with_provider(w)
        return reverse("cases:referral_send", args=[w.case.display_code])

    def valid_data(self, w):
        return fast_path_data(with_provider(w))

    def invalid_data(self, w):
        return fast_path_data(with_provider(w), consent_method="verbal_witnessed", consent_witness="")

    def assert_saved(self, w, response):
        referral = Referral.objects.get(case=w.case, provider=w.provider)
        assert (referral.status, referral.sent_on, referral.consent_recorded_by) == ("sent", TODAY, w.lead)
        assert referral.consent_recipient == "Partner clinic"  # left empty: the provider chosen
        assert list(referral.needs.all()) == [w.need]
        assert ReferralStep.objects.get(referral=referral).status == "sent"
        assert response["Location"] == case_url(w) + "#referrals"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"on": (TODAY - timedelta(days=3)).isoformat()}, "on", "cannot be sent before consent was given"),
        ({"on": (TODAY + timedelta(days=1)).isoformat()}, "on", "cannot be in the future"),
        ({"consent_expires_on": (TODAY - timedelta(days=2)).isoformat()}, "consent_expires_on", "day it was given"),
        ({"data_shared": ""}, "data_shared", "This field is required"),
        ({"provider": "", "external_provider": ""}, "provider", "Choose a provider"),
        ({"consent_scope": []}, "consent_scope", "This field is required"),
    ],
)
def test_the_fast_path_refuses_what_the_long_path_refuses(client, world, sign_in, changes, field, message):
    with_provider(world)
    sign_in(client, world.lead)
    saved = snapshot()
    response = client.post(
        reverse("cases:referral_send", args=[world.case.display_code]), fast_path_data(world, **changes)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page and message in page
    assert snapshot() == saved


def test_a_refusal_at_the_last_step_keeps_nothing_of_the_first_two(world):
    """The service's own check (sent before consent), past the form: the draft and its consent go too."""
    with_provider(world)
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        referral_send_now(
            by=world.lead,
            case=world.case,
            on=TODAY - timedelta(days=5),
            needs=[world.need],
            provider=world.provider,
            service_type="medical",
            urgency="normal",
            data_shared="Age band",
            consent_given_by="survivor",
            consent_given_on=TODAY - timedelta(days=1),
            consent_method="written",
            consent_scope=["age_band"],
            consent_recipient="Partner clinic",
        )
    assert not Referral.objects.filter(case=world.case).exists()
    assert AuditEntry.objects.count() == entries


def referral_actions(referral, since):
    entries = AuditEntry.objects.filter(pk__gt=since, object_pk=str(referral.pk), content_type__model="referral")
    return list(entries.order_by("pk").values_list("action", "actor_id"))


def test_the_fast_path_writes_the_same_trail_as_the_three_steps(client, world, sign_in):
    with_provider(world)
    since = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    data = fast_path_data(world)
    consent = {name: data[name] for name in data if name.startswith("consent_") and data[name]}
    consent.update(consent_recipient="Partner clinic", consent_given_on=TODAY - timedelta(days=1))
    stepwise = referral_create(
        by=world.lead, case=world.case, needs=[world.need], provider=world.provider, service_type="medical"
    )
    referral_consent_record(by=world.lead, referral=stepwise, version=stepwise.version, **consent)
    referral_transition(by=world.lead, referral=stepwise, to="sent", on=TODAY, version=stepwise.version)

    sign_in(client, world.lead)
    client.post(reverse("cases:referral_send", args=[world.case.display_code]), data)
    fast = Referral.objects.exclude(pk=stepwise.pk).get(case=world.case)
    fast_trail, stepwise_trail = referral_actions(fast, since), referral_actions(stepwise, since)
    assert [action for action, _ in fast_trail] == [action for action, _ in stepwise_trail]
    assert fast_trail[0][0] == AuditEntry.Action.CREATE
    assert {actor for _, actor in fast_trail} == {world.lead.pk}  # through the web: each entry names her
    page = client.get(case_url(world)).content.decode()
    referrals = page[page.index('id="referrals"') :]
    assert "Referral sent, and her consent recorded." in referrals


# --- A case worked for years --------------------------------------------------------------


def test_the_case_page_shows_the_newest_contacts_and_links_to_the_rest(client, world, sign_in):
    now = timezone.now()
    for hours in range(CONTACTS_SHOWN + 5):
        make_contact(world.case, world.lead, occurred_at=now - timedelta(hours=hours + 1))
    sign_in(client, world.lead)
    page = client.get(case_url(world)).content.decode()
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S).group(1)
    assert timeline.count("<li") == CONTACTS_SHOWN
    assert f'href="{reverse("cases:contact_list", args=[world.case.display_code])}"' in page
    everything = client.get(reverse("cases:contact_list", args=[world.case.display_code])).content.decode()
    assert re.search(r'<ol class="timeline">(.*?)</ol>', everything, re.S).group(1).count("<li") == CONTACTS_SHOWN + 5


def test_a_case_with_few_contacts_has_no_link_to_more(client, world, sign_in):
    make_contact(world.case, world.lead, occurred_at=timezone.now() - timedelta(hours=1))
    sign_in(client, world.lead)
    page = client.get(case_url(world)).content.decode()
    assert f'href="{reverse("cases:contact_list", args=[world.case.display_code])}"' not in page


class TestContactList(PageContract):
    def url(self, w):
        return reverse("cases:contact_list", args=[w.case.display_code])


def test_a_message_saved_on_one_case_never_shows_in_another_cases_panel(client, world, sign_in):
    """Two tabs: a need added on case A, then case B opened. B's needs panel must not say a
    need was added there; the message shows at the top of B, naming no case."""
    other = make_case(world.lead)
    sign_in(client, world.lead)
    data = {"category": "medical", "urgency": "high", "owner": world.lead.pk, "identified_on": TODAY.isoformat()}
    client.post(reverse("cases:need_new", args=[world.case.display_code]), data)
    page = client.get(reverse("cases:detail", args=[other.display_code])).content.decode()
    needs = page[page.index('id="needs"') : page.index('id="referrals"')]
    assert "Support need added." not in needs
    assert before(page, "Support need added.", 'class="case-strip"')


def test_contacts_at_the_same_moment_are_neither_skipped_nor_repeated_across_pages(client, world, sign_in):
    moment = timezone.now() - timedelta(hours=1)
    made = {str(make_contact(world.case, world.lead, occurred_at=moment).uid) for _ in range(60)}
    sign_in(client, world.lead)
    url = reverse("cases:contact_list", args=[world.case.display_code])
    seen = []
    for number in (1, 2):
        page = client.get(url, {"page": number}).content.decode()
        seen += re.findall(r"/contacts/([0-9a-f-]{36})/", page)
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize("number", ["999999999999999999999999999999", "100000", "201"])
def test_a_page_deeper_than_a_list_is_paged_gives_the_first_page(client, world, sign_in, number, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 2)  # the list counts as long: its depth is unknown
    for hours in range(4):
        make_contact(world.case, world.lead, occurred_at=timezone.now() - timedelta(hours=hours + 1))
    sign_in(client, world.lead)
    response = client.get(reverse("cases:contact_list", args=[world.case.display_code]), {"page": number})
    assert response.status_code == 200
    assert response.context["page"].number == 1
