"""The parts of the case page a save returns to, each showing its own saved message."""

from django.contrib import messages
from django.urls import reverse

from casework.web.pages import redirect_to_place

CASE_PAGE_PLACES = ("timeline", "needs", "referrals", "journey")


def case_tag(case):
    """Names the case a saved message belongs to (its row id, never its code or content): the
    message shows in its place on that case's page only, at the top of any other page."""
    return f"case-{case.pk}"


def saved_on_case_page(request, case, place, text):
    """After a save from the case page: ``text`` as the saved message, and back to the part
    of the page she was working on, where the message shows."""
    assert place in CASE_PAGE_PLACES
    messages.success(request, text, extra_tags=f"{place} {case_tag(case)}")
    return redirect_to_place(reverse("cases:detail", args=[case.display_code]), place)
