"""Changing one's own password: the current one first, then the new one twice.

The rules are Django's validators as configured (at least 12 characters, not a common
password, not like one's username): no composition rules, no forced rotation.
"""

from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.access.models import Membership
from casework.accounts.backends import DURESS
from casework.accounts.models import AccountGuard
from casework.accounts.sessions import REPLACE_CREDENTIAL, end_sessions
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.web import doors

NOT_DURESS = gettext_lazy("Choose a password that is not your duress password.")
UNCHANGED = gettext_lazy("Choose a new password, not the one you have now: nobody else may know your password.")


class CurrentPasswordChangeForm(PasswordChangeForm):
    """Django's form, but the current password is checked through authenticate(), so that
    guessing it from a borrowed session counts towards the lockout like any failed sign-in."""

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        signed = authenticate(self.request, username=self.user.get_username(), password=old_password)
        # The duress password opens her (empty) workspace, never a change of her password.
        if signed is None or signed.pk != self.user.pk or getattr(signed, DURESS, False):
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password

    def clean(self):
        data = super().clean()
        old_password, new_password = data.get("old_password"), data.get("new_password2")
        # Typing the current password again would clear "must change password" while an
        # administrator who gave it as a temporary one still knows it.
        if old_password and new_password and constant_time_compare(old_password, new_password):
            self.add_error("new_password2", ValidationError(UNCHANGED, code="password_unchanged"))
        elif new_password and self._is_duress_password(new_password):
            # Both would match at sign-in and the right one wins: the duress password would stop working.
            self.add_error("new_password2", ValidationError(NOT_DURESS, code="password_is_duress"))
        return data

    def _is_duress_password(self, password):
        duress = AccountGuard.objects.filter(user_id=self.user.pk).values_list("duress_password", flat=True).first()
        return bool(duress) and check_password(password, duress)


@transaction.atomic
def password_change(*, request, form):
    """Save the new password, end the person's other sessions and keep this one open."""
    user = form.save()
    ended = end_sessions(user=user, keep=request.session)
    update_session_auth_hash(request, user)  # a new session key, still signed in
    temporary = request.session.pop(REPLACE_CREDENTIAL, False)
    for membership in Membership.objects.filter(user=user, must_change_password=True):
        membership.must_change_password = False
        membership.save(update_fields=["must_change_password"])
        temporary = True
    details = {"sessions_ended": ended, "replaced_temporary": True} if temporary else {"sessions_ended": ended}
    record(event=events.PASSWORD_CHANGE, actor=user, details=details)
    return user


@doors.signed_in
def change_password(request):
    form = CurrentPasswordChangeForm(request.user, request.POST or None, request=request)
    if request.method == "POST":
        if form.is_valid():
            first_time = request.session.get(REPLACE_CREDENTIAL, False)
            password_change(request=request, form=form)
            messages.success(request, _("Your password was changed. You are still signed in here, and nowhere else."))
            return redirect("home" if first_time else "accounts:security")
        if form.has_error("old_password", "password_incorrect"):
            record(event=events.PASSWORD_CHANGE, actor=request.user, outcome=Outcome.DENIED)
    context = {"form": form, "temporary": request.session.get(REPLACE_CREDENTIAL, False)}
    return render(request, "accounts/password_change.html", context, status=400 if form.errors else 200)
