"""Pages speak the company's language (Japanese) whatever the browser asks for; a user's own choice,
then the language cookie, override it."""

import pytest
from django.urls import reverse

from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def japanese_company(settings):
    # The test settings run in English; this is the production default (see test_settings).
    settings.LANGUAGE_CODE = "ja"


@pytest.mark.parametrize(
    ("cookie", "language", "title"),
    [
        pytest.param("", "ja", "ログイン", id="default"),
        pytest.param("en", "en", "Log in", id="cookie-en"),
        pytest.param("ja", "ja", "ログイン", id="cookie-ja"),
        pytest.param("fr", "ja", "ログイン", id="unknown-cookie"),
    ],
)
def test_login_page_ignores_accept_language(client, settings, cookie, language, title):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie

    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in response.content.decode()
    assert f"<h1>{title}</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("user_language", "cookie", "accept", "language"),
    [
        pytest.param("", "", "en", "ja", id="company-default"),
        pytest.param("en", "", "ja", "en", id="profile-en"),
        pytest.param("en", "ja", "ja", "en", id="profile-beats-cookie"),
        pytest.param("ja", "en", "en", "ja", id="profile-ja-beats-cookie"),
        pytest.param("", "en", "ja", "en", id="cookie-when-no-profile-choice"),
    ],
)
def test_signed_in_user_gets_their_language(client, settings, user_language, cookie, accept, language):
    client.force_login(UserFactory(admin=True, language=user_language))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie

    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=accept)

    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in response.content.decode()


def test_the_language_switch_sets_the_cookie_that_changes_the_pages(client, settings):
    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})

    response = client.get(reverse("login"))

    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert response["Content-Language"] == "en"
    assert "<h1>Log in</h1>" in response.content.decode()
