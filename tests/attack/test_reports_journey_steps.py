"""Attack: journey steps addressed through the wrong case, or with values off the lists.

A supervisor of every team may change both cases; she removes a step of team B's case
through team A's case URL (the audit entry would then name the wrong case), and posts a
stage and a region that are not on the lists, straight to the form.
"""

import datetime

from django.urls import reverse
from django.utils import timezone

from casework.cases.models import Case, JourneyStep
from tests.factories import make_journey_step


def test_a_step_of_another_case_is_not_removed_through_this_one(client, world, sign_in):
    theirs = make_journey_step(world.other_case, world.other_team_worker)
    mine = make_journey_step(world.case, world.lead)
    sign_in(client, world.head)
    case = Case.objects.get(pk=world.case.pk)
    wrong = reverse("cases:journey_remove", args=[case.display_code, theirs.uid])
    right = reverse("cases:journey_remove", args=[case.display_code, mine.uid])
    form = {"reason": "Entered by mistake", "version": case.version}
    assert client.post(wrong, form).status_code == 404
    assert JourneyStep.objects.filter(pk=theirs.pk).exists()
    assert client.post(right, form).status_code == 302  # the same form on its own case: removed
    assert not JourneyStep.objects.filter(pk=mine.pk).exists()


def test_a_stage_or_region_off_the_lists_is_refused_and_nothing_changes(client, world, sign_in):
    sign_in(client, world.lead)
    case = Case.objects.get(pk=world.case.pk)
    url = reverse("cases:journey_new", args=[case.display_code])
    day = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    good = {"stage": "transit", "region": "LA", "started_on": day, "version": case.version}
    for bad in ({"stage": "Pyongyang safe house"}, {"region": "Yanji, Hill Road 4"}):
        response = client.post(url, {**good, **bad})
        assert response.status_code == 400
        assert not JourneyStep.objects.filter(case=case).exists()
    assert client.post(url, good).status_code == 302
    assert JourneyStep.objects.filter(case=case, stage="transit", region="LA").count() == 1
