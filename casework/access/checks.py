from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Warning, register
from django.db import DatabaseError


@register()
def no_superuser_in_production(app_configs, **kwargs):
    """A superuser gets nothing extra inside casework (``restrict`` ignores the flag), but
    the account is still a standing key to Django's own machinery, and a sign that someone
    runs the site as root. Production should have none."""
    if settings.DEBUG:
        return []
    try:
        usernames = list(
            get_user_model().objects.filter(is_superuser=True, is_active=True).values_list("username", flat=True)[:5]
        )
    except DatabaseError:  # no database yet (a fresh checkout, before migrate): nothing to warn about
        return []
    if not usernames:
        return []
    return [
        Warning(
            f"Active superuser accounts exist with CASEWORK_DEBUG off: {', '.join(usernames)}.",
            hint="Casework gives a superuser no extra access to cases. Take the flag away "
            "(is_superuser and is_staff off, in a Django shell) or deactivate the account.",
            id="casework.W201",
        )
    ]
