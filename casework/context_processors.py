from django.utils import timezone


def today(request):
    """The local date, for templates that mark what is due or overdue."""
    return {"today": timezone.localdate()}
