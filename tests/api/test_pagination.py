"""A tool syncs by following ``next`` from the oldest change, then asks only for what changed since."""

from datetime import timedelta

import pytest

from handoffs.models import Handoff
from tests.handoffs.factories import HandoffFactory
from tests.helpers import NOW

pytestmark = pytest.mark.django_db

START = NOW - timedelta(hours=3)


@pytest.fixture
def inbox(w):
    """120 SQLs to fs_a (and 10 to fs_b), changed in an order unlike their ids, two at each minute, so
    both the ordering and its tie-break on id show."""
    mine = HandoffFactory.create_batch(120, fs_rep=w["fs_a"], lead__owner=w["rep"])
    HandoffFactory.create_batch(10, fs_rep=w["fs_b"], lead__owner=w["rep"])
    for i, handoff in enumerate(mine):
        Handoff.objects.filter(pk=handoff.pk).update(updated_at=START + timedelta(minutes=i * 7 % 60))
    return list(Handoff.objects.filter(to_user=w["fs_a"]).order_by("updated_at", "id"))


def follow(client, path: str, params: dict) -> list[dict]:
    pages, response = [], client.get(path, params)
    pages.append(response.json())
    while pages[-1]["next"]:
        response = client.get(pages[-1]["next"])
        pages.append(response.json())
    return pages


def test_following_next_returns_every_handoff_once_in_change_order(api, inbox):
    pages = follow(api["fs_a"], "/api/v1/handoffs/", {"page_size": 50})

    assert [len(page["results"]) for page in pages] == [50, 50, 20]
    assert [row["id"] for page in pages for row in page["results"]] == [h.pk for h in inbox]
    assert pages[0]["previous"] is None
    assert pages[-1]["next"] is None


def test_the_default_page_is_50(api, inbox):
    response = api["fs_a"].get("/api/v1/handoffs/")

    assert [row["id"] for row in response.json()["results"]] == [h.pk for h in inbox[:50]]


def test_a_page_is_at_most_200(api, w, inbox):
    HandoffFactory.create_batch(90, fs_rep=w["fs_a"], lead__owner=w["rep"])

    response = api["fs_a"].get("/api/v1/handoffs/", {"page_size": 1000})

    assert len(response.json()["results"]) == 200


def test_previous_leads_back_to_the_same_page(api, inbox):
    first = api["fs_a"].get("/api/v1/handoffs/", {"page_size": 50}).json()
    second = api["fs_a"].get(first["next"]).json()

    back = api["fs_a"].get(second["previous"]).json()

    assert [row["id"] for row in back["results"]] == [row["id"] for row in first["results"]]


def test_updated_since_returns_only_later_changes(api, inbox):
    since = START + timedelta(minutes=45)

    pages = follow(api["fs_a"], "/api/v1/handoffs/", {"updated_since": since.isoformat(), "page_size": 10})

    # Minutes 45 to 59, two handoffs each: the last 30 of the change order.
    assert [row["id"] for page in pages for row in page["results"]] == [h.pk for h in inbox[-30:]]
    assert len(pages) == 3


def test_a_change_after_a_sync_comes_back_with_updated_since(api, w, inbox, frozen):
    synced_at = NOW
    frozen.shift(60)
    api["fs_a"].post(f"/api/v1/handoffs/{inbox[0].pk}/accept/")

    response = api["fs_a"].get("/api/v1/handoffs/", {"updated_since": synced_at.isoformat()})

    assert [(row["id"], row["status"]) for row in response.json()["results"]] == [(inbox[0].pk, "accepted")]


def test_a_malformed_cursor_is_404_in_the_error_format(api, inbox):
    response = api["fs_a"].get("/api/v1/handoffs/", {"cursor": "not-a-cursor"})

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Invalid cursor", "field_errors": {}, "errors": []}


@pytest.mark.parametrize("resource", ["opportunities", "leads", "activities", "companies"])
def test_every_list_pages_by_cursor(api, two_sqls, resource):
    response = api["rep"].get(f"/api/v1/{resource}/", {"page_size": 1})

    body = response.json()
    assert (sorted(body), len(body["results"]), body["previous"]) == (["next", "previous", "results"], 1, None)
    assert body["next"].startswith(f"http://testserver/api/v1/{resource}/?cursor=")
