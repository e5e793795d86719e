"""The key store is its own database (``CASEWORK_KEYSTORE_URL``): its models live there and
nowhere else, and nothing else lives there. A backup of the main database then holds no
case key, and destroying a key in the store reaches every copy of the data already made."""

APP = "keystore"
ALIAS = "keystore"


class KeystoreRouter:
    def db_for_read(self, model, **hints):
        return ALIAS if model._meta.app_label == APP else None

    def db_for_write(self, model, **hints):
        return ALIAS if model._meta.app_label == APP else None

    def allow_relation(self, obj1, obj2, **hints):
        if APP in (obj1._meta.app_label, obj2._meta.app_label):
            return obj1._meta.app_label == obj2._meta.app_label
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == APP:
            return db == ALIAS
        return db != ALIAS
