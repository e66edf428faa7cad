"""Test settings: production settings, minus what a test client cannot do (HTTPS)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-8a7d1c")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"

from config.settings import *  # noqa: E402, F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared in-memory database: threads then lock it as the site's own
    # database does (test_concurrent_edits.py saves from two threads at once).
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"catalogue-tests-{os.getpid()}.sqlite3")
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the finders, as in development: tests do not run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Each test runs in one uncommitted transaction, which a background thread's own connection
# cannot see: the request rebuilds the facet index itself (tests of the background rebuild
# turn it on, in committed transactions).
CATALOGUE_INDEX_IN_BACKGROUND = False
# Each process builds its own index (the test of sharing gives it a folder of its own).
CATALOGUE_INDEX_DIR = ""
