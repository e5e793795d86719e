"""Signed-in sessions: tracked from sign-in, limited in time, ended from the server.

A stolen cookie or a laptop left open must stop working: after CASEWORK_SESSION_IDLE_MINUTES
without a request, SESSION_COOKIE_AGE seconds after signing in, at sign-out, and at once when
the person changes her password, signs out everywhere else, is deactivated or has her second
factor reset. A 2FA reset service ends them with ``end_sessions(user=...)``.
"""

from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.models import Membership
from casework.accounts.models import LoginSession, workspace_is_empty
from casework.audit import events
from casework.audit.services import record

# Kept in the session itself (server-side), so checking the limits costs no query.
LOGIN_SESSION = "casework_login_session"
SIGNED_IN_AT = "casework_signed_in_at"
LAST_SEEN_AT = "casework_last_seen_at"
# Set at sign-in for an account created with a temporary password (see SecondFactorMiddleware).
REPLACE_CREDENTIAL = "casework_replace_credential"
# Set (in the server's session store, never in a cookie) on a session opened while her
# workspace was emptied: frozen, in travel mode, under duress. When that ends, the session
# ends too: whoever made her sign in then (at a border, in a raid) must not see her cases
# once travel mode runs out at midnight or a supervisor lifts it.
OPENED_EMPTIED = "casework_opened_emptied"
# Activity is written down at most this often, not on every request.
TOUCH_EVERY_SECONDS = 60
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _now():
    return timezone.now().timestamp()


# Tracking (signal receivers, connected in AccountsConfig.ready) ---------------------


def session_started(sender, request, user, **kwargs):
    """user_logged_in: the password step. Django has just given the session a new key."""
    session = request.session
    if session.session_key is None:
        session.save()  # login() flushed another person's session: make the new key now
    now = timezone.now()
    row, _created = LoginSession.objects.update_or_create(
        session_key=session.session_key, defaults={"user": user, "created_at": now, "last_seen_at": now}
    )
    session[LOGIN_SESSION] = row.pk
    session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = now.timestamp()
    if Membership.objects.filter(user=user, must_change_password=True).exists():
        session[REPLACE_CREDENTIAL] = True
    if workspace_is_empty(user):
        session[OPENED_EMPTIED] = True
    _forget_dead_sessions(user)


def _forget_dead_sessions(user):
    """Rows of sessions that expired unseen (a closed browser) are only clutter; drop them."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    LoginSession.objects.filter(user=user).exclude(session_key__in=live).delete()


def session_ended(sender, request, user, **kwargs):
    """user_logged_out: Django flushes the session right after this."""
    session = getattr(request, "session", None)
    if session is None:
        return
    mine = Q(session_key=session.session_key) if session.session_key else Q()
    if session.get(LOGIN_SESSION):
        mine |= Q(pk=session[LOGIN_SESSION])
    if mine:
        LoginSession.objects.filter(mine).delete()


# Ending sessions -------------------------------------------------------------------


@transaction.atomic
def end_sessions(*, user, keep=None):
    """End every session of ``user`` in the session store, except ``keep`` (a session, such
    as ``request.session``, to leave open). Returns how many were ended. Writes no audit
    entry: the act that calls it (password change, deactivation ...) records itself."""
    rows = LoginSession.objects.filter(user=user)
    if keep is not None:
        rows = rows.exclude(Q(session_key=keep.session_key or "") | Q(pk=keep.get(LOGIN_SESSION)))
    ended = list(rows.values_list("pk", "session_key"))
    store = _session_store()
    for _pk, key in ended:
        store(session_key=key).delete()
    LoginSession.objects.filter(pk__in=[pk for pk, _key in ended]).delete()
    return len(ended)


@transaction.atomic
def other_sessions_end(*, request):
    """Sign out everywhere else: end every session of the signed-in person but this one."""
    ended = end_sessions(user=request.user, keep=request.session)
    record(event=events.SESSION_END_OTHERS, actor=request.user, details={"ended": ended})
    return ended


# Limits ----------------------------------------------------------------------------


class SessionLimitsMiddleware:
    """Ends a signed-in session that has been idle too long or has lived too long.

    Goes right after AuthenticationMiddleware. Also keeps the LoginSession row's key current
    when a view cycles the session key (the second sign-in step, a password change), so that
    the session can still be ended from elsewhere.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key_before = request.session.session_key
        if request.user.is_authenticated:
            ended = self._enforce_limits(request)
            if ended is not None:
                return ended
        response = self.get_response(request)
        if request.session.session_key != key_before and request.session.session_key:
            self._follow_new_key(request.session)
        return response

    def _enforce_limits(self, request):
        session, now = request.session, _now()
        signed_in_at, last_seen_at = session.get(SIGNED_IN_AT), session.get(LAST_SEEN_AT)
        idle_limit = settings.CASEWORK_SESSION_IDLE_MINUTES * 60
        if signed_in_at is None or last_seen_at is None:
            return self._end(request, _("Please sign in again."))  # a session from before tracking began
        if now - signed_in_at > settings.SESSION_COOKIE_AGE:
            return self._end(request, _("You were signed out because you signed in a long time ago."), "lifetime")
        if now - last_seen_at > idle_limit:
            message = _("You were signed out after %(minutes)d minutes without activity.") % {
                "minutes": settings.CASEWORK_SESSION_IDLE_MINUTES
            }
            return self._end(request, message, "idle")
        if workspace_is_empty(request.user):
            if not session.get(OPENED_EMPTIED):
                # Used while emptied (her laptop's session from the morning, before a supervisor
                # put her into travel mode): it ends with the protection too.
                session[OPENED_EMPTIED] = True
        elif session.get(OPENED_EMPTIED):
            # Her supervisors' business alone (an administrator's trail would tell whom it protected).
            record(event=events.ACCOUNT_SESSION_ENDED, actor=request.user, details={"reason": "protection_ended"})
            return self._end(request, _("Please sign in again."))
        if now - last_seen_at >= TOUCH_EVERY_SECONDS:
            session[LAST_SEEN_AT] = now
            touched = LoginSession.objects.filter(pk=session.get(LOGIN_SESSION), user=request.user).update(
                last_seen_at=timezone.now(), session_key=session.session_key
            )
            if not touched:  # ended from elsewhere while its key was changing
                return self._end(request, _("Please sign in again."))
        return None

    @staticmethod
    def _end(request, message, reason=None):
        if reason is not None:
            record(event=events.SESSION_EXPIRE, actor=request.user, details={"reason": reason})
        LoginSession.objects.filter(pk=request.session.get(LOGIN_SESSION)).delete()
        request.session.flush()
        request.user = AnonymousUser()
        if _open_to_anyone(request):
            return None  # quick exit, sign-out, sign-in: they go on, for someone signed out
        if request.method in ("GET", "HEAD"):
            response = redirect_to_login(request.get_full_path())
        else:
            response = redirect(settings.LOGIN_URL)
        # MessageMiddleware comes later in the chain and is not reached: store the message here.
        storage = default_storage(request)
        storage.add(messages.INFO, message)
        storage.update(response)
        return response

    @staticmethod
    def _follow_new_key(session):
        row = session.get(LOGIN_SESSION)
        if row is not None:
            LoginSession.objects.filter(pk=row).update(session_key=session.session_key)


def _open_to_anyone(request):
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return False
    return getattr(view, "login_required", True) is False
