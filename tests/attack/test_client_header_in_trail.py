"""A request header is written into the audit trail as it came.

auditlog's middleware reads the correlation id from the client's ``X-Correlation-ID``
header (AUDITLOG_CID_HEADER is left at its default) and every model-change entry of the
request stores it in ``cid``: unvalidated, unmasked, outside the free-text guard. Whatever
the client puts there (a survivor's name, a phone number) lands in plain text in the one
table that is append-only and never erased, where destroying the case's key cannot reach
it. On PostgreSQL a value longer than 255 characters makes every write of the request fail
with a server error instead. And the value outlives the request: auditlog's context
variable is set per request and never reset, so entries written later in the same thread
outside a request (a command, a test) carry the last client's header.
"""

import pytest
from auditlog.cid import correlation_id
from django.urls import reverse

from casework.audit.models import AuditEntry
from tests.cases.test_contacts import ago, contact_data, typed
from tests.factories import make_contact
from tests.identity.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_the_header():
    """auditlog never resets its correlation id after a request: without this, the header
    of these tests' last request is written into the entries of the next tests (outside any
    request, in the same thread), and on PostgreSQL the long one fails them all."""
    yield
    correlation_id.set(None)


NAME = "김카나리 +82 10-7391-4826"


def test_a_header_the_client_sends_never_reaches_an_entry(world):
    contact = make_contact(world.case, world.lead, occurred_at=ago(days=2), notes="First note.")
    client = signed_in(world.coworker)
    url = reverse("cases:contact_edit", args=[world.case.display_code, contact.uid])
    data = {**contact_data(occurred_at=typed(ago(days=2))), "version": contact.version, "notes": "Second note."}
    assert client.post(url, data, HTTP_X_CORRELATION_ID=NAME).status_code == 302
    stored = list(AuditEntry.objects.filter(cid__contains=NAME).values_list("event", "cid"))
    assert not stored, f"stored from the request header: {stored}"
    made = set(AuditEntry.objects.exclude(cid=None).values_list("cid", flat=True))
    assert made and all(len(cid) == 32 and int(cid, 16) >= 0 for cid in made)  # ours: one per request


def test_a_long_header_does_not_make_a_write_fail(world):
    contact = make_contact(world.case, world.lead, occurred_at=ago(days=2), notes="First note.")
    client = signed_in(world.coworker)
    client.raise_request_exception = False
    url = reverse("cases:contact_edit", args=[world.case.display_code, contact.uid])
    data = {**contact_data(occurred_at=typed(ago(days=2))), "version": contact.version, "notes": "Second note."}
    assert client.post(url, data, HTTP_X_CORRELATION_ID="x" * 300).status_code == 302
