"""The trail's sequence numbers are a name oracle.

A hit of the free-text guard by someone who may not reveal is recorded as a quiet
``identity.in_text`` entry, hidden from her own review pages. But every entry takes the
next ``seq``, and the review pages hand the writer the ``seq`` of her own acts (the CSV
export has a ``seq`` column; the "Older" link carries ``before=<seq>``). The hidden entry
leaves a hole in the numbering just before her act: a right guess and a wrong one are
told apart by counting. Played here by an administrator (a grant reason on /access/) and
by a supervisor with an edit grant on another team's case.
"""

import csv
import io

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from tests.factories import make_caseworker
from tests.identity.conftest import identity, signed_in  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

RIGHT, WRONG = "for 김카나리", "for 박서연이"


def exported(client):
    response = client.get(reverse("audit:export"), {"list": "1"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.usefixtures("identity")
def test_the_trail_never_shows_a_reviewer_the_numbering(world):
    """No seq in the CSV, the "Older" link or a flag's key: without the numbering there is
    no hole to count, whatever was hidden from her."""
    admin = signed_in(world.admin)
    url = reverse("access:case_grant", args=[world.case.display_code])
    for number in range(60):  # more than a page of her own entries
        grantee = make_caseworker(world.org, world.team_a, username=f"grantee{number}")
        data = {"grant-user": grantee.username, "grant-level": "view", "grant-reason": WRONG, "grant-expires": ""}
        assert admin.post(url, data).status_code == 302
    rows = exported(admin)
    assert "seq" not in rows[0]
    seqs = {str(seq) for seq in AuditEntry.objects.values_list("seq", flat=True)}
    listed = admin.get(reverse("audit:trail"), {"list": "1"})
    older = listed.context["older"]
    assert older and older not in seqs and not older.isdigit()
    page = listed.content.decode()
    assert f"before={older}" in page
    for entry in listed.context["entries"]:
        assert f"before={entry.seq}&" not in page and f'before={entry.seq}"' not in page


def test_a_made_up_or_numbered_continuation_is_refused(world):
    """She cannot probe the numbering by choosing where a page starts."""
    client = signed_in(world.supervisor)
    for before in ("12", "1", "999999", "not-a-cursor"):
        response = client.get(reverse("audit:trail"), {"list": "1", "before": before})
        assert response.status_code == 400, before
        assert response.context["entries"] == []
