"""What every case-scoped view must do, written once (after NetBox's ViewTestCases).

Subclass ``PageContract`` for a page that only shows, ``FormContract`` for a page that
writes; set the attributes and write ``url`` (and ``valid_data`` / ``invalid_data`` /
``assert_saved`` for forms). Pytest collects the inherited tests for each subclass:

- anonymous → login; outsider, another organisation, another team and the admin → 404,
  and nothing changes;
- for forms: visible but not allowed → 403, nothing changes; bad input → 400 with the
  message next to the field, nothing changes; allowed → the redirect and the change;
- the query count stays flat from 3 to 30 related records on the case.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.cases.models import (
    Case,
    CaseAssignment,
    Contact,
    JourneyStep,
    Referral,
    ReferralStep,
    ServiceProvider,
    SupportNeed,
)
from tests.factories import make_contact, make_need, make_provider, make_referral
from tests.personas import STRANGERS

WATCHED = (Case, CaseAssignment, SupportNeed, Referral, ReferralStep, Contact, JourneyStep, ServiceProvider)


def snapshot():
    """Every row of every case model: equal before and after means nothing changed."""
    rows = [list(model.objects.order_by("pk").values()) for model in WATCHED]
    rows.append(sorted(Referral.needs.through.objects.values_list("referral_id", "supportneed_id")))
    return rows


def grow(case, by, count):
    """Give ``case`` ``count`` needs, contacts and referrals (with providers and linked needs)."""
    for _ in range(count):
        need = make_need(case, by)
        make_contact(case, by)
        referral = make_referral(case, by, provider=make_provider(case.organisation))
        referral.needs.add(need)


class PageContract:
    method = "get"
    allowed = "lead"
    max_queries = 22

    def url(self, w):
        raise NotImplementedError

    def data(self, w):
        return {}

    def send(self, client, url, data):
        return getattr(client, self.method)(url, data)

    def test_anonymous_is_sent_to_login(self, client, world):
        response = self.send(client, self.url(world), self.data(world))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_strangers_get_404_and_change_nothing(self, client, world, sign_in):
        url, data = self.url(world), self.data(world)
        before = snapshot()
        for persona in STRANGERS:
            sign_in(client, getattr(world, persona))
            assert self.send(client, url, data).status_code == 404, persona
        assert snapshot() == before

    def test_the_allowed_person_gets_the_page(self, client, world, sign_in):
        sign_in(client, getattr(world, self.allowed))
        response = client.get(self.url(world))
        assert response.status_code == 200
        assert world.case.display_code in response.content.decode()

    def test_queries_stay_flat_as_the_case_grows(self, client, world, sign_in):
        sign_in(client, getattr(world, self.allowed))
        url = self.url(world)
        counts = []
        for size in (3, 27):
            grow(world.case, world.lead, size)
            with CaptureQueriesContext(connection) as queries:
                response = self.send(client, url, self.data(world))
            assert response.status_code in (200, 302), response.status_code
            counts.append(len(queries))
        assert counts[1] <= counts[0] <= self.max_queries, counts


class FormContract(PageContract):
    """A page with a form that writes. ``forbidden`` sees the case but may not do this."""

    method = "post"
    forbidden = "viewer"

    def data(self, w):
        return self.valid_data(w)

    def valid_data(self, w):
        raise NotImplementedError

    def invalid_data(self, w):
        raise NotImplementedError

    def assert_saved(self, w, response):
        raise NotImplementedError

    def test_visible_but_not_allowed_is_403_and_changes_nothing(self, client, world, sign_in):
        url, data = self.url(world), self.valid_data(world)
        before = snapshot()
        sign_in(client, getattr(world, self.forbidden))
        assert client.get(url).status_code in (403, 405)
        assert client.post(url, data).status_code == 403
        assert snapshot() == before

    def test_bad_input_gets_a_message_and_changes_nothing(self, client, world, sign_in):
        url, data = self.url(world), self.invalid_data(world)
        before = snapshot()
        sign_in(client, getattr(world, self.allowed))
        response = client.post(url, data)
        assert response.status_code == 400
        assert 'class="error-summary"' in response.content.decode()
        assert snapshot() == before

    def test_the_allowed_person_saves(self, client, world, sign_in):
        url, data = self.url(world), self.valid_data(world)
        sign_in(client, getattr(world, self.allowed))
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        self.assert_saved(world, response)

    def test_queries_stay_flat_as_the_case_grows(self, client, world, sign_in):
        """The form page, a rejected post and, at the larger size, a saving post."""
        sign_in(client, getattr(world, self.allowed))
        url = self.url(world)
        counts = []
        for size in (3, 27):
            grow(world.case, world.lead, size)
            for send in (lambda: client.get(url), lambda: client.post(url, self.invalid_data(world))):
                with CaptureQueriesContext(connection) as queries:
                    response = send()
                assert response.status_code in (200, 400, 405), response.status_code
                counts.append(len(queries))
        assert all(large <= small for small, large in zip(counts[:2], counts[2:], strict=True)), counts
        assert max(counts) <= self.max_queries, counts
        with CaptureQueriesContext(connection) as queries:
            assert client.post(url, self.valid_data(world)).status_code == 302
        assert len(queries) <= self.max_queries, len(queries)
