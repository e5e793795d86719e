from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Synthetic demo data and the commands that make and show it (seed_demo, demo_logins,
    demo_code): development only, each command refuses what debug does not allow. It stands
    on every other app, and none stands on it."""

    name = "casework.demo"
    label = "demo"
    verbose_name = _("Demo data")
