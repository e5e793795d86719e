from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "casework.partners"
    label = "partners"

    def ready(self):
        from casework.partners import receivers  # noqa: F401  (consent withdrawn → the receiver's notice)
