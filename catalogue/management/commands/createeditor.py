import getpass

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ROLES = {"editor": "Editor", "publisher": "Publisher"}


class Command(BaseCommand):
    help = (
        "Create a staff account in an editorial role, prompting for its password. Editors "
        "write and submit case studies; publishers also publish, unpublish and archive them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", nargs="?", help="Asked for when not given.")
        parser.add_argument("--role", choices=sorted(ROLES), default="editor")
        parser.add_argument("--email", default="")

    def handle(self, *args, username: str | None, role: str, email: str, **options) -> None:
        User = get_user_model()
        while not username:
            username = input("Username: ").strip()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"There is already an account called {username!r}.")
        try:
            group = Group.objects.get(name=ROLES[role])
        except Group.DoesNotExist as error:
            raise CommandError(
                "The roles do not exist yet: run 'manage.py migrate' first."
            ) from error
        user = User(username=username, email=email, is_staff=True)
        password = self.ask_password(user)
        with transaction.atomic():
            user.set_password(password)
            user.save()
            user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"Created {username!r} as {ROLES[role].lower()}."))

    def ask_password(self, user) -> str:
        """Prompt until the password is typed twice alike and passes the validators."""
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The two passwords differ; try again.")
                continue
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return password
