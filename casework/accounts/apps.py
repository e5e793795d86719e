from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "casework.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from casework.accounts import lockout, sessions

        user_logged_in.connect(sessions.session_started, dispatch_uid="casework.session_started")
        user_logged_out.connect(sessions.session_ended, dispatch_uid="casework.session_ended")
        user_login_failed.connect(lockout.login_failed, dispatch_uid="casework.login_failed")
        user_locked_out.connect(lockout.locked_out, dispatch_uid="casework.locked_out")
