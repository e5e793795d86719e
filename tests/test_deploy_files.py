"""What an operator copies from deploy/ names what exists: every variable, every command."""

import re
import runpy
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SETTINGS = ROOT / "casework" / "settings.py"
TEMPLATE = DEPLOY / "casework.env.example"
README = ROOT / "README.md"


def variables_read_by(path):
    return set(re.findall(r"\"((?:CASEWORK|DATABASE)_[A-Z0-9_]+)\"", path.read_text()))


def template_lines():
    return [line for line in TEMPLATE.read_text().splitlines() if line and not line.startswith("#")]


def test_the_environment_template_lists_every_variable_casework_reads():
    read = variables_read_by(SETTINGS) | variables_read_by(DEPLOY / "gunicorn.conf.py")
    assert {"CASEWORK_SECRET_KEY", "DATABASE_URL", "CASEWORK_BIND"} <= read  # the search finds them
    listed = {line.split("=", 1)[0] for line in template_lines()}
    assert read - listed == set(), "missing from deploy/casework.env.example"
    assert listed - read == set(), "listed in deploy/casework.env.example but read nowhere"


def test_the_environment_template_holds_no_value():
    assert template_lines()
    for line in template_lines():
        name, _, value = line.partition("=")
        assert value == "", f"{name} has a value in the template"


def test_the_readme_documents_every_variable():
    text = README.read_text()
    documented = set(re.findall(r"`((?:CASEWORK|DATABASE)_[A-Z0-9_]+)`", text))
    documented |= {f"CASEWORK_WORKING_HOURS_{end}" for end in ("START", "END")}  # written as one row
    missing = variables_read_by(SETTINGS) | variables_read_by(DEPLOY / "gunicorn.conf.py")
    assert missing - documented == set()


def test_every_scheduled_job_runs_a_command_that_exists_and_has_a_timer():
    commands = get_commands()
    services = sorted((DEPLOY / "systemd").glob("casework-*.service"))
    assert len(services) >= 4
    for service in services:
        text = service.read_text()
        command = re.search(r"^ExecStart=\S+ manage\.py (\S+)", text, re.M).group(1)
        assert command in commands, f"{service.name}: no command {command}"
        assert "EnvironmentFile=/etc/casework/casework.env" in text
        timer = service.with_suffix(".timer")
        assert timer.exists(), f"{service.name} has no timer"
        assert re.search(r"^OnCalendar=\S", timer.read_text(), re.M)


def test_the_jobs_the_issue_names_are_scheduled():
    run = " ".join(path.read_text() for path in (DEPLOY / "systemd").glob("casework-*.service"))
    for command in ("expire_grants", "audit_verify --incremental", "apply_retention", "clearsessions", "backup"):
        assert f"manage.py {command}" in run


def test_the_application_listens_on_the_loopback_only_and_keeps_no_access_log():
    namespace = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert namespace["bind"].startswith("127.0.0.1:")
    assert namespace["accesslog"] is None
    assert namespace["forwarded_allow_ips"] == "127.0.0.1"
