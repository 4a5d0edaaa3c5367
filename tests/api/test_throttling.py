"""Each API key has its own request budget; past it the API answers 429 with Retry-After."""

import pytest
from django.test import Client
from rest_framework.views import APIView

from handoffs.models import Handoff
from org.services import api_token_create
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def five_a_minute(monkeypatch):
    """DRF copies DEFAULT_THROTTLE_RATES onto the throttle class when it is imported, so overriding the
    setting (even with ``api_settings.reload()``) leaves the class on the old rate; the class attribute
    is what each request reads, and monkeypatch puts it back after the test.

    The class is taken from APIView rather than imported from config.api: importing config.api before
    rest_framework.views is a circular import (see the report on config/api.py)."""
    (throttle,) = APIView.throttle_classes
    assert throttle.__qualname__ == "TokenRateThrottle"
    monkeypatch.setattr(throttle, "THROTTLE_RATES", {"api": "5/min"})


def test_the_sixth_request_in_a_minute_is_429_with_retry_after(w):
    client = token_client(w["fs_a"])

    statuses = [client.get("/api/v1/phases/").status_code for _ in range(5)]
    response = client.get("/api/v1/phases/")

    assert statuses == [200] * 5
    assert response.status_code == 429
    # Time is frozen, so the oldest of the five requests leaves the window a full minute from now.
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "code": "throttled",
        "message": "Request was throttled. Expected available in 60 seconds.",
        "field_errors": {},
        "errors": [],
    }


def test_the_budget_comes_back_as_the_window_moves(w, frozen):
    client = token_client(w["fs_a"])
    for _ in range(5):
        client.get("/api/v1/phases/")
        frozen.shift(10)

    throttled = client.get("/api/v1/phases/")
    frozen.shift(11)
    after_the_first_left = client.get("/api/v1/phases/")

    assert (throttled.status_code, throttled["Retry-After"]) == (429, "10")
    assert after_the_first_left.status_code == 200


def test_another_users_key_keeps_its_own_budget(w):
    busy, other = token_client(w["fs_a"]), token_client(w["fs_b"])
    for _ in range(6):
        busy.get("/api/v1/phases/")

    response = other.get("/api/v1/phases/")

    assert busy.get("/api/v1/phases/").status_code == 429
    assert response.status_code == 200


def test_each_key_of_one_user_has_its_own_budget(w):
    dialer = token_client(w["fs_a"])
    for _ in range(6):
        dialer.get("/api/v1/phases/")
    _token, key = api_token_create(user=w["fs_a"], name="calendar")

    response = Client(headers={"Authorization": f"Token {key}"}).get("/api/v1/phases/")

    assert response.status_code == 200


def test_writes_count_against_the_same_budget(w, two_sqls):
    client = token_client(w["fs_a"])
    for _ in range(5):
        client.get("/api/v1/handoffs/")

    response = client.post(f"/api/v1/handoffs/{two_sqls['h_a'].pk}/accept/")

    assert response.status_code == 429
    assert Handoff.objects.get(pk=two_sqls["h_a"].pk).status == Handoff.Status.PENDING


def test_anonymous_callers_are_refused_before_any_budget_is_counted(w):
    statuses = [Client().get("/api/v1/phases/").status_code for _ in range(6)]

    assert statuses == [401] * 6
