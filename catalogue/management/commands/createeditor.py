import getpass
import os
import sys

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ROLES = {"editor": "Editor", "publisher": "Publisher"}


class Command(BaseCommand):
    help = (
        "Create a staff account in an editorial role. Editors write and submit case studies; "
        "publishers also publish, unpublish and archive them. The password is asked for, or, "
        "for scripts, read from an environment variable (--password-from-env)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", nargs="?", help="Asked for when not given.")
        parser.add_argument("--role", choices=sorted(ROLES), default="editor")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="Read the password from this environment variable instead of asking "
            "(never put a password on the command line, where other users can see it).",
        )

    def handle(
        self,
        *args,
        username: str | None,
        role: str,
        email: str,
        password_from_env: str | None,
        **options,
    ) -> None:
        User = get_user_model()
        interactive = password_from_env is None
        while not username:
            self.check_terminal(interactive)
            username = self.ask(input, "Username: ").strip()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"There is already an account called {username!r}.")
        try:
            group = Group.objects.get(name=ROLES[role])
        except Group.DoesNotExist as error:
            raise CommandError(
                "The roles do not exist yet: run 'manage.py migrate' first."
            ) from error
        user = User(username=username, email=email, is_staff=True)
        if interactive:
            self.check_terminal(interactive)
            password = self.ask_password(user)
        else:
            password = self.password_from(password_from_env, user)
        with transaction.atomic():
            user.set_password(password)
            user.save()
            user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"Created {username!r} as {ROLES[role].lower()}."))

    def check_terminal(self, interactive: bool) -> None:
        if not interactive or not sys.stdin.isatty():
            raise CommandError(
                "There is no terminal to ask for a password. In a script, give the username "
                "and --password-from-env VAR, with the password in the variable VAR."
            )

    def password_from(self, variable: str, user) -> str:
        password = os.environ.get(variable)
        if not password:
            raise CommandError(f"The environment variable {variable} is not set or is empty.")
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(
                f"The password in {variable} was refused: " + " ".join(error.messages)
            ) from error
        return password

    def ask_password(self, user) -> str:
        """Prompt until the password is typed twice alike and passes the validators."""
        while True:
            password = self.ask(getpass.getpass, "Password: ")
            if password != self.ask(getpass.getpass, "Password (again): "):
                self.stderr.write("The two passwords differ; try again.")
                continue
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return password

    def ask(self, prompt_with, prompt: str) -> str:
        try:
            return prompt_with(prompt)
        except (EOFError, KeyboardInterrupt) as error:
            raise CommandError("No account was created.") from error
