"""The organisation's directory of service providers: kept by its supervisors and admins.

Providers are never deleted: referrals keep pointing to them. A deactivated provider
leaves the choices of new referrals and can be reactivated. Changes are audited by
auditlog's registry.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from casework.access.models import Membership, Organisation, Role
from casework.accounts.models import workspace_is_empty
from casework.cases.choices import Region, ServiceType
from casework.cases.models import ServiceProvider
from casework.cases.services.common import apply, save_versioned

KEEPERS = (Role.SUPERVISOR, Role.ADMIN)
EDITABLE = ("name", "services", "region", "secure_channel")


def directory(membership: Membership) -> "QuerySet[ServiceProvider]":
    """The providers of her organisation; none while her workspace is emptied (frozen,
    travelling, under duress): who helps survivors, where, and their secure channels are
    for nobody standing over her. The directory then looks like one nobody has filled in."""
    if workspace_is_empty(membership.user):
        return ServiceProvider.objects.none()
    return membership.organisation.providers.all()


def may_keep_directory(membership: Membership | None) -> bool:
    return membership is not None and membership.role in KEEPERS


def _require_keeper(by: User, organisation_id: int) -> None:
    membership = Membership.objects.active().filter(user_id=by.pk, organisation_id=organisation_id).first()
    if not may_keep_directory(membership):
        raise PermissionDenied(_("Only supervisors and administrators keep the provider directory."))


def _check(provider: ServiceProvider) -> None:
    name = provider.name = (provider.name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the provider's name.")})
    others = ServiceProvider.objects.filter(organisation_id=provider.organisation_id, name__iexact=name)
    if others.exclude(pk=provider.pk).exists():
        raise ValidationError({"name": _("A provider with this name is already in the directory.")})
    if any(service not in ServiceType.values for service in provider.services):
        raise ValidationError({"services": _("Choose services from the list.")})


@transaction.atomic
def provider_add(
    *,
    by: User,
    organisation: Organisation,
    name: str,
    services: Iterable[str] = (),
    region: str = Region.UNKNOWN,
    secure_channel: str = "",
) -> ServiceProvider:
    _require_keeper(by, organisation.pk)
    provider = ServiceProvider(
        organisation=organisation, name=name, services=list(services), region=region, secure_channel=secure_channel
    )
    _check(provider)
    provider.full_clean(exclude=["organisation"], validate_unique=False, validate_constraints=False)
    provider.save()
    return provider


@transaction.atomic
def provider_update(*, by: User, provider: ServiceProvider, version: int, **changes: Any) -> ServiceProvider:
    _require_keeper(by, provider.organisation_id)
    fields = apply(provider, changes, EDITABLE)
    if "services" in changes:
        provider.services = list(provider.services)
    _check(provider)
    return save_versioned(provider, version=version, fields=fields)


@transaction.atomic
def provider_set_active(*, by: User, provider: ServiceProvider, active: bool, version: int) -> ServiceProvider:
    """Deactivate (``active=False``) or reactivate a provider; nothing is ever deleted."""
    _require_keeper(by, provider.organisation_id)
    provider.is_active = bool(active)
    return save_versioned(provider, version=version, fields=["is_active"])
