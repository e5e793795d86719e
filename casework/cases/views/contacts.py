from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from casework.audit.models import AuditEntry
from casework.cases.choices import ParticipantRole
from casework.cases.forms.contacts import ContactForm
from casework.cases.models import Contact
from casework.cases.services import contacts as services
from casework.cases.services.contacts import CONTACT_FIELDS
from casework.cases.views.places import saved_on_case_page
from casework.web import doors
from casework.web.forms import form_page
from casework.web.paging import CappedPaginator


def contact_history(contact):
    """Who recorded and changed ``contact``, when, and which fields: never a value.

    Only field names are read from the trail, so even a free-text change that slipped
    past the mask could not reach the page.
    """
    entries = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Contact),
            object_pk=str(contact.pk),
            action__in=[AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE],
        )
        .select_related("actor")
        .order_by("-timestamp", "-pk")
    )
    return [
        {
            "at": entry.timestamp,
            "by": entry.actor,
            "created": entry.action == AuditEntry.Action.CREATE,
            "fields": [_label(name) for name in CONTACT_FIELDS if name in entry.changes_dict],
        }
        for entry in entries
    ]


def _label(name):
    return capfirst(Contact._meta.get_field(name).verbose_name)


CONTACTS_PER_PAGE = 50


@doors.case_page("view")
def contact_list(request, case):
    """Every contact of the case, newest first, a page at a time (the case page shows the newest)."""
    page = CappedPaginator(case.contacts.all(), CONTACTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/contact_list.html", {"case": case, "page": page, "contacts": page.object_list})


@doors.case_record("contacts")
def contact_detail(request, case, contact):
    context = {
        "case": case,
        "record": contact,
        "participants": [ParticipantRole(role).label for role in contact.participants if role in ParticipantRole],
        "history": contact_history(contact),
        "may_change": case.allows(request.user, "change"),
    }
    return render(request, "cases/contact_detail.html", context)


@doors.case_page("change")
def contact_create(request, case):
    """The full form; the case page's quick-add posts here too, and lands here if anything is wrong."""
    form = ContactForm(request.POST or None)

    def add(form):
        services.contact_add(by=request.user, case=case, **form.changes())
        return saved_on_case_page(request, case, "timeline", _("Contact logged."))

    return form_page(request, form, "cases/contact_form.html", {"case": case}, add)


@doors.case_record("contacts", "change")
def contact_edit(request, case, contact):
    form = ContactForm(request.POST or None, instance=contact)

    def save(form):
        services.contact_update(
            by=request.user, contact=contact, version=form.cleaned_data["version"], **form.changes()
        )
        messages.success(request, _("Contact saved."))
        return redirect("cases:contact", case.display_code, contact.uid)

    return form_page(request, form, "cases/contact_form.html", {"case": case, "record": contact}, save)


# Under /cases/<code>/contacts/, in the "cases" namespace.
urls = [
    path("", contact_list, name="contact_list"),
    path("new/", contact_create, name="contact_new"),
    path("<str:uid>/", contact_detail, name="contact"),
    path("<str:uid>/edit/", contact_edit, name="contact_edit"),
]
