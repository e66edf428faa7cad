"""Settings for the catalogue, read from the environment.

Every variable is listed in `.env.example`. Unset, they give a local development site on a
SQLite file; production sets DJANGO_DEBUG=0, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for a local development site)."
        )
    # Only ever used with DEBUG on, on a developer's own machine.
    SECRET_KEY = "local-development-only-key-never-used-in-production-0123456789"  # nosec B105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "partnerships",
    "catalogue",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    # Static files are answered here, before anything that could touch the database.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the CSRF check reads a body: a 413 for one larger than its sender may send.
    "config.middleware.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Request bodies. Readers who are not signed in only ever send the sign-in form; editors send
# case studies (form data up to DATA_UPLOAD_MAX_MEMORY_SIZE) and imports (files up to 1 MB,
# catalogue.imports.MAX_BYTES), which stay in memory rather than in a temporary file.
MAX_ANONYMOUS_BODY_BYTES = 64 * 1024
MAX_SIGNED_IN_BODY_BYTES = 4 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, 2.5 MB
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

ROOT_URLCONF = "config.urls"

# The catalogue's pages for the actors: `partnerships` knows nothing of the catalogue.
ABSOLUTE_URL_OVERRIDES = {
    f"partnerships.{model}": (
        lambda obj, name=f"catalogue:{model}_detail": reverse(name, kwargs={"slug": obj.slug})
    )
    for model in ["council", "organisation", "partnership"]
}
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "catalogue.context_processors.navigation",
                "catalogue.context_processors.site_facts",
            ],
        },
    },
]

# Form widgets may be overridden in templates/ (see templates/django/forms/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# A database that stops answering gives the 503 page within seconds rather than holding a
# worker until gunicorn kills it: connecting gives up after DJANGO_DB_CONNECT_TIMEOUT seconds
# (a server that accepts and never answers, or a host that is gone), and on PostgreSQL a
# statement after DJANGO_DB_STATEMENT_TIMEOUT seconds (0: none; config/wsgi.py sets 20 for
# the web server, so commands such as migrate keep no limit). Keepalives notice a vanished
# host on an open connection.
DB_CONNECT_TIMEOUT = int(os.environ.get("DJANGO_DB_CONNECT_TIMEOUT") or "2")
DB_STATEMENT_TIMEOUT = int(os.environ.get("DJANGO_DB_STATEMENT_TIMEOUT") or "0")


def database(url: str) -> dict:
    """The DATABASES entry for a database URL, with the timeouts above."""
    config = dj_database_url.parse(
        url,
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"] == "django.db.backends.postgresql":
        options.setdefault("connect_timeout", DB_CONNECT_TIMEOUT)
        if DB_STATEMENT_TIMEOUT:
            options.setdefault("options", f"-c statement_timeout={DB_STATEMENT_TIMEOUT * 1000}")
        options.update(keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3)
        options.setdefault("tcp_user_timeout", DB_CONNECT_TIMEOUT * 5000)
        # Parameters bound by the server, so a query a connection runs again and again (a
        # stored case study page's, a list page's counts) is planned once, from its sixth
        # run, rather than on every run: planning was a third of such a query's time.
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        # Take the write lock when a transaction starts, and wait up to 20 s for it: two
        # editors saving at once are serialised (the second gets the conflict form), never
        # "database is locked". Write-ahead logging: a reader (such as a facet index build,
        # which reads everything in one transaction) never blocks a writer, nor a writer a
        # reader; with it, synchronous=NORMAL syncs at checkpoints, not at every commit: a
        # crash of the site loses nothing committed, a power cut at worst the last commits.
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
    return config


DATABASES = {
    "default": database(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rendered public pages are cached (catalogue/caching.py), keyed on the catalogue's version.
# Redis when REDIS_URL is set (shared by every process; give it a maxmemory and the
# allkeys-lru policy, see docs/operations.md); otherwise each process's memory, bounded to
# CATALOGUE_CACHE_ENTRIES pages (a list page is 100-160 KB: 300 pages are under 50 MB).
CATALOGUE_CACHE = env_bool("CATALOGUE_CACHE", True)
# Each process rebuilds its facet index (catalogue/facets.py) in a background thread after an
# edit, answering from the old one meanwhile; off, the request that sees the edit rebuilds it.
CATALOGUE_INDEX_IN_BACKGROUND = env_bool("CATALOGUE_INDEX_IN_BACKGROUND", True)
# Where the processes of one machine share each new index, so that one builds it and the others
# load it (catalogue.facets.shared_build); empty: each builds its own.
CATALOGUE_INDEX_DIR = os.environ.get(
    "CATALOGUE_INDEX_DIR", str(Path(tempfile.gettempdir()) / f"catalogue-index-{os.getuid()}")
)
if REDIS_URL := os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "catalogue",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("CATALOGUE_CACHE_ENTRIES", "300"))},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security: strict whenever DEBUG is off; a local HTTP development site keeps plain cookies.
# The Content-Security-Policy applies everywhere, development included, so a page that needs
# an inline script or style fails early. Scripts and styles come from our own static files.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    if env_bool("DJANGO_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Where readers write to the editors: shown in the footer, the About page and the
# accessibility statement. Set it for a real site; the default only marks the place.
CONTACT_EMAIL = os.environ.get("DJANGO_CONTACT_EMAIL") or "catalogue@example.org"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

# Editorial workflow (issue 5): a version of every edit, sign-in throttling, short sessions.
INSTALLED_APPS += ["simple_history", "axes"]
MIDDLEWARE += [
    # Records who made each change in the case-study history (needs request.user).
    "simple_history.middleware.HistoryRequestMiddleware",
    # django-axes asks to be last: it turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one account from one address lock that pair out for 15 minutes;
# locking by username alone would let anyone lock an editor out from anywhere.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
if env_bool("DJANGO_BEHIND_PROXY", False):
    AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
# Only editors have sessions: they end after DJANGO_SESSION_IDLE_SECONDS without a request
# (4 hours by default, long enough to write a case study) or when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_IDLE_SECONDS", str(4 * 60 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Read-only JSON API under /api/: Django REST framework, with drf-spectacular for the OpenAPI
# document (the reference page at /api/docs/ is rendered from it by catalogue/api_reference.py).
INSTALLED_APPS += ["rest_framework", "drf_spectacular"]
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Reads need no account, and no session or CSRF machinery runs for the API.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    # Pagination is set on the views (catalogue.api): pages the size of the list page's.
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # `format` is not a filter here, and JSON is the only representation.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    # Its deploy check builds the schema, reading vocabularies from the database; the test
    # suite builds and validates the schema instead (schemathesis), against a real database.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "TITLE": "Council partnerships catalogue API",
    "DESCRIPTION": (
        "Read-only JSON for the catalogue's published case studies, the councils, partner "
        "organisations, partnerships and service areas they involve, and the codebook of every "
        "vocabulary. `/api/case-studies/` takes the same query string as `/case-studies/`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {
        "ResponseTypeEnum": "catalogue.models.ResponseType",
        "RegionEnum": "partnerships.models.Region",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "catalogue.api.document_error_responses",
    ],
}
