"""Tests sign people in where it can be seen, with ``sign_in(client, user)``: the test client is
Django's own, and no test module but tests/signing.py calls the password step directly."""

import re
from pathlib import Path

from django.test import Client

from tests import signing

TESTS = Path(__file__).resolve().parent
# The name is taken from the helper rather than written here, so that this file is no hit of its scan.
NAME = signing.PASSWORD_STEP.__name__


def naming_the_password_step(root):
    """The Python files under ``root``, other than the helper, that name the password step."""
    pattern, helper = re.compile(rf"\b{NAME}\b"), Path(signing.__file__).resolve()
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if path.resolve() != helper and pattern.search(path.read_text(encoding="utf-8"))
    )


def test_the_test_client_signs_in_the_way_django_made_it(client):
    # Run with every autouse fixture in place: one that patched the client would show here.
    assert signing.PASSWORD_STEP.__module__ == "django.test.client"
    assert getattr(Client, NAME) is signing.PASSWORD_STEP
    assert getattr(type(client), NAME) is signing.PASSWORD_STEP
    assert NAME not in vars(client)


def test_no_test_module_but_the_helper_calls_the_password_step():
    assert naming_the_password_step(TESTS) == []


def test_the_scan_finds_a_direct_call_and_a_patch(tmp_path):
    (tmp_path / "test_direct.py").write_text(f"def test_it(client, user):\n    client.{NAME}(user)\n")
    (tmp_path / "conftest.py").write_text(f'monkeypatch.setattr(Client, "{NAME}", both_factors)\n')
    (tmp_path / "test_clean.py").write_text("def test_it(client, sign_in, user):\n    sign_in(client, user)\n")
    assert naming_the_password_step(tmp_path) == ["conftest.py", "test_direct.py"]
