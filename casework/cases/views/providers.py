"""The organisation's directory of service providers (not case content).

Everyone with an active membership sees her own organisation's directory (caseworkers
pick from it); supervisors and admins keep it. A provider of another organisation, or
no membership at all, is the same 404 as a provider that does not exist.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.cases.choices import ServiceType
from casework.cases.forms.providers import ProviderActiveForm, ProviderForm
from casework.cases.services import providers as services
from casework.cases.services.common import EditConflict
from casework.web import doors
from casework.web.forms import form_page


def _with_service_labels(providers):
    labels = dict(ServiceType.choices)
    for provider in providers:
        provider.service_labels = [labels.get(service, service) for service in provider.services]
    return providers


@doors.provider_directory()
def provider_list(request, membership):
    providers = services.directory(membership).order_by("-is_active", "name")
    context = {"providers": _with_service_labels(list(providers)), "may_keep": services.may_keep_directory(membership)}
    return render(request, "providers/provider_list.html", context)


@doors.provider_page()
def provider_detail(request, membership, provider):
    context = {
        "provider": _with_service_labels([provider])[0],
        "may_keep": services.may_keep_directory(membership),
        "active_form": ProviderActiveForm(initial={"version": provider.version, "active": not provider.is_active}),
    }
    return render(request, "providers/provider_detail.html", context)


@doors.provider_directory(keep=True)
def provider_create(request, membership):
    form = ProviderForm(request.POST or None, organisation=membership.organisation)

    def create(form):
        provider = services.provider_add(by=request.user, organisation=membership.organisation, **form.changes())
        messages.success(request, _("Provider added to the directory."))
        return redirect("providers:detail", provider.uid)

    return form_page(request, form, "providers/provider_form.html", {}, create)


@doors.provider_page(keep=True)
def provider_edit(request, membership, provider):
    form = ProviderForm(request.POST or None, instance=provider, organisation=membership.organisation)

    def save(form):
        services.provider_update(
            by=request.user, provider=provider, version=form.cleaned_data["version"], **form.changes()
        )
        messages.success(request, _("Provider saved."))
        return redirect("providers:detail", provider.uid)

    return form_page(request, form, "providers/provider_form.html", {"provider": provider}, save)


@require_POST
@doors.provider_page(keep=True)
def provider_set_active(request, membership, provider):
    form = ProviderActiveForm(request.POST)
    if not form.is_valid():
        return render(request, "400.html", status=400)
    active, version = form.cleaned_data["active"], form.cleaned_data["version"]
    try:
        services.provider_set_active(by=request.user, provider=provider, active=active, version=version)
    except EditConflict:
        messages.error(request, _("Someone changed this provider while you were looking. Check it and try again."))
        return redirect("providers:detail", provider.uid)
    messages.success(request, _("Provider reactivated.") if active else _("Provider deactivated."))
    return redirect("providers:detail", provider.uid)


# Under /providers/, in the "providers" namespace.
urls = [
    path("", provider_list, name="list"),
    path("new/", provider_create, name="new"),
    path("<str:uid>/", provider_detail, name="detail"),
    path("<str:uid>/edit/", provider_edit, name="edit"),
    path("<str:uid>/active/", provider_set_active, name="set_active"),
]
