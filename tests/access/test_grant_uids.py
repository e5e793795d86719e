"""Grants are named in URLs by an opaque uid: a sequential id told how many grants the
organisation made and let anyone with one revoke link walk to the next."""

import uuid

from django.urls import reverse

from casework.access.models import Grant


def revoke_links(page, case):
    prefix = f"/access/cases/{case.display_code}/grants/"
    return [part.split('"', 1)[0] for part in page.split(f'href="{prefix}')[1:]]


def test_the_access_page_links_each_grant_by_its_uid(client, world, sign_in):
    sign_in(client, world.supervisor)
    page = client.get(reverse("access:case", args=[world.case.display_code])).content.decode()
    shown = {link.split("/", 1)[0] for link in revoke_links(page, world.case)}
    current = Grant.objects.filter(case=world.case, revoked_at__isnull=True)
    assert shown == {str(grant.uid) for grant in current}
    assert all(uuid.UUID(link).version == 4 for link in shown)


def test_the_old_integer_url_answers_404_and_revokes_nothing(client, world, sign_in):
    grant = Grant.objects.get(case=world.case, user=world.viewer)
    sign_in(client, world.supervisor)
    old = f"/access/cases/{world.case.display_code}/grants/{grant.pk}/revoke/"
    assert client.get(old).status_code == 404
    assert client.post(old, {"reason": "Shift over"}).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None
    new = reverse("access:case_revoke", args=[world.case.display_code, grant.uid])
    assert client.get(new).status_code == 200


def test_a_wrong_uid_is_the_same_404_as_another_cases_grant(client, world, sign_in):
    sign_in(client, world.supervisor)
    guess = reverse("access:case_revoke", args=[world.case.display_code, uuid.uuid4()])
    assert client.get(guess).status_code == 404
