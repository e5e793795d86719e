"""No view reads case data except through restrict(): a static guard over every views module."""

import ast
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent / "casework"
CASE_MODELS = {"Case", "CaseAssignment", "Contact", "Referral", "SupportNeed", "Grant", "JourneyStep"}


def manager_calls(tree):
    """(model, method) for every ``Model.objects.method(...)`` in the tree."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("objects", "_default_manager", "_base_manager")
            and isinstance(node.value.value, ast.Name)
        ):
            yield node.value.value.id, node.attr


def test_the_guard_knows_every_case_scoped_model():
    scoped = {
        m.__name__ for m in apps.get_app_config("cases").get_models() if any(f.name == "case" for f in m._meta.fields)
    }
    assert scoped - {"CaseUserObjectPermission", "CaseGroupObjectPermission"} <= CASE_MODELS


# The access pages manage assignments and grants (their subject), and reach cases only
# through the access directory, which holds no content.
ACCESS_VIEWS_MAY = {("Case", "access_directory"), ("Grant", "*"), ("CaseAssignment", "*")}


def offences_in(path, source):
    in_access_views = path.parts[:2] == ("access", "views")
    for model, method in manager_calls(ast.parse(source)):
        if model not in CASE_MODELS or method == "restrict":
            continue
        if in_access_views and ({(model, method), (model, "*")} & ACCESS_VIEWS_MAY):
            continue
        yield f"{path}: {model}.objects.{method}"


def test_views_reach_case_data_only_through_restrict():
    offences = []
    for path in sorted(ROOT.glob("*/views.py")) + sorted(ROOT.glob("*/views/*.py")):
        offences += offences_in(path.relative_to(ROOT), path.read_text())
    assert not offences


def test_only_the_access_pages_use_the_access_directory():
    source = "Case.objects.access_directory(user).first()"
    assert list(offences_in(Path("cases/views/cases.py"), source))
    assert not list(offences_in(Path("access/views/cases.py"), source))
    assert list(offences_in(Path("access/views/cases.py"), "Case.objects.filter(pk=1)"))


def test_the_guard_catches_a_direct_read():
    tree = ast.parse("Case.objects.filter(code=code).first()")
    assert list(manager_calls(tree)) == [("Case", "filter")]
