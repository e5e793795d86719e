"""The restore drill, run as `make restore-drill` runs it, on the database the suite runs on;
and the refusals of backup and restore."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casework.backup import envelope


def test_the_restore_drill_backs_up_restores_and_finds_everything(tmp_path):
    if connection.vendor == "postgresql":
        settings = connection.settings_dict
        server = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/postgres"
    else:
        server = "sqlite://"
    printed = StringIO()
    call_command("restore_drill", "--server", server, "--cases", "4", "--sample", "4", stdout=printed)
    output = printed.getvalue()
    assert "The audit chain is intact" in output
    assert "all equal" in output
    assert "4 decrypted with the environment's keys through the restored key store, identical" in output
    assert output.rstrip().endswith("The restore drill passed.")


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    private, _public = envelope.new_key_pair()
    key = tmp_path / "key"
    key.write_text(private)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "a"), str(tmp_path / "b"), "--key", str(key))


def test_restore_refuses_a_key_that_is_not_one(tmp_path):
    key = tmp_path / "key"
    key.write_text("not a key")
    with pytest.raises(CommandError, match="Cannot use the private key"):
        call_command("restore", "a", "b", "--key", str(key))


def test_backup_needs_the_public_key(settings, tmp_path):
    settings.BACKUP_PUBLIC_KEY = None
    with pytest.raises(CommandError, match="CASEWORK_BACKUP_PUBLIC_KEY"):
        call_command("backup", "--to", str(tmp_path))


def test_a_new_key_pair_never_overwrites_an_old_private_key(tmp_path):
    path = tmp_path / "private"
    printed = StringIO()
    call_command("backup_key_new", str(path), stdout=printed)
    public = printed.getvalue().strip().removeprefix("CASEWORK_BACKUP_PUBLIC_KEY=")
    assert envelope.public_key_of(path.read_text().strip()) == public
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(CommandError, match="exists"):
        call_command("backup_key_new", str(path))
