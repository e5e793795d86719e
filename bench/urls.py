"""casework's addresses, and beside them the bench's bare Django page. Never in ``casework``:
``bench.wsgi`` points Django at this module, for the gunicorn it starts and nothing else."""

import os

from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path

from bench import environment
from casework.urls import urlpatterns as casework_urlpatterns

# The site's own shell (base.html, with its context processors, for a signed-in person)
# around filler: the same size as the case page, without a case or a permission question.
SHELL = Template(
    '{% extends "base.html" %}{% block title %}bare{% endblock %}{% block content %}<p>{{ filler }}</p>{% endblock %}'
)


_filler = []  # sized on the first request, then reused: each request renders the shell once


def bare(request):
    if not _filler:
        shell = SHELL.render(RequestContext(request, {"filler": ""}))
        _filler.append("x" * max(0, int(os.environ.get("BENCH_BARE_BYTES", "20000")) - len(shell.encode())))
    return HttpResponse(SHELL.render(RequestContext(request, {"filler": _filler[0]})))


urlpatterns = [path(environment.BARE_DJANGO_PATH.strip("/") + "/", bare), *casework_urlpatterns]
