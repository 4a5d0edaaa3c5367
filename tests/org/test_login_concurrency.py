"""Wrong passwords arriving at the same moment are each counted, and no more than the limit are ever checked.

Row locks make this hold; SQLite has none, so these run on PostgreSQL."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from org.models import LoginThrottle
from tests.handoffs.test_concurrency import race
from tests.org.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_postgres]

THREADS = 12


def attempt(username: str, ip: str) -> str:
    request = RequestFactory().post("/login/", REMOTE_ADDR=ip)
    user = authenticate(request, username=username, password="wrong-guess")
    assert user is None
    return "locked" if hasattr(request, "login_locked") else "checked"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    settings.LOGIN_LOCKOUT_SECONDS = 10 * 60
    settings.TRUSTED_PROXIES = 0


def test_simultaneous_failures_are_all_counted(settings):
    settings.LOGIN_FAILURE_LIMIT = settings.LOGIN_IP_FAILURE_LIMIT = 100
    UserFactory(username="tanaka")

    results = race(*[lambda n=n: attempt("tanaka", f"10.0.0.{n}") for n in range(THREADS)])

    assert results == ["checked"] * THREADS
    assert LoginThrottle.objects.get(scope="account", key="tanaka").failures == THREADS


def test_a_burst_at_one_account_gets_exactly_the_limit_of_guesses(settings):
    settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_IP_FAILURE_LIMIT = 5, 100
    UserFactory(username="tanaka")

    results = race(*[lambda n=n: attempt("tanaka", f"10.0.0.{n}") for n in range(THREADS)])

    assert (results.count("checked"), results.count("locked")) == (5, THREADS - 5)
    assert LoginThrottle.objects.get(scope="account", key="tanaka").failures == 5


def test_a_burst_from_one_address_gets_exactly_the_limit_of_guesses(settings):
    settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_IP_FAILURE_LIMIT = 5, 4

    results = race(*[lambda n=n: attempt(f"guess{n}", "203.0.113.10") for n in range(THREADS)])

    assert (results.count("checked"), results.count("locked")) == (4, THREADS - 4)
    assert LoginThrottle.objects.get(scope="ip", key="203.0.113.10").failures == 4
