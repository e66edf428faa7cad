"""Requests too large, or a database too slow: refused or answered quickly, never waited on."""

import io
import socket
import threading
import time

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.db.utils import load_backend
from django.test import RequestFactory

from config.settings import database
from tests.factories import make_staff_user

MB = 1024 * 1024


def post_claiming(client, path: str, length: int, body: bytes = b"x" * 100):
    """A POST whose Content-Length says `length`; the test client's payload refuses to be
    read past `body`, so reading the claimed body would fail the test."""
    return client.generic(
        "POST",
        path,
        body,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(length),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/case-studies/"])
def test_an_anonymous_large_body_is_refused_before_it_is_read(client, path):
    response = post_claiming(client, path, 300 * MB)
    assert response.status_code == 413
    if path.startswith("/api/"):
        assert response.json() == {"detail": "The request body is too large."}
    else:
        assert "too large" in response.content.decode()


@pytest.mark.django_db
def test_signed_in_editors_may_send_an_import_sized_body_but_no_more(client):
    client.force_login(make_staff_user())
    import_sized = b"x" * (2 * MB)
    assert post_claiming(client, "/", len(import_sized), import_sized).status_code != 413
    assert post_claiming(client, "/", 300 * MB).status_code == 413


@pytest.mark.django_db
def test_the_sign_in_form_is_well_under_the_anonymous_limit(client):
    response = client.post("/admin/login/", {"username": "someone", "password": "x" * 200})
    assert response.status_code == 200  # the form again, with its error


class CountingStream(io.RawIOBase):
    """An endless body that counts what is read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        size = 64 * 1024 if size is None or size < 0 else size
        self.read_bytes += size
        return b"x" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


@pytest.mark.django_db
def test_a_chunked_body_without_a_length_is_never_read():
    stream = CountingStream()
    environ = RequestFactory()._base_environ(
        REQUEST_METHOD="POST",
        PATH_INFO="/",
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream},
    )
    environ.pop("CONTENT_LENGTH", None)
    statuses = []
    WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    assert statuses[0].startswith("403")  # the CSRF check, on an empty body
    assert stream.read_bytes == 0


@pytest.fixture
def hung_database(django_db_blocker):
    """The default database replaced by a PostgreSQL server that accepts connections and
    never answers (a thread listening on a loopback port), configured as production is."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept_and_say_nothing() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:  # the listener was closed
                return

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    port = listener.getsockname()[1]
    config = connections.configure_settings(
        {"default": database(f"postgres://catalogue:secret@127.0.0.1:{port}/catalogue")}
    )["default"]
    real = connections["default"]
    connections["default"] = load_backend(config["ENGINE"]).DatabaseWrapper(config, "default")
    try:
        with django_db_blocker.unblock():
            yield accepted
    finally:
        connections["default"].close()
        connections["default"] = real
        listener.close()
        for connection in accepted:
            connection.close()


@pytest.mark.parametrize("path", ["/healthz", "/case-studies/", "/api/case-studies/"])
def test_a_database_that_never_answers_gives_a_503_within_5_seconds(client, hung_database, path):
    client.raise_request_exception = False
    started = time.monotonic()
    response = client.get(path)
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert elapsed < 5, f"{path} took {elapsed:.1f} s"
    assert hung_database, "the request never reached the hung server"


def test_static_files_never_wait_for_the_database(client, hung_database):
    started = time.monotonic()
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert time.monotonic() - started < 1
    assert not hung_database  # nothing even tried to connect
