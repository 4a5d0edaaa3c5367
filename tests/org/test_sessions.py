"""Sessions: a new key at login, logout by POST, CSRF on every form, and production's cookies."""

import importlib

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "kakehashi-test-pass"


@pytest.fixture
def rep():
    return UserFactory(username="tanaka")


def test_logging_in_gives_the_browser_a_new_session_key(client, rep):
    session = client.session
    session["planted"] = "by someone else"
    session.save()
    planted_key = session.session_key

    client.post("/login/", {"username": "tanaka", "password": PASSWORD})

    assert client.session.session_key != planted_key
    assert "_auth_user_id" in client.session


def test_logout_is_a_post(client, rep):
    client.force_login(rep)

    assert client.get("/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login/", {"username": "tanaka", "password": PASSWORD}),
        ("/logout/", {}),
        ("/profile/", {"name": "dialer"}),
        ("/profile/password/", {}),
        ("/api/v1/activities/", {}),
    ],
)
def test_a_post_without_the_csrf_token_is_refused(rep, path, data):
    client = Client(enforce_csrf_checks=True)
    if path != "/login/":
        client.force_login(rep)

    assert client.post(path, data).status_code == 403


def view_callbacks(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from view_callbacks(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_page_is_exempt_from_csrf():
    """The API's views are exempt at the view level; DRF enforces CSRF for session-authenticated requests."""
    exempt = [
        route
        for route, callback in view_callbacks()
        if getattr(callback, "csrf_exempt", False) and not issubclass(getattr(callback, "cls", object), APIView)
    ]

    assert exempt == []


def test_production_cookies_are_secure_httponly_same_site_and_last_a_working_day(client, rep, settings, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "production-secret-key-for-the-cookie-test-0123456789")
    production = importlib.import_module("config.settings.production")
    for name in dir(production):
        if name.startswith(("SESSION_COOKIE_", "CSRF_COOKIE_", "LANGUAGE_COOKIE_")):
            setattr(settings, name, getattr(production, name))

    csrf = client.get("/login/", secure=True).cookies[django_settings.CSRF_COOKIE_NAME]
    session = client.post("/login/", {"username": "tanaka", "password": PASSWORD}, secure=True).cookies[
        django_settings.SESSION_COOKIE_NAME
    ]
    language = client.post("/i18n/setlang/", {"language": "ja"}, secure=True).cookies[
        django_settings.LANGUAGE_COOKIE_NAME
    ]

    for cookie in (csrf, session, language):
        assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Lax"), cookie.key
    assert session["max-age"] == 12 * 60 * 60
