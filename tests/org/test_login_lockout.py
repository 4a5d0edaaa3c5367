"""Repeated failed logins lock the username and the client's address for a while, on the login page and the
admin's alike, without telling whether the username exists; administrators see and lift lockouts."""

import base64
from datetime import timedelta

import pytest
from django.test import RequestFactory

from org.backends import client_address
from org.models import LoginThrottle
from org.services import login_throttle_purge_expired
from tests.org.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

PASSWORD = "kakehashi-test-pass"
OFFICE = "203.0.113.10"
ELSEWHERE = "198.51.100.20"
# Frozen at 2026-11-20 10:00 in Tokyo; a lockout lasts 10 minutes.
LOCKED = "Too many failed login attempts. Try again in 10 minutes (after 2026-11-20 10:10)."
WRONG = "Please enter a correct username and password. Note that both fields may be case-sensitive."


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_IP_FAILURE_LIMIT = 6
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    settings.LOGIN_LOCKOUT_SECONDS = 10 * 60
    settings.TRUSTED_PROXIES = 0


@pytest.fixture
def rep():
    return UserFactory(username="tanaka")


def log_in(client, username, password, ip=OFFICE, path="/login/"):
    """Posts the login form; returns (logged in?, the form's error messages)."""
    response = client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)
    logged_in = "_auth_user_id" in client.session
    errors = [] if response.status_code == 302 else list(response.context["form"].non_field_errors())
    client.logout()
    return logged_in, errors


def test_the_limit_of_wrong_passwords_locks_the_account_even_against_the_right_one(client, rep):
    for _ in range(3):
        assert log_in(client, "tanaka", "wrong-guess") == (False, [WRONG])

    assert log_in(client, "tanaka", PASSWORD) == (False, [LOCKED])
    assert log_in(client, "tanaka", PASSWORD, ip=ELSEWHERE) == (False, [LOCKED])
    assert log_in(client, UserFactory(username="sato").username, PASSWORD) == (True, [])


def test_the_lockout_ends_when_the_message_said_however_much_is_tried_meanwhile(client, rep, frozen):
    for _ in range(3):
        log_in(client, "tanaka", "wrong-guess")
    frozen.shift(timedelta(minutes=9, seconds=59))
    assert log_in(client, "tanaka", "another-guess") == (
        False,
        ["Too many failed login attempts. Try again in 1 minute (after 2026-11-20 10:10)."],
    )

    frozen.shift(timedelta(seconds=1))

    assert log_in(client, "tanaka", PASSWORD) == (True, [])


def test_wrong_passwords_from_one_address_lock_it_for_every_username(client, rep):
    for n in range(6):
        log_in(client, f"guess{n}", "password1")

    assert log_in(client, "tanaka", PASSWORD) == (False, [LOCKED])
    assert log_in(client, "tanaka", PASSWORD, ip=ELSEWHERE) == (True, [])


@pytest.mark.parametrize(("minutes_later", "locked"), [(14, True), (15, False)])
def test_failures_count_within_the_window_from_the_first_one(client, rep, frozen, minutes_later, locked):
    log_in(client, "tanaka", "wrong-guess")
    log_in(client, "tanaka", "wrong-guess")
    frozen.shift(timedelta(minutes=minutes_later))

    log_in(client, "tanaka", "wrong-guess")

    assert log_in(client, "tanaka", PASSWORD)[0] is not locked


def test_a_successful_login_starts_the_accounts_count_over(client, rep):
    log_in(client, "tanaka", "wrong-guess")
    log_in(client, "tanaka", "wrong-guess")
    assert log_in(client, "tanaka", PASSWORD) == (True, [])

    log_in(client, "tanaka", "wrong-guess")
    log_in(client, "tanaka", "wrong-guess")

    assert log_in(client, "tanaka", PASSWORD) == (True, [])
    assert not LoginThrottle.objects.filter(scope="account", key="tanaka").exists()


def test_an_office_logging_in_from_one_address_is_charged_only_its_typos(client):
    users = [UserFactory(username=f"rep{n:02d}") for n in range(10)]
    for user in users[:5]:
        log_in(client, user.username, "typo")

    assert [log_in(client, user.username, PASSWORD)[0] for user in users] == [True] * 10
    assert LoginThrottle.objects.get(scope="ip", key=OFFICE).failures == 5


def test_a_locked_username_reads_the_same_whether_or_not_it_exists(client, rep):
    def attempts(username):
        return [
            log_in(client, username, "wrong-guess", ip=ip) for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")
        ]

    assert attempts("tanaka") == attempts("nobody-by-this-name") == [(False, [WRONG])] * 3 + [(False, [LOCKED])]


def test_the_admin_login_is_locked_by_the_same_counts(client):
    UserFactory(username="boss", admin=True, is_superuser=True)
    log_in(client, "boss", "wrong-guess")
    log_in(client, "boss", "wrong-guess", path="/admin/login/")
    log_in(client, "boss", "wrong-guess", path="/admin/login/")

    assert log_in(client, "boss", PASSWORD, path="/admin/login/") == (False, [LOCKED])
    assert log_in(client, "boss", PASSWORD) == (False, [LOCKED])


def test_an_administrator_sees_a_lockout_and_clears_it(client, rep):
    for _ in range(3):
        log_in(client, "tanaka", "wrong-guess")
    throttle = LoginThrottle.objects.get(scope="account", key="tanaka")
    client.force_login(UserFactory(username="boss", admin=True, is_superuser=True))

    listing = client.get("/admin/org/loginthrottle/", {"locked": "yes"})
    cleared = client.post(
        "/admin/org/loginthrottle/", {"action": "clear", "_selected_action": [throttle.pk]}, follow=True
    )

    assert [row.key for row in listing.context["cl"].result_list] == ["tanaka"]
    assert "1 lockout cleared." in [str(message) for message in cleared.context["messages"]]
    client.logout()
    assert log_in(client, "tanaka", PASSWORD) == (True, [])


def test_the_api_takes_no_password_so_it_cannot_be_used_to_guess_one(client, rep):
    basic = base64.b64encode(f"tanaka:{PASSWORD}".encode()).decode()

    response = client.get("/api/v1/handoffs/", HTTP_AUTHORIZATION=f"Basic {basic}", REMOTE_ADDR=OFFICE)

    assert response.status_code == 401
    assert not LoginThrottle.objects.exists()


def test_expired_counts_are_purged_and_live_ones_kept(client, rep, frozen):
    log_in(client, "counting", "wrong-guess", ip="10.0.0.1")
    for _ in range(3):
        log_in(client, "tanaka", "wrong-guess", ip="10.0.0.2")
    frozen.shift(timedelta(minutes=14))
    log_in(client, "recent", "wrong-guess", ip="10.0.0.3")
    frozen.shift(timedelta(minutes=1))

    assert login_throttle_purge_expired() == 4
    assert sorted(LoginThrottle.objects.values_list("key", flat=True)) == ["10.0.0.3", "recent"]


@pytest.mark.parametrize(
    ("proxies", "remote_addr", "forwarded_for", "expected"),
    [
        (0, "203.0.113.10", "1.2.3.4", "203.0.113.10"),
        (1, "10.0.0.2", "1.2.3.4, 203.0.113.10", "203.0.113.10"),
        (2, "10.0.0.2", "1.2.3.4, 203.0.113.10, 10.0.0.1", "203.0.113.10"),
        (1, "10.0.0.2", "", "10.0.0.2"),
        (0, "2001:db8:1:2:aaaa::1", "", "2001:db8:1:2::/64"),
        (0, "::ffff:203.0.113.10", "", "203.0.113.10"),
    ],
)
def test_the_counted_address_is_the_one_the_trusted_proxy_saw(settings, proxies, remote_addr, forwarded_for, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().post("/login/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_address(request) == expected
