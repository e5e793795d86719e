"""No view reads case data except through restrict(): a static guard over every views module."""

import ast
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent / "casework"
CASE_MODELS = {"Case", "CaseAssignment", "Contact", "Referral", "SupportNeed", "Grant"}


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


def test_views_reach_case_data_only_through_restrict():
    offences = []
    for path in sorted(ROOT.glob("*/views.py")) + sorted(ROOT.glob("*/views/*.py")):
        for model, method in manager_calls(ast.parse(path.read_text())):
            if model in CASE_MODELS and method != "restrict":
                offences.append(f"{path.relative_to(ROOT)}: {model}.objects.{method}")
    assert not offences


def test_the_guard_catches_a_direct_read():
    tree = ast.parse("Case.objects.filter(code=code).first()")
    assert list(manager_calls(tree)) == [("Case", "filter")]
