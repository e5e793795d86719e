from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "casework.identity"
    label = "identity"
    verbose_name = _("Identity")

    def ready(self):
        from casework.identity import checks  # noqa: F401  (registers the key check)
