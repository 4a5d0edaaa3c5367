"""Who may call what under /api/v1/: keys, sessions, and each role's view of the two SQLs of ``two_sqls``.

An object the caller may not see answers 404, exactly like one that does not exist; 403 only ever means
"you may see it, but not do this"."""

import pytest
from django.test import Client

from handoffs.models import Handoff
from opportunities.models import Opportunity
from org.services import api_token_create, api_token_revoke
from tests.helpers import NOW

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "message": "Not found.", "field_errors": {}, "errors": []}

# Permissions are checked before any object is looked up, so the ids need not exist.
ENDPOINTS = [
    ("get", "/api/v1/handoffs/"),
    ("get", "/api/v1/handoffs/1/"),
    ("post", "/api/v1/handoffs/1/accept/"),
    ("post", "/api/v1/handoffs/1/reject/"),
    ("post", "/api/v1/handoffs/1/feedback/"),
    ("get", "/api/v1/opportunities/"),
    ("get", "/api/v1/opportunities/1/"),
    ("patch", "/api/v1/opportunities/1/"),
    ("post", "/api/v1/opportunities/1/move/"),
    ("get", "/api/v1/leads/"),
    ("get", "/api/v1/leads/1/"),
    ("get", "/api/v1/companies/"),
    ("get", "/api/v1/companies/1/"),
    ("get", "/api/v1/activities/"),
    ("post", "/api/v1/activities/"),
    ("get", "/api/v1/activities/1/"),
    ("get", "/api/v1/phases/"),
    ("get", "/api/v1/lost-reasons/"),
    ("get", "/api/v1/recycle-reasons/"),
]


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def pks(w, names) -> set[int]:
    return {w[name].pk for name in names}


def send(client, method: str, path: str, body=None):
    return getattr(client, method)(path, body or {}, content_type="application/json")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_401_asking_for_a_token(method, path):
    response = send(Client(), method, path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "field_errors": {},
        "errors": [],
    }


@pytest.mark.parametrize(
    "authorization",
    ["Token not-a-key", "Token", "Token two parts", "token not-a-key"],
    ids=["unknown", "no_key", "spaces", "lowercase_keyword"],
)
def test_a_malformed_or_unknown_key_is_401(db, authorization):
    response = Client(headers={"Authorization": authorization}).get("/api/v1/handoffs/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "authentication_failed"


def test_a_revoked_key_is_401(w):
    token, key = api_token_create(user=w["fs_a"], name="dialer")
    client = Client(headers={"Authorization": f"Token {key}"})
    assert client.get("/api/v1/handoffs/").status_code == 200

    api_token_revoke(token=token, actor=w["fs_a"])
    response = client.get("/api/v1/handoffs/")

    assert response.status_code == 401
    assert response.json() == {
        "code": "authentication_failed",
        "message": "Unknown or revoked API key.",
        "field_errors": {},
        "errors": [],
    }


def test_a_deactivated_users_key_is_401(w):
    _token, key = api_token_create(user=w["fs_a"], name="dialer")
    w["fs_a"].is_active = False
    w["fs_a"].save(update_fields=["is_active"])

    response = Client(headers={"Authorization": f"Token {key}"}).get("/api/v1/handoffs/")

    assert response.status_code == 401


def test_using_a_key_records_when_it_was_last_used(w):
    token, key = api_token_create(user=w["fs_a"], name="dialer")

    Client(headers={"Authorization": f"Token {key}"}).get("/api/v1/phases/")

    token.refresh_from_db()
    assert token.last_used_at == NOW


def test_a_signed_in_browser_uses_the_api_with_its_session(client, two_sqls):
    client.force_login(two_sqls["fs_a"])

    response = client.get("/api/v1/handoffs/")

    assert response.status_code == 200
    assert ids(response) == pks(two_sqls, ["h_a"])


HANDOFFS = {"rep": ["h_a", "h_b"], "fs_a": ["h_a"], "fs_b": ["h_b"], "manager": ["h_a", "h_b"]}
DEALS = {"rep": ["deal_a", "deal_b"], "fs_a": ["deal_a"], "fs_b": ["deal_b"], "manager": ["deal_a", "deal_b"]}
# A manager of FS sees the team's deals and handoffs, not IS's leads (org/selectors.py).
LEADS = {"rep": ["lead_a", "lead_b"], "fs_a": ["lead_a"], "fs_b": ["lead_b"], "manager": []}
ACTIVITIES = {
    "rep": ["call_a", "meet_a", "meet_b"],
    "fs_a": ["call_a", "meet_a"],
    "fs_b": ["meet_b"],
    "manager": ["meet_a", "meet_b"],
}
COMPANIES = {role: ["company_a", "company_b"] for role in HANDOFFS}
LISTS = [
    (resource, role, expected)
    for resource, by_role in (
        ("handoffs", HANDOFFS),
        ("opportunities", DEALS),
        ("leads", LEADS),
        ("activities", ACTIVITIES),
        ("companies", COMPANIES),
    )
    for role, expected in by_role.items()
]


DETAILS = {
    "handoffs": ["h_a", "h_b"],
    "opportunities": ["deal_a", "deal_b"],
    "leads": ["lead_a", "lead_b"],
    "activities": ["call_a", "meet_a", "meet_b"],
    "companies": ["company_a", "company_b"],
}


@pytest.mark.parametrize(("resource", "role", "expected"), LISTS)
def test_list_and_detail_hold_exactly_what_the_role_may_see(api, two_sqls, resource, role, expected):
    listed = api[role].get(f"/api/v1/{resource}/")
    details = {
        name: api[role].get(f"/api/v1/{resource}/{two_sqls[name].pk}/").status_code for name in DETAILS[resource]
    }

    assert listed.status_code == 200
    assert ids(listed) == pks(two_sqls, expected)
    assert details == {**dict.fromkeys(DETAILS[resource], 404), **dict.fromkeys(expected, 200)}


@pytest.mark.parametrize("resource", ["phases", "lost-reasons", "recycle-reasons"])
@pytest.mark.parametrize("role", ["rep", "fs_a", "manager", "cs"])
def test_every_signed_in_role_reads_the_picklists(api, resource, role):
    response = api[role].get(f"/api/v1/{resource}/")

    assert response.status_code == 200
    assert len(response.json()["results"]) > 0


def test_another_reps_handoff_is_404_never_403(api, two_sqls):
    response = api["fs_b"].get(f"/api/v1/handoffs/{two_sqls['h_a'].pk}/")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_the_recipient_accepts_their_sql(api, two_sqls, frozen):
    response = api["fs_a"].post(f"/api/v1/handoffs/{two_sqls['h_a'].pk}/accept/")

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert response.json()["responded_at"] == "2026-11-20T10:00:00+09:00"
    assert Handoff.objects.get(pk=two_sqls["h_a"].pk).status == Handoff.Status.ACCEPTED


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [("fs_b", 404, "not_found"), ("rep", 400, "not_recipient"), ("manager", 400, "not_recipient")],
    ids=["other_fs_rep_cannot_see_it", "sending_is_rep_sees_it", "fs_manager_sees_it"],
)
@pytest.mark.parametrize("action", ["accept", "reject"])
def test_only_the_recipient_answers_an_sql(api, two_sqls, role, status, code, action):
    response = api[role].post(
        f"/api/v1/handoffs/{two_sqls['h_a'].pk}/{action}/", {"reason": "予算なし"}, content_type="application/json"
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert Handoff.objects.get(pk=two_sqls["h_a"].pk).status == Handoff.Status.PENDING


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [("fs_b", 404, "not_found"), ("rep", 403, "permission_denied")],
    ids=["other_fs_rep_cannot_see_it", "sending_is_rep_sees_it"],
)
def test_only_the_recipient_gives_feedback(api, two_sqls, role, status, code):
    api["fs_a"].post(f"/api/v1/handoffs/{two_sqls['h_a'].pk}/accept/")
    Opportunity.objects.filter(pk=two_sqls["deal_a"].pk).update(first_meeting_on="2026-11-19")

    response = api[role].post(
        f"/api/v1/handoffs/{two_sqls['h_a'].pk}/feedback/", {"feedback": "yes"}, content_type="application/json"
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert Handoff.objects.get(pk=two_sqls["h_a"].pk).feedback == ""


def test_the_recipient_gives_feedback_after_the_first_meeting(api, two_sqls):
    api["fs_a"].post(f"/api/v1/handoffs/{two_sqls['h_a'].pk}/accept/")
    Opportunity.objects.filter(pk=two_sqls["deal_a"].pk).update(first_meeting_on="2026-11-19")

    response = api["fs_a"].post(
        f"/api/v1/handoffs/{two_sqls['h_a'].pk}/feedback/",
        {"feedback": "partly", "feedback_reason": "決裁者が違った"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["feedback"], response.json()["feedback_reason"]) == ("partly", "決裁者が違った")


@pytest.mark.parametrize(
    ("role", "status", "next_action"),
    [("fs_a", 200, "見積提出"), ("manager", 200, "見積提出"), ("fs_b", 404, ""), ("rep", 403, "")],
    ids=["owner", "fs_manager", "other_fs_rep_cannot_see_it", "sending_is_rep_reads_only"],
)
def test_who_may_edit_a_deal(api, two_sqls, role, status, next_action):
    response = api[role].patch(
        f"/api/v1/opportunities/{two_sqls['deal_a'].pk}/", {"next_action": "見積提出"}, content_type="application/json"
    )

    assert response.status_code == status
    assert Opportunity.objects.get(pk=two_sqls["deal_a"].pk).next_action == next_action


@pytest.mark.parametrize(
    ("role", "status", "phase"),
    [("fs_a", 200, "02"), ("manager", 200, "02"), ("fs_b", 404, "01"), ("rep", 403, "01")],
    ids=["owner", "fs_manager", "other_fs_rep_cannot_see_it", "sending_is_rep_reads_only"],
)
def test_who_may_move_a_deal(api, two_sqls, role, status, phase):
    response = api[role].post(
        f"/api/v1/opportunities/{two_sqls['deal_a'].pk}/move/",
        {"phase": "02", "changes": {"first_meeting_on": "2026-11-19", "first_meeting_attendees": 2}},
        content_type="application/json",
    )

    assert response.status_code == status
    assert Opportunity.objects.get(pk=two_sqls["deal_a"].pk).phase.code == phase


def test_b_never_leaks_into_as_lists_whatever_the_filter(api, two_sqls):
    mine = api["fs_a"].get("/api/v1/handoffs/", {"mine": "false"})
    pending = api["fs_a"].get("/api/v1/handoffs/", {"status": "pending", "kind": "is_to_fs"})
    deals = api["fs_a"].get("/api/v1/opportunities/", {"status": "open", "phase": "01"})

    assert ids(mine) == set()
    assert ids(pending) == pks(two_sqls, ["h_a"])
    assert ids(deals) == pks(two_sqls, ["deal_a"])
