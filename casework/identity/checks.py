from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from casework.identity import crypto


@register()
def field_keys_are_usable(app_configs, **kwargs):
    """Refuse to run with keys that cannot encrypt: better at start-up than at the first reveal."""
    try:
        crypto.keyring()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="casework.E101")]
    return []
