"""Lockout after repeated failed sign-ins (django-axes), its audit events, and unlocking.

axes counts failures in the "lockout" cache under hashed keys. It is handed keyed hashes
(HMAC under the lockout key derived from CASEWORK_INDEX_KEY, casework.keys) instead of
the client address and the typed username, so the counters say nothing about where
anyone signs in from, nor what anyone typed: people type names, and passwords, into
username fields.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from casework import keys
from casework.access.models import Membership, Role
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record


def address_key(request):
    """AXES_CLIENT_IP_CALLABLE: what axes counts per address, a keyed hash of it (not the
    audit trail's: a counter's key cannot be matched with an entry's address hash)."""
    address = request.META.get("REMOTE_ADDR", "")
    return keys.keyed_hash(keys.LOCKOUT, b"address\0" + address.encode()) if address else None


def username_key(request, credentials=None):
    """AXES_USERNAME_CALLABLE: what axes counts per username, a keyed hash of the typed name."""
    field = get_user_model().USERNAME_FIELD
    username = credentials.get(field) if credentials else request.POST.get(field)
    if not username:
        return None
    return keys.keyed_hash(keys.LOCKOUT, b"username\0" + username.encode())


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the same page, whoever was asked for and whether she exists."""
    minutes = settings.CASEWORK_LOCKOUT_MINUTES
    response = render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def _existing_user(username):
    """The account a typed username names, or None. The typed string itself is never recorded."""
    if not isinstance(username, str) or not username:
        return None
    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


def _organisation_id(user):
    if user is None:
        return None
    return Membership.objects.filter(user=user).values_list("organisation_id", flat=True).first()


# Signal receivers (connected in AccountsConfig.ready) -----------------------------


def login_failed(sender, credentials, request=None, **kwargs):
    """Django's user_login_failed: a wrong password, or any attempt refused during a lockout."""
    user = _existing_user(credentials.get(get_user_model().USERNAME_FIELD))
    record(event=events.LOGIN_FAILED, actor=user, outcome=Outcome.DENIED, organisation=_organisation_id(user))


def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    """axes' user_locked_out: sent when a lockout starts and for each attempt refused while it lasts."""
    credentials = getattr(request, "axes_credentials", None) or {}
    user = _existing_user(credentials.get(get_user_model().USERNAME_FIELD))
    failures = getattr(request, "axes_failures_since_start", None)
    record(
        event=events.LOGIN_LOCKOUT,
        actor=user,
        outcome=Outcome.DENIED,
        organisation=_organisation_id(user),
        details={"failures": failures} if failures else None,
    )


# Unlocking -------------------------------------------------------------------------


@transaction.atomic
def account_unlock(*, by, user):
    """Clear the failed-sign-in count of ``user``'s username, so that she can try again at once.

    ``by`` must be an active administrator of her organisation; ``None`` means an operator
    at the server (the ``unlock_user`` command). A lock on an address (every username tried
    from one place) is not cleared by this: it ends by itself, or an operator clears it.
    """
    organisation_id = _organisation_id(user)
    if by is not None:
        is_admin = (
            Membership.objects.active().filter(user=by, role=Role.ADMIN, organisation_id=organisation_id).exists()
        )
        if organisation_id is None or not is_admin:
            raise PermissionDenied(_("Only an administrator of this person's organisation can unlock her account."))
    cleared = AxesProxyHandler.reset_attempts(
        username=username_key(None, {get_user_model().USERNAME_FIELD: user.get_username()})
    )
    record(
        event=events.LOGIN_UNLOCK,
        actor=by,
        target=user,
        organisation=organisation_id,
        details=None if by is not None else {"by": "operator"},
    )
    return cleared


@transaction.atomic
def address_unlock(*, address):
    """For operators: clear the count of failed sign-ins from one client address (given, never stored)."""
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = address
    cleared = AxesProxyHandler.reset_attempts(ip_address=address_key(request))
    record(event=events.LOGIN_UNLOCK, actor=None, details={"by": "operator", "scope": "address"})
    return cleared
