"""The password validators apply wherever a password is set: the user service, the admin, the password page."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from org.models import LoginThrottle, User
from org.services import user_create
from tests.helpers import field_codes
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "kakehashi-test-pass"
NEW_PASSWORD = "aozora-kakehashi-77"


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("1234567", ["password_too_short", "password_too_common", "password_entirely_numeric"]),
        ("password", ["password_too_common"]),
        ("yamada-hanako", ["password_too_similar"]),
    ],
)
def test_a_weak_password_is_refused_and_no_user_is_created(password, codes):
    with pytest.raises(ValidationError) as raised:
        user_create(username="yamada", password=password, role=User.Role.MARKETING, email="yamada-hanako@example.jp")

    assert field_codes(raised.value) == {"password": codes}
    assert not User.objects.filter(username="yamada").exists()


def test_the_admin_refuses_a_weak_password_for_a_new_user(client):
    client.force_login(UserFactory(admin=True, is_superuser=True))
    form = {
        "username": "yamada",
        "usable_password": "true",
        "password1": "password",
        "password2": "password",
        "role": "marketing",
    }

    refused = client.post("/admin/org/user/add/", form)
    created = client.post("/admin/org/user/add/", {**form, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert [e.code for e in refused.context["adminform"].form.errors.as_data()["password2"]] == ["password_too_common"]
    assert created.status_code == 302
    assert User.objects.get(username="yamada").check_password(NEW_PASSWORD)


@pytest.fixture
def rep():
    return UserFactory(username="tanaka")


def change(client, old, new):
    return client.post(
        "/profile/password/", {"old_password": old, "new_password1": new, "new_password2": new}, REMOTE_ADDR="10.0.0.1"
    )


def test_the_profile_page_links_to_the_password_page(client, rep):
    client.force_login(rep)

    assert 'href="/profile/password/"' in client.get("/profile/").text


def test_a_weak_new_password_is_refused_with_the_validators_reasons(client, rep):
    client.force_login(rep)

    response = change(client, PASSWORD, "12345678")

    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["new_password2"]] == [
        "password_too_common",
        "password_entirely_numeric",
    ]
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)


def test_a_changed_password_keeps_this_session_and_ends_the_others(client, rep):
    elsewhere = Client()
    elsewhere.force_login(rep)
    client.force_login(rep)

    response = change(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302 and response.url == "/profile/"
    assert client.get("/profile/").status_code == 200
    assert elsewhere.get("/profile/").url.startswith("/login/")
    rep.refresh_from_db()
    assert rep.check_password(NEW_PASSWORD)


def test_wrong_current_passwords_count_towards_the_lockout(client, rep, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client.force_login(rep)

    codes = [
        change(client, guess, NEW_PASSWORD).context["form"].errors.as_data()["old_password"][0].code
        for guess in ("a", "b", "c", PASSWORD)
    ]

    assert codes == ["password_incorrect"] * 3 + ["login_locked"]
    assert LoginThrottle.objects.get(scope="account", key="tanaka").failures == 3
    rep.refresh_from_db()
    assert rep.check_password(PASSWORD)
