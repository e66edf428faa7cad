"""Making accounts from a script, and the hints and messages around it."""

import io
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tests.factories import ensure_roles, make_editor

ROOT = Path(__file__).resolve().parent.parent.parent


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_the_readmes_script_command_creates_a_publisher_without_a_prompt(monkeypatch):
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"^DJANGO_DEBUG=1 \.venv/bin/python manage\.py (createeditor .*)$",
                     readme, re.MULTILINE).group(1)  # fmt: skip
    variable = re.search(r"--password-from-env (\w+)", line).group(1)
    monkeypatch.setenv(variable, "a long passphrase of our own")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": pytest.fail("it asked"))
    ensure_roles()

    call_command(*shlex.split(line), stdout=io.StringIO())

    user = User.objects.get(username="alex")
    assert user.email == "alex@example.org"
    assert [group.name for group in user.groups.all()] == ["Publisher"]
    assert user.check_password("a long passphrase of our own")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        (None, "The environment variable NEW_PASSWORD is not set or is empty."),
        ("short", "The password in NEW_PASSWORD was refused: This password is too short."),
        ("password123456", "The password in NEW_PASSWORD was refused: This password is too "
         "common."),
    ],
)  # fmt: skip
def test_a_missing_or_refused_password_from_the_environment_is_a_plain_error(
    monkeypatch, password, message
):
    ensure_roles()
    monkeypatch.delenv("NEW_PASSWORD", raising=False)
    if password:
        monkeypatch.setenv("NEW_PASSWORD", password)

    with pytest.raises(CommandError) as refusal:
        call_command("createeditor", "sam", password_from_env="NEW_PASSWORD")

    assert str(refusal.value).startswith(message)
    assert not User.objects.filter(username="sam").exists()


@pytest.mark.django_db
def test_without_a_terminal_it_says_how_to_script_it_instead_of_prompting(monkeypatch):
    ensure_roles()
    monkeypatch.setattr("sys.stdin", io.StringIO("piped-password\n"))

    with pytest.raises(
        CommandError, match="no terminal to ask for a password.*--password-from-env"
    ):
        call_command("createeditor", "sam")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_prompt_ended_with_ctrl_d_creates_nothing(monkeypatch):
    ensure_roles()
    monkeypatch.setattr("sys.stdin", Terminal())

    def end_of_input(prompt=""):
        raise EOFError

    monkeypatch.setattr("getpass.getpass", end_of_input)
    with pytest.raises(CommandError, match="No account was created."):
        call_command("createeditor", "sam")
    assert not User.objects.exists()


def test_a_missing_secret_key_is_a_message_not_a_traceback():
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "createeditor", "alex"],
        env=environment, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip

    assert result.returncode == 1
    assert "Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for a local development site)." in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_make_run_says_how_to_create_an_account_only_while_there_is_none():
    def hint() -> str:
        out = io.StringIO()
        call_command("accounthint", stdout=out)
        return out.getvalue()

    assert "No account exists yet" in hint() and "make admin" in hint()
    make_editor()
    assert hint() == ""
    assert "manage.py accounthint" in (ROOT / "Makefile").read_text()


@pytest.mark.django_db(transaction=True)  # SQLite's backup waits for an open transaction
def test_backups_are_readable_by_their_owner_only(tmp_path):
    written = tmp_path / "backups" / "catalogue.backup"
    written.parent.mkdir()
    written.write_bytes(b"an older file, world-readable")
    written.chmod(0o644)

    call_command("backupdb", str(written), stdout=io.StringIO())

    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert written.stat().st_size > 1000
    fresh = tmp_path / "new" / "catalogue.backup"
    call_command("backupdb", str(fresh), stdout=io.StringIO())
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
