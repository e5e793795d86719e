from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "casework.retention"
    label = "retention"
