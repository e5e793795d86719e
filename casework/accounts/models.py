"""Which sessions a person has open, so that they can be ended from the server.

No address, no user agent, no device name: a seized database must not say where anyone signs in from.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginSession(models.Model):
    """One signed-in session: written at sign-in, deleted at sign-out or when ended from elsewhere."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions", verbose_name=_("user")
    )
    # The key of the session in the session store; kept current when the key is cycled.
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("signed in"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last active"), default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self):
        # Never the session key: it would sign someone in.
        return f"{self.user} · {self.created_at:%Y-%m-%d %H:%M}"


class AccountGuard(models.Model):
    """What has been done to protect an account whose phone, laptop or owner may be in the
    wrong hands: frozen, in travel mode, a duress password. One row per person, made the
    first time any of it is set; no row means none of it.

    While she is frozen or travelling, ``workspace_is_empty`` says so and the permission
    layer gives her nothing: she signs in (if she can) to an ordinary, empty workspace,
    the same whatever the cause, so that whoever stands over her cannot tell which.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guard", verbose_name=_("user")
    )
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("frozen by"),
    )
    # The last day of travel mode (inclusive); it ends by itself after it.
    travel_until = models.DateField(_("travel mode until"), null=True, blank=True)
    travel_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("travel mode set by"),
    )
    # The duress password, hashed by Django's password hashers; never in clear.
    duress_password = models.CharField(_("duress password"), max_length=128, blank=True, default="")
    # When she last signed in with it: shown to her supervisors until one unfreezes her.
    duress_at = models.DateTimeField(_("signed in under duress"), null=True, blank=True)

    class Meta:
        verbose_name = _("account protection")
        verbose_name_plural = _("account protections")

    def __str__(self):
        return str(self.user)

    @property
    def is_frozen(self):
        return self.frozen_at is not None

    def is_travelling(self, today=None):
        return self.travel_until is not None and (today or timezone.localdate()) <= self.travel_until

    def empties_workspace(self, today=None):
        return self.is_frozen or self.is_travelling(today)


def workspace_is_empty(user) -> bool:
    """Whether ``user`` is frozen, in travel mode or signed in under duress (which freezes):
    then nothing of a case, a referral, a partner or the trail opens to her, and every page
    looks as it does for an account with no cases. No query for the user of a request (the
    authentication backend loaded her protections with her)."""
    if user is None or not user.is_authenticated:
        return False
    try:
        guard = user.guard
    except AccountGuard.DoesNotExist:
        return False
    return guard.empties_workspace()


def empty_workspace_condition(prefix=""):
    """The same rule as a condition on a query over users (``prefix`` leads to the user):
    true for the users whose workspace is empty."""
    frozen = models.Q(**{f"{prefix}guard__frozen_at__isnull": False})
    travelling = models.Q(**{f"{prefix}guard__travel_until__gte": timezone.localdate()})
    return frozen | travelling
