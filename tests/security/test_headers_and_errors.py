"""Production behaviour: headers, error pages, health, the database going away."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from catalogue.models import Status
from tests.factories import make_case_study

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_checks_pass_under_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-production-like-secret-key-" + "x7Qp" * 12,
        "DJANGO_ALLOWED_HOSTS": "catalogue.example.org",
    }
    env.pop("DJANGO_SECURE_SSL_REDIRECT", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests in this process
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "0"}
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_https_is_enforced_with_hsts_and_host_cookies(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/case-studies/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")

    secure = client.get("/admin/login/", secure=True)
    assert "max-age=31536000" in secure["Strict-Transport-Security"]
    cookie = secure.cookies["__Host-csrftoken"]
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]


@pytest.mark.django_db
def test_not_found_page_is_in_the_site_design(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Skip to main content" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/.git/", "/.git/config", "/.env", "/.htaccess", "/static/.env"])
def test_dotfiles_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_healthz_reports_the_database(client, monkeypatch):
    assert client.get("/healthz").json() == {"status": "ok", "database": "reachable"}

    def unreachable(self, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.mark.django_db
def test_pages_answer_503_while_the_database_is_down_and_recover(client, monkeypatch):
    make_case_study(title="Still here")
    client.raise_request_exception = False

    def unreachable(self, *args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "cursor", unreachable)
        down = client.get("/case-studies/")
        assert down.status_code == 503
        assert down["Retry-After"] == "30"
        page = down.content.decode()
        assert "unavailable" in page and "Traceback" not in page
        assert "connection refused" not in page.lower()

    assert "Still here" in client.get("/case-studies/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/case-studies/export.csv", "/case-studies/export.json"])
def test_exports_during_an_outage_get_the_503_page_not_a_cut_off_file(client, monkeypatch, path):
    make_case_study(title="Exported")
    client.raise_request_exception = False
    assert client.get(path).status_code == 200  # the catalogue's version and index are read

    def unreachable(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    # Both plain and server-side (chunked) cursors are made by _cursor().
    monkeypatch.setattr(BaseDatabaseWrapper, "_cursor", unreachable)
    response = client.get(path)
    assert response.status_code == 503
    assert not response.streaming
    assert "unavailable" in response.content.decode()


@pytest.mark.django_db
def test_other_errors_get_the_500_page_without_details(client, monkeypatch):
    client.raise_request_exception = False
    monkeypatch.setattr("catalogue.views.describe", lambda *a: 1 / 0)
    response = client.get("/case-studies/")
    assert response.status_code == 500
    assert "Sorry, there is a problem" in response.content.decode()
    assert "ZeroDivisionError" not in response.content.decode()


@pytest.mark.django_db
def test_sitemap_lists_published_case_studies_only(client):
    published = make_case_study()
    draft = make_case_study(status=Status.DRAFT)
    sitemap = client.get("/sitemap.xml").content.decode()
    assert published.get_absolute_url() in sitemap
    assert draft.get_absolute_url() not in sitemap


@pytest.mark.django_db
def test_accessibility_statement_is_linked_from_every_page(client):
    assert 'href="/accessibility/"' in client.get("/").content.decode()
    assert "WCAG" in client.get("/accessibility/").content.decode()


@pytest.mark.django_db
def test_api_errors_are_json_even_when_the_database_is_down(client, monkeypatch):
    make_case_study()
    client.raise_request_exception = False
    assert client.get("/api/councils/no-such-council/").status_code == 404
    assert "detail" in client.get("/api/councils/no-such-council/").json()
    assert "detail" in client.get("/api/case-studies/?response=nonsense").json()

    with monkeypatch.context() as patch:
        patch.setattr("catalogue.api.CaseStudyViewSet.get_queryset", lambda self: 1 / 0)
        broken = client.get("/api/case-studies/")
        assert broken.status_code == 500
        assert broken.json() == {"detail": "Sorry, there is a problem with the catalogue."}

    def unreachable(self, *args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(BaseDatabaseWrapper, "_cursor", unreachable)
    down = client.get("/api/case-studies/")
    assert down.status_code == 503
    assert down["Retry-After"] == "30"
    assert "unavailable" in down.json()["detail"]
    assert client.get("/case-studies/").status_code == 503
    assert "text/html" in client.get("/case-studies/")["Content-Type"]


@pytest.mark.django_db
def test_api_bad_requests_are_json(client):
    client.raise_request_exception = False
    response = client.get("/api/case-studies/", HTTP_HOST="evil.example")  # not allowed
    assert response.status_code == 400
    assert response.json() == {"detail": "The request could not be understood."}
    assert "text/html" in client.get("/", HTTP_HOST="evil.example")["Content-Type"]
