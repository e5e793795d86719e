"""The door every case view goes through, and the way every workspace form behaves."""

import uuid
from functools import wraps

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from casework.access.models import Membership, Role
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases import codes
from casework.cases.forms.common import differences
from casework.cases.models import Case
from casework.cases.services.common import EditConflict
from casework.identity import guard


def not_found(request):
    """The one answer for "no such case" and "not yours": same page, same status."""
    return render(request, "404.html", status=404)


def for_case_workers(view):
    """Pages about cases in general (the list, finding by code) are for caseworkers and
    supervisors. Anyone else, administrators included, gets the page that does not exist:
    an administrator manages access at /access/ and has no business in /cases/."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        works_on_cases = Membership.objects.active().filter(
            user_id=request.user.pk, role__in=[Role.CASEWORKER, Role.SUPERVISOR]
        )
        if not works_on_cases.exists():
            return not_found(request)
        return view(request, *args, **kwargs)

    return wrapper


def forbidden(request):
    return render(request, "403.html", status=403)


def case_view(action="view", event=None):
    """Load the case named in the URL through the permission layer, or answer 404/403.

    Whoever may not see the case gets 404, whoever sees it but may not ``action`` it
    gets 403; both are audited, and the response is returned (not raised) so that the
    request's transaction commits the audit entry. A page that shows case content
    (a successful GET) is audited as ``case.view``. Denials are recorded as ``event``
    (``case.<action>`` from the catalogue unless named).
    """
    event = event or events.for_case_action(action)

    def decorator(view):
        @wraps(view)
        def wrapper(request, code, *args, **kwargs):
            normalised = codes.normalise(code)
            visible = Case.objects.restrict(request.user, "view").select_related("team", "organisation")
            case = visible.filter(code=normalised).first() if normalised else None
            if case is None:
                # Only a well-formed code is kept: a mistyped URL may hold anything, a name included.
                record(event=event, actor=request.user, outcome=Outcome.DENIED, case_code=normalised or "")
                return not_found(request)
            if action != "view" and not case.allows(request.user, action):
                record(event=event, actor=request.user, outcome=Outcome.DENIED, case=case)
                return forbidden(request)
            request.case_page = {"page": view.__name__}
            response = view(request, case, *args, **kwargs)
            if request.method == "GET" and response.status_code == 200:
                record(event=events.CASE_VIEW, actor=request.user, case=case, details=request.case_page)
            return response

        return wrapper

    return decorator


def case_child_view(related, action="view", select=()):
    """Like ``case_view``, then load the record ``uid`` from ``case.<related>`` (with the
    ``select`` relations): a record of another case, a malformed or an unknown id are all
    the same 404."""

    def decorator(view):
        @case_view(action)
        @wraps(view)
        def wrapper(request, case, uid, *args, **kwargs):
            child = find_child(getattr(case, related).select_related(*select), uid)
            if child is None:
                record(event=events.for_case_action(action), actor=request.user, outcome=Outcome.DENIED, case=case)
                return not_found(request)
            request.case_page.update(record=child._meta.model_name, uid=str(child.uid))
            return view(request, case, child, *args, **kwargs)

        return wrapper

    return decorator


def find_child(records, uid):
    try:
        uid = uuid.UUID(str(uid))
    except ValueError:
        return None
    return records.filter(uid=uid).first()


def form_page(request, form, template, context, on_valid, quoted=None):
    """Show ``form``; on a valid POST call ``on_valid(form)`` (which saves and returns a redirect).

    Invalid input is shown again with its messages and a 400, nothing saved. A save over
    a newer version shows the conflict page with both versions and what the user typed.
    A rule the service enforces comes back as a message, and its writes are rolled back.
    Free text that quotes the case's identity goes through ``identity_check``.
    """
    if request.method == "POST" and form.is_valid():
        kept = identity_check(request, form, context.get("case"), quoted)
        if kept is not None:
            try:
                response = on_valid(form)
            except EditConflict as conflict:
                return conflict_page(request, form, conflict.current, context)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if kept and context.get("case") is not None:
                    record_kept(request, context["case"], form, kept)
                return response
    return render(request, template, {**context, "form": form}, status=400 if form.is_bound else 200)


KEEP_AS_WRITTEN = "keep_as_written"


def identity_check(request, form, case, quoted=None):
    """The free-text guard. ``form.identity_guarded`` names its free-text fields and
    ``form.identity_forbidden`` those that end up in the audit trail (reasons), which may
    never quote an identity. ``quoted(form)`` overrides how quoting fields are found.

    Every hit is recorded as ``identity.in_text`` (field names, never what matched).
    Whoever may reveal the identity is asked to pseudonymise the text or keep it on
    purpose. Anyone else is answered exactly as if nothing matched: a warning would tell
    her that her guess is the survivor's name, so only her supervisors hear of it.

    Returns the fields kept as written after a deliberate confirmation ([] when nothing
    quoted, or when the writer may not be told), or None when the form now carries errors.
    """
    found = quoted(form) if quoted is not None else _fields_quoting(form, case)
    if not found:
        return []
    told = case is None or case.allows(request.user, "reveal")
    if case is not None:
        record_in_text(request.user, case, type(form).__name__, found, told=told)
    if not told:
        return []
    forbidden = [name for name in found if name in getattr(form, "identity_forbidden", ())]
    if not forbidden and request.POST.get(KEEP_AS_WRITTEN) == "on":
        return found
    for name in found:
        if name in forbidden:
            form.add_error(name, _("Leave names and phone numbers out of this: it is kept in the audit trail."))
        else:
            form.add_error(name, QUOTES_IDENTITY)
    if len(forbidden) < len(found):
        form.fields[KEEP_AS_WRITTEN] = forms.BooleanField(
            label=_("Keep it as written"),
            required=False,
            help_text=_("Only if it must be: keeping it is recorded in the audit trail."),
        )
    return None


def _fields_quoting(form, case):
    guarded = getattr(form, "identity_guarded", ())
    if case is None or not guarded:
        return []
    return guard.fields_quoting_case(case, {name: form.cleaned_data.get(name) for name in guarded})


def record_in_text(user, case, form_name, fields, *, told):
    """A guard hit, for the case's supervisors: which form and fields, whether the writer
    was warned (she may reveal) or answered as if nothing matched; never what matched."""
    record(
        event=events.IDENTITY_IN_TEXT,
        actor=user,
        case=case,
        details={"fields": sorted(fields), "form": form_name, "told": told},
    )


QUOTES_IDENTITY = _(
    "This seems to quote a name or phone number from this case's identity record. Write the case code "
    'or a role instead (the client, her sister, the broker), or tick "Keep it as written" below.'
)


def record_kept(request, case, form, fields):
    """A deliberate choice to keep identifying text in a note: which fields, never what."""
    record(
        event=events.IDENTITY_KEPT_IN_TEXT,
        actor=request.user,
        case=case,
        details={"fields": sorted(fields), "form": type(form).__name__},
    )


def conflict_page(request, form, current, context):
    """Both versions side by side; the user's form again, now based on the saved version,
    so that saving it is a deliberate choice to overwrite."""
    rows = differences(form, current)
    form.data = form.data.copy()
    form.data["version"] = str(current.version)
    return render(request, "cases/conflict.html", {**context, "form": form, "rows": rows}, status=409)
