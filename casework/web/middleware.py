from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from casework.access.models import active_membership


class MembershipMiddleware:
    """``request.membership``: the signed-in person's active membership (with its
    organisation), or None; taken once per request, read by every door and page.

    The user was loaded with it (``casework.accounts.backends``), so this costs no query.
    Goes after the second-factor middleware: a half-signed-in person never gets this far.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = active_membership(request.user)  # type: ignore[attr-defined]
        return self.get_response(request)
