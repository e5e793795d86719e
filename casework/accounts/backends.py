"""The password backend, loading each request's user with her membership in one query, and
answering a duress password as if it were the right one."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password, get_hasher, make_password
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.crypto import get_random_string

from casework.access.models import LOADED_WITH_MEMBERSHIP
from casework.accounts.models import AccountGuard

# Set on the user authenticate() returns when the password given was her duress password.
DURESS = "_casework_duress"
# A hash of nothing anyone types, made once per hasher: checked when she has no duress
# password (an unusable hash would answer at once, and so tell that she has none).
_DECOYS: dict[str, str] = {}


def _decoy_hash() -> str:
    algorithm = str(get_hasher().algorithm)
    if algorithm not in _DECOYS:
        _DECOYS[algorithm] = make_password(get_random_string(40))
    return _DECOYS[algorithm]


def _duress_hash(user: User) -> str:
    guard = AccountGuard.objects.filter(user_id=user.pk).values_list("duress_password", flat=True).first()
    return guard or ""


class MembershipModelBackend(ModelBackend):
    """Django's ModelBackend; the user of a request comes with her membership and its
    organisation, and her protections (one query, not one per place that asks).

    Every attempt checks both the password and the duress password (or a decoy hash when
    she has none), so that the time an answer takes says nothing about which one matched,
    or whether she has one at all."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: str
    ) -> User | None:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = get_user_model()._default_manager.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            # Two hashes, as for a name that exists: Django's own for an unknown name, then the decoy.
            get_user_model()().set_password(password)
            check_password(password, _decoy_hash())
            return None
        right = user.check_password(password)
        duress = check_password(password, _duress_hash(user) or _decoy_hash())
        if not self.user_can_authenticate(user) or not (right or duress):
            return None
        if not right:
            setattr(user, DURESS, True)
        return user

    def get_user(self, user_id: int) -> User | None:
        users = get_user_model()._default_manager.select_related("membership__organisation", "guard")
        user = users.filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        setattr(user, LOADED_WITH_MEMBERSHIP, True)
        return user
