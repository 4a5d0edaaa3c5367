"""A POST with an Idempotency-Key acts once; every retry gets the first answer back, marked as a replay."""

import pytest

from activities.models import Activity
from handoffs.models import Handoff
from org.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

CALL = {"kind": "call", "direction": "outbound", "connected": True, "note": "担当者と会話。資料送付を希望。"}


def post(client, path, body, key):
    return client.post(path, body, content_type="application/json", headers={"Idempotency-Key": key})


def test_ten_retries_of_a_call_log_one_activity_and_get_the_same_answer(api, two_sqls, frozen):
    body = {**CALL, "lead": two_sqls["lead_a"].pk}
    before = Activity.objects.count()

    responses = []
    for _ in range(10):
        responses.append(post(api["rep"], "/api/v1/activities/", body, "dialer-call-0001"))
        frozen.shift(7)

    assert Activity.objects.count() == before + 1
    # Compared as JSON: PostgreSQL's jsonb stores the first answer with its keys reordered.
    assert [(r.status_code, r.json()) for r in responses] == [(201, responses[0].json())] * 10
    assert [r.headers.get("Idempotent-Replayed") for r in responses] == [None] + ["true"] * 9
    assert responses[0].json()["actor"] == "rep"


def test_the_same_key_for_a_different_request_is_refused(api, two_sqls):
    body = {**CALL, "lead": two_sqls["lead_a"].pk}
    post(api["rep"], "/api/v1/activities/", body, "dialer-call-0002")

    response = post(api["rep"], "/api/v1/activities/", {**body, "note": "別の通話"}, "dialer-call-0002")

    assert response.status_code == 422
    assert response.json() == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was used for a different request.",
        "field_errors": {},
        "errors": [],
    }
    assert Activity.objects.filter(note="別の通話").count() == 0


def test_keys_are_per_user(api, two_sqls):
    """Two tools of two people may pick the same key; neither sees the other's answer."""
    first = post(api["rep"], "/api/v1/activities/", {**CALL, "lead": two_sqls["lead_a"].pk}, "call-1")
    second = post(api["fs_a"], "/api/v1/activities/", {**CALL, "lead": two_sqls["lead_a"].pk}, "call-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json()["actor"], second.json()["actor"]) == ("rep", "fsa")
    assert second.headers.get("Idempotent-Replayed") is None


def test_accepting_twice_with_a_key_is_one_transition(api, two_sqls, frozen):
    path = f"/api/v1/handoffs/{two_sqls['h_a'].pk}/accept/"
    first = post(api["fs_a"], path, {}, "accept-h-a")
    frozen.shift(60)

    second = post(api["fs_a"], path, {}, "accept-h-a")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    handoff = Handoff.objects.get(pk=two_sqls["h_a"].pk)
    assert (handoff.status, handoff.responded_at.isoformat()) == ("accepted", "2026-11-20T01:00:00+00:00")
    assert IdempotencyRecord.objects.filter(user=two_sqls["fs_a"], key="accept-h-a").count() == 1


def test_a_400_answer_is_replayed_and_the_key_stays_bound_to_it(api, two_sqls):
    body = {"kind": "call", "direction": "outbound", "lead": two_sqls["lead_a"].pk}
    before = Activity.objects.count()
    first = post(api["rep"], "/api/v1/activities/", body, "call-without-connected")

    second = post(api["rep"], "/api/v1/activities/", body, "call-without-connected")
    fixed = post(api["rep"], "/api/v1/activities/", {**body, "connected": False}, "call-without-connected")

    assert first.status_code == 400
    assert list(first.json()["field_errors"]) == ["connected"]
    assert (second.status_code, second.json(), second["Idempotent-Replayed"]) == (400, first.json(), "true")
    assert fixed.status_code == 422
    assert Activity.objects.count() == before


def test_a_refused_action_is_replayed_without_acting(api, two_sqls):
    path = f"/api/v1/handoffs/{two_sqls['h_a'].pk}/accept/"
    first = post(api["rep"], path, {}, "not-mine")

    second = post(api["rep"], path, {}, "not-mine")

    assert (first.status_code, first.json()["code"]) == (400, "not_recipient")
    assert (second.status_code, second.json(), second["Idempotent-Replayed"]) == (400, first.json(), "true")
    assert Handoff.objects.get(pk=two_sqls["h_a"].pk).status == Handoff.Status.PENDING


def test_without_a_key_each_post_acts(api, two_sqls):
    body = {**CALL, "lead": two_sqls["lead_a"].pk}
    before = Activity.objects.count()

    statuses = [
        api["rep"].post("/api/v1/activities/", body, content_type="application/json").status_code for _ in range(3)
    ]

    assert statuses == [201, 201, 201]
    assert Activity.objects.count() == before + 3


def test_a_key_longer_than_200_characters_is_refused(api, two_sqls):
    before = Activity.objects.count()

    response = post(api["rep"], "/api/v1/activities/", {**CALL, "lead": two_sqls["lead_a"].pk}, "k" * 201)

    assert response.status_code == 400
    assert list(response.json()["field_errors"]) == ["Idempotency-Key"]
    assert Activity.objects.count() == before


def test_an_error_naming_a_field_with_a_nul_is_kept_and_replayed(api, two_sqls):
    """An unknown field whose name holds a NUL is refused by name; the answer is stored for the retry with
    the NUL as U+FFFD (PostgreSQL's jsonb refuses NULs), never a server error."""
    path = f"/api/v1/opportunities/{two_sqls['deal_a'].pk}/move/"
    body = '{"phase": "02", "odd\\u0000name": 1}'
    headers = {"Idempotency-Key": "odd-names"}

    first = api["fs_a"].post(path, body, content_type="application/json", headers=headers)
    again = api["fs_a"].post(path, body, content_type="application/json", headers=headers)

    assert first.status_code == 400
    assert list(first.json()["field_errors"]) == ["odd\x00name"]
    assert (again.status_code, again["Idempotent-Replayed"]) == (400, "true")
    assert list(again.json()["field_errors"]) == ["odd\ufffdname"]


def test_half_a_surrogate_pair_is_a_malformed_body(api, two_sqls):
    """JSON can escape half of a UTF-16 pair; no column or UTF-8 answer can hold it, so the body is refused."""
    path = f"/api/v1/opportunities/{two_sqls['deal_a'].pk}/move/"

    response = api["fs_a"].post(path, '{"phase": "02", "note": "\\udb0c"}', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["message"] == "The body holds half of a UTF-16 surrogate pair, which is not text."
