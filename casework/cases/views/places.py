"""The parts of the case page a save returns to, each showing its own saved message."""

from django.urls import reverse

from casework.web.pages import redirect_to_place

CASE_PAGE_PLACES = ("timeline", "needs", "referrals")


def to_case_page(case, place):
    """After a save from the case page: back to the part of it she was working on.

    Save the message with ``extra_tags=place`` so that it shows there, in view.
    """
    assert place in CASE_PAGE_PLACES
    return redirect_to_place(reverse("cases:detail", args=[case.display_code]), place)
