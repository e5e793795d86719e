from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "casework.access"
    label = "access"
    verbose_name = _("Access")

    def ready(self):
        from casework.access import checks  # noqa: F401  (registers the superuser check)
