from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Say how to create an account, if none exists yet (make run uses it)."

    def handle(self, *args, **options) -> None:
        if not get_user_model().objects.exists():
            self.stdout.write(
                "No account exists yet: in another terminal run 'make admin' (a superuser), "
                "'make editor' or 'make publisher' to create one."
            )
