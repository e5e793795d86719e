"""The shape of the code: every page goes through one door from casework.web.doors, and apps
import downwards only (no app imports another app's views)."""

import ast
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

from casework.accounts.middleware import HALF_SIGNED_IN
from casework.web import doors

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "casework"
DOORS = {
    "public",
    "second_step",
    "signed_in",
    "workspace",
    "intake",
    "case_page",
    "case_record",
    "exporter",
    "provider_directory",
    "provider_page",
    "administrator",
    "access_directory",
    "directory_case",
    "confirmer",
    "protector",
    "organisation_supervisor",
    "reviewer",
    "case_reviewer",
    "partners_member",
    "partnership_page",
    "partner_intake",
    "inbox_packet",
    "partner_exchange",
    "reporter",
}


def _patterns(resolver=None, prefix=""):
    """Every URL pattern as (name with namespace, pattern text, view)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, namespace if entry.namespace else prefix)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name}", str(entry.pattern), entry.callback


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), filename=str(path))


def _imports(tree):
    """Every module name imported, with ``from a import b`` also giving ``a.b``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _app_of(path):
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


def _is_views(module):
    parts = module.split(".")
    return len(parts) >= 3 and parts[0] == "casework" and parts[2] == "views"


def test_every_page_goes_through_a_door():
    found = {name: getattr(view, "door", None) for name, _pattern, view in _patterns()}
    assert len(found) > 40  # the walk reaches the included URL lists
    assert {name for name, door in found.items() if door not in DOORS} == set()


def test_the_doors_the_test_knows_are_the_doors_there_are():
    # A new door must be added above (and thought about), not appear unnoticed.
    made = {name for name, _pattern, view in _patterns() if getattr(view, "door", None)}
    assert len(made) > 40
    assert {getattr(view, "door", None) for _name, _pattern, view in _patterns()} == DOORS
    assert all(callable(getattr(doors, name)) for name in DOORS)


def test_half_signed_in_pages_are_exactly_the_public_and_second_step_doors():
    # The middleware lets a password-only session reach these names; the doors say the same.
    opened = {name for name, _pattern, view in _patterns() if view.door in ("public", "second_step")}
    assert opened == HALF_SIGNED_IN


def test_no_app_imports_another_apps_views():
    crossing = []
    for path, tree in _modules():
        app = _app_of(path)  # the root URL list (no app) gathers every app's views: that is its job
        for module in _imports(tree):
            if app is not None and _is_views(module) and module.split(".")[1] != app:
                crossing.append(f"{path.relative_to(ROOT)} imports {module}")
    assert crossing == []


def test_the_web_package_imports_no_views_at_all():
    # It is below every app's views: the doors and pages they all stand on.
    found = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, tree in _modules()
        if _app_of(path) == "web"
        for module in _imports(tree)
        if _is_views(module)
    ]
    assert found == []


def test_views_take_their_gates_from_the_doors_module_only():
    """No module that serves a page writes its own decorator (``functools.wraps`` is the
    mark of one) or its own 404 page: those live in casework.web."""
    serving = {view.__module__ for _name, _pattern, view in _patterns() if view.__module__.startswith("casework.")}
    assert {"casework.cases.views.cases", "casework.audit.views", "casework.access.views.people"} <= serving
    problems = []
    for path, tree in _modules():
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module not in serving:
            continue
        if any(name in ("functools.wraps", "functools") for name in _imports(tree)):
            problems.append(f"{module} writes a decorator of its own")
        if '"404.html"' in path.read_text() or '"403.html"' in path.read_text():
            problems.append(f"{module} renders an error page itself")
    assert problems == []


def test_the_not_found_page_is_rendered_in_one_place():
    rendering = [
        str(path.relative_to(ROOT)) for path, _tree in _modules() if '"404.html", status=404' in path.read_text()
    ]
    assert rendering == ["casework/web/pages.py"]
