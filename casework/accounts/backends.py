"""The password backend, loading each request's user with her membership in one query."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User

from casework.access.models import LOADED_WITH_MEMBERSHIP


class MembershipModelBackend(ModelBackend):
    """Django's ModelBackend; the user of a request comes with her membership and its
    organisation (one query, not one per place that asks which organisation she is in)."""

    def get_user(self, user_id: int) -> User | None:
        users = get_user_model()._default_manager.select_related("membership__organisation")
        user = users.filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        setattr(user, LOADED_WITH_MEMBERSHIP, True)
        return user
