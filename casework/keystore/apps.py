from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeystoreConfig(AppConfig):
    name = "casework.keystore"
    verbose_name = _("key store")

    def ready(self):
        from casework.keystore import checks  # noqa: F401  (registers the check that the store is apart)
