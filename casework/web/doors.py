"""Every page's door: who may open it, and the one answer for everyone else.

Each page of casework goes through exactly one door from this module, named on the view
(``view.door``) so that a test can walk every URL and find it. The rule behind them all:
what you may not see answers 404, the same as what does not exist; what you may see but
not do answers 403. A refusal that reveals interest in a case or the trail is audited.
The door reads the request's membership (``request.membership``, loaded once per request
by ``casework.web.middleware``); the permission layer (``Case.objects.restrict``) stays
the only way to case content.

- ``public``: anyone, signed in or not (signing in, quick exit, the language).
- ``second_step``: a password given, the second factor not yet (verify, enrol).
- ``signed_in``: anyone fully signed in (home, her own security settings).
- ``workspace``: caseworkers and supervisors (the case list, finding by code).
- ``intake``: whoever may open a case in some team.
- ``case_page`` / ``case_record``: a case she may see (and act on), and a record of it.
- ``exporter``: supervisors (the de-identified case export).
- ``provider_directory`` / ``provider_page``: any member; keeping it, supervisors and admins.
- ``administrator`` / ``administrator_finds``: the organisation's administrators.
- ``access_directory`` / ``directory_case``: administrators and supervisors at /access/.
- ``confirmer``: supervisors who may vouch and confirm.
- ``protector``: a supervisor who could vouch for the person named, about her protections.
- ``organisation_supervisor``: a vouched supervisor, for her organisation (retention rules, leaving).
- ``reviewer`` / ``case_reviewer``: whoever reviews the audit trail.
- ``partners_member`` / ``partnership_page``: members (of some roles) at /partners/.
- ``partner_intake`` / ``inbox_packet``: who works the partner intake inbox, and a packet in it.
- ``partner_exchange``: files for partners on another server, for whom casework.partners.exchange names.
- ``reporter``: the reports (aggregates only): vouched supervisors (their teams), the reporting role.
"""

import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpResponse

from casework.access import services as access
from casework.access.models import Membership, Role
from casework.accounts.models import workspace_is_empty
from casework.accounts.protection import may_protect
from casework.accounts.services import SignedInRequest
from casework.audit import events, review
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases import codes
from casework.cases.forms.cases import intake_teams
from casework.cases.models import Case
from casework.cases.services import export
from casework.cases.services import providers as provider_services
from casework.keystore.services import KeyErased
from casework.partners import services as partner_services
from casework.reports.queries import Scope, scope_of
from casework.web.pages import forbidden, not_found

View = Callable[..., HttpResponse]
M = TypeVar("M", bound=Model)
logger = logging.getLogger(__name__)


class DoorRequest(SignedInRequest):
    """For the checker: what a door puts on the request (``membership`` is there before)."""

    membership: Membership | None
    case_page: dict[str, str]
    directory: "QuerySet[Case]"
    pending: Any


def _named(door: str, wrapper: View) -> View:
    wrapper.door = door  # type: ignore[attr-defined]
    return wrapper


def _membership(request: DoorRequest) -> Membership | None:
    return request.membership


# Signing in ---------------------------------------------------------------------------


def public(view: View) -> View:
    """Open to anyone, signed in or not."""
    return _named("public", login_not_required(view))


def second_step(view: View) -> View:
    """For someone who has given her password and not yet her second factor (or is enrolling
    one); ``casework.accounts.middleware`` lets these through, and only these."""
    return _named("second_step", view)


def signed_in(view: View) -> View:
    """For anyone fully signed in (the middleware turns everyone else away)."""
    return _named("signed_in", view)


# The workspace ------------------------------------------------------------------------


def workspace(view: View) -> View:
    """Pages about cases in general (the list, finding by code) are for caseworkers and
    supervisors. Anyone else, administrators included, gets the page that does not exist:
    an administrator manages access at /access/ and has no business in /cases/."""

    @wraps(view)
    def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = _membership(request)
        if membership is None or membership.role not in (Role.CASEWORKER, Role.SUPERVISOR):
            return not_found(request)
        return view(request, *args, **kwargs)

    return _named("workspace", wrapper)


def intake(view: View) -> View:
    """For whoever may open a case: a vouched caseworker or supervisor with a team. While
    her workspace is emptied (frozen, travelling, under duress) the door still opens, as it
    would on any day, and the view writes nothing (``case_create``)."""

    @wraps(view)
    def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not intake_teams(request.user, shown=True).exists():
            return not_found(request)  # admins and people without a team open no cases
        return view(request, *args, **kwargs)

    return _named("intake", wrapper)


def case_page(action: str = "view", event: str | None = None) -> Callable[[View], View]:
    """Load the case named in the URL through the permission layer, or answer 404/403.

    Whoever may not see the case gets 404, whoever sees it but may not ``action`` it
    gets 403; both are audited, and the response is returned (not raised) so that the
    request's transaction commits the audit entry. A page that shows case content
    (a successful GET) is audited as ``case.view``. Denials are recorded as ``event``
    (``case.<action>`` from the catalogue unless named).
    """
    denied_as = event or events.for_case_action(action)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: DoorRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            normalised = codes.normalise(code)
            # One question: the case, and everything she may do on it (``case.allows`` reads it).
            visible = Case.objects.restrict(request.user, "view").with_actions(request.user)
            visible = visible.select_related("team", "organisation")
            case = visible.filter(code=normalised).first() if normalised else None
            if case is None:
                # Only a well-formed code is kept: a mistyped URL may hold anything, a name included.
                record(event=denied_as, actor=request.user, outcome=Outcome.DENIED, case_code=normalised or "")
                return not_found(request)
            if action != "view" and not case.allows(request.user, action):
                record(event=denied_as, actor=request.user, outcome=Outcome.DENIED, case=case)
                return forbidden(request)
            request.case_page = {"page": view.__name__}
            try:
                response = view(request, case, *args, **kwargs)
            except KeyErased:
                # Rows of an erased case, put back from an older backup: its key is gone, so
                # nothing of it opens. The same 404 as a case that does not exist; nothing
                # the view began is kept.
                logger.warning("A page needed the key of an erased case: answered 404.")
                if transaction.get_connection().in_atomic_block:
                    transaction.set_rollback(True)
                return not_found(request)
            if request.method == "GET" and response.status_code == 200:
                record(event=events.CASE_VIEW, actor=request.user, case=case, details=request.case_page)
            return response

        return _named("case_page", wrapper)

    return decorator


def case_record(related: str, action: str = "view", select: tuple[str, ...] = ()) -> Callable[[View], View]:
    """Like ``case_page``, then load the record ``uid`` from ``case.<related>`` (with the
    ``select`` relations): a record of another case, a malformed or an unknown id are all
    the same 404."""

    def decorator(view: View) -> View:
        @case_page(action)
        @wraps(view)
        def wrapper(request: DoorRequest, case: Case, uid: str, *args: Any, **kwargs: Any) -> HttpResponse:
            child = find_by_uid(getattr(case, related).select_related(*select), uid)
            if child is None:
                record(event=events.for_case_action(action), actor=request.user, outcome=Outcome.DENIED, case=case)
                return not_found(request)
            request.case_page.update(record=child._meta.model_name, uid=str(child.uid))
            return view(request, case, child, *args, **kwargs)

        return _named("case_record", wrapper)

    return decorator


def find_by_uid(records: "QuerySet[M]", uid: str) -> M | None:
    """The record of ``records`` with this uid; None for an unknown or malformed one."""
    try:
        key = uuid.UUID(str(uid))
    except ValueError:
        return None
    return records.filter(uid=key).first()


def exporter(view: View) -> View:
    """For supervisors: the de-identified export of the cases they may see."""

    @wraps(view)
    def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not export.may_export(_membership(request)):
            return not_found(request)  # the same answer as a page that does not exist
        return view(request, *args, **kwargs)

    return _named("exporter", wrapper)


# The provider directory (not case content) ----------------------------------------------


def provider_directory(keep: bool = False) -> Callable[[View], View]:
    """For any member of the organisation, who gets her membership as the view's first
    argument; ``keep`` pages (adding, editing) are for supervisors and admins: 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = _membership(request)
            if membership is None or membership.role == Role.REPORTING:
                return not_found(request)  # the reporting role reads reports, nothing else
            if keep and not provider_services.may_keep_directory(membership):
                return forbidden(request)
            return view(request, membership, *args, **kwargs)

        return _named("provider_directory", wrapper)

    return decorator


def provider_page(keep: bool = False) -> Callable[[View], View]:
    """Like ``provider_directory``, then the provider ``uid`` of her own organisation only
    (none while her workspace is emptied: ``providers.directory``)."""

    def decorator(view: View) -> View:
        @provider_directory(keep)
        @wraps(view)
        def wrapper(request: DoorRequest, membership: Membership, uid: str, *args: Any, **kwargs: Any) -> HttpResponse:
            provider = find_by_uid(provider_services.directory(membership), uid)
            if provider is None:
                return not_found(request)
            return view(request, membership, provider, *args, **kwargs)

        return _named("provider_page", wrapper)

    return decorator


# Access management (/access/) -------------------------------------------------------


def administrator(view: View) -> View:
    """For administrators of an organisation only; ``request.membership`` is hers."""

    @wraps(view)
    def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = _membership(request)
        if membership is None or membership.role != Role.ADMIN:
            return not_found(request)
        return view(request, *args, **kwargs)

    return _named("administrator", wrapper)


def administrator_finds(name: str, find: Callable[[Membership, str], Model | None]) -> Callable[[View], View]:
    """``administrator``, then ``find(her membership, the URL's <name>)`` loads what the page
    is about from her own organisation; nothing found (or another organisation's) is a 404.
    The view gets the found object in place of the name."""

    def decorator(view: View) -> View:
        @administrator
        @wraps(view)
        def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = _membership(request)
            assert membership is not None  # the administrator door let her in
            found = find(membership, kwargs.pop(name))
            if found is None:
                return not_found(request)
            return view(request, found, *args, **kwargs)

        return _named("administrator", wrapper)

    return decorator


def access_directory(view: View) -> View:
    """For administrators and supervisors; ``request.directory`` is the cases she manages
    access to (every case of an administrator's organisation, a supervisor's teams' cases)."""

    @wraps(view)
    def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = _membership(request)
        if membership is None or membership.role not in (Role.ADMIN, Role.SUPERVISOR):
            return not_found(request)
        request.directory = Case.objects.access_directory(request.user)
        return view(request, *args, **kwargs)

    return _named("access_directory", wrapper)


def _refused_code(request: DoorRequest, normalised: str | None) -> str:
    """The case code kept in the refusal of a look at one case her organisation manages
    access to or reviews. Only a well-formed code: a mistyped URL may hold anything, a name
    included. None while her workspace is emptied: administrators read these refusals, and
    one of her own organisation's cases refused to her would tell them she is protected."""
    return "" if workspace_is_empty(request.user) else normalised or ""


def directory_case(view: View) -> View:
    """``access_directory``, then the case named in the URL, found only among those she
    manages; any other code is a 404, audited as a denied ``access.case``."""

    @access_directory
    @wraps(view)
    def wrapper(request: DoorRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
        normalised = codes.normalise(code)
        directory = request.directory
        case = directory.filter(code=normalised).select_related("team").first() if normalised else None
        if case is None:
            code = _refused_code(request, normalised)
            record(event=events.ACCESS_CASE, actor=request.user, outcome=Outcome.DENIED, case_code=code)
            return not_found(request)
        return view(request, case, *args, **kwargs)

    return _named("directory_case", wrapper)


def confirmer(view: View) -> View:
    """For a vouched, active supervisor; ``request.pending`` is what she may decide (nothing
    while her workspace is emptied: the page opens as on any day, with nothing waiting)."""

    @wraps(view)
    def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = _membership(request)
        if membership is None or not access.confirming_membership(request.user, membership.organisation_id, shown=True):
            return not_found(request)
        request.pending = access.pending_for(request.user)  # nothing, while her workspace is emptied
        return view(request, *args, **kwargs)

    return _named("confirmer", wrapper)


def protector(view: View) -> View:
    """For a supervisor who may protect the person named in the URL (who could vouch for
    her: casework.accounts.protection); the view gets her user in place of the name. Anyone
    else, any other name, the same 404."""

    @wraps(view)
    def wrapper(request: DoorRequest, username: str, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = _membership(request)
        person: User | None = None
        if membership is not None and membership.role == Role.SUPERVISOR:
            members = User.objects.filter(membership__organisation_id=membership.organisation_id)
            person = members.filter(username=username).first()
        if person is None or not may_protect(request.user, person):
            return not_found(request)
        return view(request, person, *args, **kwargs)

    return _named("protector", wrapper)


def organisation_supervisor(event: str) -> Callable[[View], View]:
    """For a vouched, active supervisor, about her organisation as a whole (its retention
    rules, its leaving); she gets her membership as the view's first argument. Anyone else
    gets 404, recorded as a denied ``event``. While her workspace is emptied the pages open
    as on any day, and what she sends is refused before it reaches them
    (casework.accounts.middleware.EmptiedWorkspaceMiddleware)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = _membership(request)
            confirming = membership is not None and access.confirming_membership(
                request.user, membership.organisation_id, shown=True
            )
            if membership is None or not confirming:
                organisation = membership.organisation_id if membership is not None else None
                record(event=event, actor=request.user, outcome=Outcome.DENIED, organisation=organisation)
                return not_found(request)
            return view(request, membership, *args, **kwargs)

        return _named("organisation_supervisor", wrapper)

    return decorator


# The audit trail (/audit/) ------------------------------------------------------------


def _refused_review(request: DoorRequest, page: str, case_code: str = "") -> HttpResponse:
    """The same 404 as a page that does not exist; the attempt is kept in the trail."""
    details = {"page": page}
    record(event=events.AUDIT_VIEW, actor=request.user, outcome=Outcome.DENIED, case_code=case_code, details=details)
    return not_found(request)


def reviewer(page: str) -> Callable[[View], View]:
    """For whoever reviews the trail (an active administrator, a vouched supervisor);
    anyone else gets the 404, kept as a denied ``audit.view`` of ``page``. While her
    workspace is emptied (frozen, travelling, under duress) the door opens as on any day
    and the page finds nothing (``review.entries_for``)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if review.reviewer(request.user, as_offered=True) is None:
                return _refused_review(request, page)  # emptied, her pages open with nothing in them
            return view(request, *args, **kwargs)

        return _named("reviewer", wrapper)

    return decorator


def reviewer_finds(page: str, name: str, find: Callable[[Any, str], Any]) -> Callable[[View], View]:
    """``reviewer``, then ``find(user, the URL's <name>)`` loads what she may review (a
    person); the view gets it in place of the name; nothing found is the same refusal."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            value = kwargs.pop(name)
            found = find(request.user, value) if review.reviewer(request.user, as_offered=True) is not None else None
            if found is None:
                return _refused_review(request, page)
            return view(request, found, *args, **kwargs)

        return _named("reviewer", wrapper)

    return decorator


def case_reviewer(page: str) -> Callable[[View], View]:
    """For a supervisor of the case named in the URL (administrators review no case's
    timeline); the view gets the normalised code. Any other code is the same refusal."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: DoorRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            normalised = codes.normalise(code)
            if not review.may_review_case(request.user, normalised):
                return _refused_review(request, page, case_code=_refused_code(request, normalised))
            return view(request, normalised, *args, **kwargs)

        return _named("case_reviewer", wrapper)

    return decorator


# Partner organisations (/partners/) ----------------------------------------------------------


def _member_door(door: str, may: Callable[[Membership], bool]) -> Callable[[View], View]:
    """For a member whom ``may(her membership)`` lets in; she gets her membership as the
    view's first argument. Anyone else gets the page that does not exist."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = _membership(request)
            if membership is None or not may(membership):
                return not_found(request)
            return view(request, membership, *args, **kwargs)

        return _named(door, wrapper)

    return decorator


def partners_member(*roles: str) -> Callable[[View], View]:
    """For a vouched member of an organisation, with one of ``roles`` (any role but reporting if none given)."""
    return _member_door(
        "partners_member",
        lambda m: m.is_vouched and m.role != Role.REPORTING and (not roles or m.role in roles),
    )


def partnership_page(*roles: str) -> Callable[[View], View]:
    """Like ``partners_member``, then the partnership ``uid`` of her own organisation only
    (none while her workspace is emptied: her partner directory is empty then too)."""

    def decorator(view: View) -> View:
        @partners_member(*roles)
        @wraps(view)
        def wrapper(request: DoorRequest, membership: Membership, uid: str, *args: Any, **kwargs: Any) -> HttpResponse:
            partnerships = partner_services.partnerships_of(membership.organisation)
            if workspace_is_empty(request.user):
                partnerships = partnerships.none()
            partnership = find_by_uid(partnerships, uid)
            if partnership is None:
                return not_found(request)
            return view(request, membership, partnership, *args, **kwargs)

        return _named("partnership_page", wrapper)

    return decorator


def partner_intake(view: View) -> View:
    """The partner intake inbox: its organisation's supervisors, and the caseworkers they named.
    While her workspace is emptied it opens as on any day, with nothing waiting in it."""
    return _member_door("partner_intake", lambda membership: partner_services.works_intake(membership, shown=True))(
        view
    )


def inbox_packet(view: View) -> View:
    """Like ``partner_intake``, then a packet ``uid`` waiting in her organisation's inbox:
    a withdrawn, answered or unknown packet, or another organisation's, is the same 404."""

    @partner_intake
    @wraps(view)
    def wrapper(request: DoorRequest, membership: Membership, uid: str, *args: Any, **kwargs: Any) -> HttpResponse:
        packet = find_by_uid(partner_services.inbox(request.user), uid)
        if packet is None:
            return not_found(request)
        return view(request, membership, packet, *args, **kwargs)

    return _named("inbox_packet", wrapper)


# Partners on another server (/partners/exchange/) ------------------------------------------


def partner_exchange(may: Callable[[Membership | None], bool]) -> Callable[[View], View]:
    """For whoever ``may(her membership)`` lets in (casework.partners.exchange says who keeps
    the keys, confirms partners, carries or imports files)."""
    return _member_door("partner_exchange", may)


# Reports (/reports/) -----------------------------------------------------------------------


def reporter(view: View) -> View:
    """For whoever reads the reports (aggregates only, never a case): a vouched supervisor,
    about the teams she supervises (every team if she supervises all), and a vouched member
    of the reporting role, about the whole organisation. She gets the report's ``Scope`` as
    the view's first argument; anyone else the page that does not exist."""

    @wraps(view)
    def wrapper(request: DoorRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope: Scope | None = scope_of(_membership(request))
        if scope is None:
            return not_found(request)
        return view(request, scope, *args, **kwargs)

    return _named("reporter", wrapper)
