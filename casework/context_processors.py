from django.utils import timezone

from casework.audit.review import reviewer


def today(request):
    """The local date, for templates that mark what is due or overdue."""
    return {"today": timezone.localdate()}


def audit_review(request):
    """Whether to offer the audit review in the navigation (supervisors and administrators).

    Asked only when a page shows the navigation, and answered once per request: the
    review pages remember the same membership on the user.
    """

    def may_review():
        return reviewer(getattr(request, "user", None)) is not None

    return {"may_review_audit": may_review}
