from django.conf import settings
from django.core.checks import Error, register

from casework.keystore.router import ALIAS


def _where(database):
    return (database.get("ENGINE"), database.get("HOST") or "", str(database.get("PORT") or ""), str(database["NAME"]))


@register()
def keystore_is_apart(app_configs, **kwargs):
    """The key store in the main database would put every case key in every backup of it:
    erasure would then reach no backup."""
    if _where(settings.DATABASES[ALIAS]) == _where(settings.DATABASES["default"]):
        return [
            Error(
                "CASEWORK_KEYSTORE_URL names the main database: the case keys must live in a database of their "
                "own, so that a backup of the main database holds none of them.",
                id="casework.E120",
            )
        ]
    return []
