from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "casework.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from casework.audit import checks  # noqa: F401  (registers the deploy check of the database role)
        from casework.audit import registry

        registry.register_models()
