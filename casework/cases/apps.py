from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "casework.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from casework.cases.forms.common import stop_echoing_invalid_choices

        stop_echoing_invalid_choices()
