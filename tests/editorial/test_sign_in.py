import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import make_staff_user

PASSWORD = "a-long-test-password-1"


def sign_in(client, username: str, password: str):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )


@pytest.mark.django_db
def test_the_right_password_signs_an_editor_in(client):
    editor = make_staff_user()

    response = sign_in(client, editor.username, PASSWORD)

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_out_with_a_clear_page(client):
    editor = make_staff_user()
    for _ in range(4):
        response = sign_in(client, editor.username, "not-the-password")
        assert response.status_code == 200  # the login form again, with its error

    response = sign_in(client, editor.username, "not-the-password")

    assert response.status_code == 429
    assert "Sign-in paused after too many attempts" in response.content.decode()
    assert "15 minutes" in response.content.decode()
    # While locked, even the right password is refused.
    response = sign_in(client, editor.username, PASSWORD)
    assert response.status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302


@pytest.mark.django_db
def test_a_lockout_does_not_lock_other_editors_out(client):
    locked, other = make_staff_user(), make_staff_user()
    for _ in range(5):
        sign_in(client, locked.username, "not-the-password")

    assert sign_in(client, other.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_signing_in_successfully_forgets_earlier_failures(client):
    editor = make_staff_user()
    for _ in range(4):
        sign_in(client, editor.username, "not-the-password")
    assert sign_in(client, editor.username, PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        assert sign_in(client, editor.username, "not-the-password").status_code == 200
    assert sign_in(client, editor.username, PASSWORD).status_code == 302


@pytest.mark.parametrize("password", ["short-pass", "password1234", "123456789012345"])
def test_weak_staff_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        password_validation.validate_password(password)


def test_editor_sessions_are_short():
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
