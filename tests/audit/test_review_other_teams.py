"""A supervisor reviews what her people do everywhere, but a case of another team keeps its
reasons to that team: on her trail she sees that the act happened, not why or for what."""

import csv
import io

from django.urls import reverse

from casework.audit import events
from casework.identity import services as identity
from tests.identity.test_guard_oracle import without_choices

# Distinctive words: any of them on a page of the other team's supervisor is a leak.
OUTSIDE_REASON = "Canary reason 5521: her brother called from Yanji"
OUTSIDE_PURPOSE = "canary-purpose-5521"
INSIDE_REASON = "Arranging the shelter transfer 7734"


def reveals(world):
    """The revealer (team B) reveals a team A case under her grant; a team B lead reveals her own."""
    outside = dict(by=world.revealer, case=world.case, fields=["legal_name"])
    identity.identity_reveal(**outside, purpose=OUTSIDE_PURPOSE, reason=OUTSIDE_REASON)
    inside = dict(by=world.other_team_worker, case=world.other_case, fields=["phones"])
    identity.identity_reveal(**inside, purpose="contact", reason=INSIDE_REASON)


def csv_text(response):
    assert response.status_code == 200
    return "\n".join(",".join(row) for row in csv.reader(io.StringIO(response.content.decode())))


def test_her_trail_shows_the_act_on_another_teams_case_without_its_reason_or_purpose(client, world, sign_in):
    reveals(world)
    sign_in(client, world.other_supervisor)  # supervises team B, where the revealer works
    for url in (reverse("audit:trail"), reverse("audit:user", args=[world.revealer.username])):
        response = client.get(url, {"event": "identity.reveal"} if url == reverse("audit:trail") else {})
        page = without_choices(response.content.decode())
        assert response.status_code == 200
        assert world.case.display_code in page and str(events.IDENTITY_REVEAL.label) in page  # that it happened
        assert "Canary reason 5521" not in page and OUTSIDE_PURPOSE not in page, url
    assert INSIDE_REASON in client.get(reverse("audit:trail")).content.decode()  # her own team's case


def test_her_csv_withholds_them_too(client, world, sign_in):
    reveals(world)
    sign_in(client, world.other_supervisor)
    text = csv_text(client.get(reverse("audit:export"), {"event": "identity.reveal"}))
    assert world.case.code in text and "identity.reveal" in text
    assert "Canary reason 5521" not in text and OUTSIDE_PURPOSE not in text
    assert INSIDE_REASON in text


def test_the_supervisor_of_the_case_sees_the_reason_and_purpose(client, world, sign_in):
    reveals(world)
    sign_in(client, world.supervisor)  # supervises team A, the case's team
    page = client.get(reverse("audit:trail"), {"code": world.case.display_code}).content.decode()
    assert OUTSIDE_REASON in page and OUTSIDE_PURPOSE in page
    text = csv_text(client.get(reverse("audit:export"), {"code": world.case.display_code}))
    assert OUTSIDE_REASON in text and OUTSIDE_PURPOSE in text
