from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "casework.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self):
        from casework.audit import checks, registry  # noqa: F401  (checks: registers the database role's deploy check)

        registry.register_models()
