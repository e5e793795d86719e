from django.utils import timezone

from casework.audit.review import reviewer
from casework.reports.queries import may_read_reports


def today(request):
    """The local date, for templates that mark what is due or overdue."""
    return {"today": timezone.localdate()}


def audit_review(request):
    """Whether to offer the audit review and access management in the navigation
    (supervisors and administrators), whether to offer the cases (not to administrators nor
    the reporting role), and the reports (supervisors and the reporting role).

    Asked only when a page shows the navigation, of the membership that came with the user.
    """

    # As offered: the same menu whether or not her workspace is emptied (frozen, travelling,
    # under duress), so that the menu does not tell whoever stands over her.
    def may_review():
        return reviewer(getattr(request, "user", None), as_offered=True) is not None

    def managing_role():  # "admin" or "supervisor" for those who manage access at /access/
        found = reviewer(getattr(request, "user", None), as_offered=True)
        return found.role if found is not None else ""

    def reports_role():  # "reporting" (no cases at all), "supervisor", or "" for no reports
        membership = getattr(request, "membership", None)
        return membership.role if may_read_reports(membership) else ""

    return {"may_review_audit": may_review, "managing_role": managing_role, "reports_role": reports_role}
