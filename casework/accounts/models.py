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
