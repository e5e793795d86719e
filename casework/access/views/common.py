"""Who may reach the access pages, and the one answer for everyone else: 404.

Administrators manage the people, teams and case access of their own organisation and
never read a case. Supervisors reach the case directory for the cases they supervise,
to give and take access there. Anyone else, or anything of another organisation, is a 404.
"""

from contextlib import contextmanager
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _

from casework.access.models import Membership, Role
from casework.cases.models import Case


def not_found(request):
    return render(request, "404.html", status=404)


@contextmanager
def refusal_as_message():
    """A service's refusal (PermissionDenied: acting on oneself, granting to oneself) becomes
    a message on the form like any broken rule, which ``form_page`` shows with a 400; the
    service's transaction has already rolled its writes back. Also a decorator."""
    try:
        yield
    except PermissionDenied as refusal:
        raise ValidationError(str(refusal) or _("You may not do this.")) from refusal


def managing_membership(user):
    """The active membership through which ``user`` manages access, or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return (
        Membership.objects.active()
        .filter(user=user, role__in=[Role.ADMIN, Role.SUPERVISOR])
        .select_related("organisation")
        .first()
    )


def admin_view(view):
    """For administrators of an organisation only; ``request.membership`` is hers."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = managing_membership(request.user)
        if membership is None or membership.role != Role.ADMIN:
            return not_found(request)
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper


def directory_view(view):
    """For administrators and supervisors; ``request.membership`` is hers and
    ``request.directory`` the cases she manages access to."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = managing_membership(request.user)
        if membership is None:
            return not_found(request)
        request.membership = membership
        request.directory = Case.objects.access_directory(request.user)
        return view(request, *args, **kwargs)

    return wrapper
