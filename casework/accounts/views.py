import base64
import uuid
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticToken

from casework.accounts import protection, services, sessions
from casework.accounts.backends import DURESS
from casework.accounts.forms import EnrolForm, SecondFactorForm, StepUpForm, UnlockForm
from casework.accounts.lockout import account_unlock
from casework.accounts.models import workspace_is_empty
from casework.audit import events
from casework.audit.services import record
from casework.cases import codes
from casework.web import doors
from casework.web.pages import not_found


class SignInView(auth_views.LoginView):
    """The first step: username and password. The second factor comes next, whatever ``next`` says."""

    redirect_authenticated_user = True

    def get_redirect_url(self):
        return page_worth_returning_to(super().get_redirect_url())

    def form_valid(self, form):
        after = self.get_success_url()  # checked against other hosts by LoginView
        super().form_valid(form)
        # A right password is evidence even if no code follows: a leaked password shows in
        # the trail of her supervisors and administrators before anyone guesses a code.
        record(event=events.LOGIN_PASSWORD, actor=form.get_user())
        if getattr(form.get_user(), DURESS, False):
            # Nothing here differs from any sign-in: the same entry above, the same next step.
            protection.duress_sign_in(request=self.request, user=form.get_user())
        self.request.session["after_sign_in"] = after
        return redirect("accounts:verify")


def page_worth_returning_to(url):
    """``url`` (from ``next``) if it is one of our pages with well-formed codes and ids, else "".

    Someone who typed a name into the address bar is sent to sign in with that name in
    ``next``; it must not come back in the sign-in page, nor wait in her session.
    """
    if not url:
        return ""
    path = urlsplit(url).path  # a query string may hold anything: never kept
    try:
        match = resolve(path)
    except Resolver404:
        return ""
    for name, value in match.kwargs.items():
        if name == "code" and codes.normalise(value) is None:
            return ""
        if name == "uid" and not _is_uuid(value):
            return ""
        if name not in ("code", "uid"):
            return ""
    return path


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _next_page(request):
    return request.session.pop("after_sign_in", None) or "home"


@doors.second_step
def verify(request):
    """The second step of signing in."""
    user = request.user
    if user.is_verified():
        return redirect("home")
    if services.authenticator(user) is None:
        return redirect("accounts:enrol")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_second_factor(request=request, user=user, token=form.cleaned_data["code"]):
            return redirect(_next_page(request))
        form.add_error("code", _("That code is not right, or it was already used. Wait for a new code and try again."))
    return render(request, "accounts/verify.html", {"form": form}, status=400 if form.errors else 200)


@doors.second_step
def enrol(request):
    """Set up an authenticator: the first time at first sign-in, later to replace it (with a
    code from the current one). Ten recovery codes are shown once, on success.

    Opening the page starts a new enrolment with a fresh secret, kept in this session only;
    a wrong code keeps it, so that the phone already scanned still works."""
    user = request.user
    replacing = services.authenticator(user) is not None
    if replacing and not user.is_verified():
        return redirect("accounts:verify")  # nobody replaces a second factor with a password alone
    device = services.enrolment(request) if request.method == "POST" else None
    form = EnrolForm(request.POST or None, replacing=replacing)
    if device is None:
        device = services.enrolment_start(request)
        if request.method == "POST":
            form.add_error(None, _("This set-up had expired. Scan the new code below and try again."))
    elif form.is_valid():
        if replacing and not services.current_code_is_valid(user, form.cleaned_data["current_code"]):
            form.add_error("current_code", _("That code is not right, or it was already used."))
        else:
            codes = services.enrol_confirm(request=request, user=user, token=form.cleaned_data["code"])
            if codes is not None:
                return render(request, "accounts/recovery_codes.html", {"codes": codes, "enrolled": True})
            if services.authenticator(user) is not None and not user.is_verified():
                messages.error(request, _("An authenticator was set up for this account meanwhile. Sign in with it."))
                return redirect("accounts:verify")
            form.add_error("code", _("That code is not right. Check the time on your phone and try the next code."))
    return _enrol_page(request, form, device, replacing)


def _enrol_page(request, form, device, replacing):
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "replacing": replacing,
    }
    return render(request, "accounts/enrol.html", context, status=400 if form.errors else 200)


@doors.second_step
def enrol_qr(request):
    """This session's enrolment secret as a QR code, drawn here as SVG (the secret never leaves
    for a QR service). Nothing is created here: without an enrolment under way, or to a
    password-only session of someone who already has an authenticator, it is a 404."""
    device = services.enrolment(request)
    if device is None or (services.authenticator(request.user) is not None and not request.user.is_verified()):
        return not_found(request)
    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@doors.signed_in
def security(request):
    recovery_left = StaticToken.objects.filter(device__user=request.user, device__name=services.RECOVERY).count()
    return render(request, "accounts/security.html", {"recovery_left": recovery_left, "form": StepUpForm()})


@doors.signed_in
@require_POST
def recovery_codes_regenerate(request):
    form = StepUpForm(request.POST)
    if form.is_valid() and services.current_code_is_valid(request.user, form.cleaned_data["current_code"]):
        codes = services.recovery_codes_regenerate(user=request.user)
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "enrolled": False})
    form.add_error("current_code", _("That code is not right, or it was already used."))
    recovery_left = StaticToken.objects.filter(device__user=request.user, device__name=services.RECOVERY).count()
    return render(request, "accounts/security.html", {"recovery_left": recovery_left, "form": form}, status=400)


@doors.administrator
def unlock(request):
    """For administrators: let a locked-out member of the organisation try again at once."""
    organisation_id = request.membership.organisation_id
    members = User.objects.filter(membership__organisation_id=organisation_id).order_by("username")
    if workspace_is_empty(request.user):
        members = members.filter(pk=request.user.pk)  # frozen, travelling, under duress: herself alone
    form = UnlockForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        account_unlock(by=request.user, user=form.cleaned_data["person"])
        messages.success(request, _("%(name)s can sign in again.") % {"name": form.cleaned_data["person"]})
        return redirect("accounts:unlock")
    limits = {"failures": settings.CASEWORK_LOCKOUT_FAILURES, "minutes": settings.CASEWORK_LOCKOUT_MINUTES}
    return render(request, "accounts/unlock.html", {"form": form, **limits}, status=400 if form.errors else 200)


@doors.public
@require_POST
def sign_out(request):
    """End the session on the server and ask the browser to drop everything of this site."""
    if request.user.is_authenticated:
        record(event=events.LOGOUT, actor=request.user)
    logout(request)
    response = redirect(settings.LOGOUT_REDIRECT_URL)
    response["Clear-Site-Data"] = sessions.CLEAR_SITE_DATA
    return response


@doors.signed_in
@require_POST
def sign_out_others(request):
    ended = sessions.other_sessions_end(request=request)
    text = ngettext(
        "You were signed out in %(count)d other place.", "You were signed out in %(count)d other places.", ended
    ) % {"count": ended}
    messages.success(request, text if ended else _("You were not signed in anywhere else."))
    return redirect("accounts:security")
