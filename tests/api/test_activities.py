"""Logging calls, mails and meetings from a dialer or another tool, as the key's owner."""

import pytest

from activities.models import Activity
from tests.helpers import NOW
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


def log(client, body):
    return client.post("/api/v1/activities/", body, content_type="application/json")


def test_a_call_on_my_lead_is_logged_as_me(api, two_sqls):
    response = log(
        api["rep"],
        {
            "lead": two_sqls["lead_a"].pk,
            "kind": "call",
            "direction": "outbound",
            "connected": True,
            "effective_conversation": True,
            "outcome": "hearing",
            "duration_seconds": 420,
            "note": "決裁者と会話。",
        },
    )

    assert response.status_code == 201
    activity = Activity.objects.get(pk=response.json()["id"])
    assert (activity.actor, activity.lead, activity.company) == (
        two_sqls["rep"],
        two_sqls["lead_a"],
        two_sqls["company_a"],
    )
    assert (activity.kind, activity.connected, activity.outcome.code, activity.occurred_at) == (
        "call",
        True,
        "hearing",
        NOW,
    )
    assert response.json()["actor"] == "rep"


def test_a_meeting_on_my_deal_is_logged_on_the_deal(api, two_sqls):
    response = log(api["fs_a"], {"opportunity": two_sqls["deal_a"].pk, "kind": "visit", "direction": "outbound"})

    assert response.status_code == 201
    assert (response.json()["opportunity"], response.json()["company"], response.json()["connected"]) == (
        two_sqls["deal_a"].pk,
        two_sqls["company_a"].pk,
        True,
    )


def test_an_actor_in_the_body_is_refused(api, two_sqls):
    response = log(
        api["rep"],
        {"lead": two_sqls["lead_a"].pk, "kind": "mail", "direction": "outbound", "actor": "fsa"},
    )

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["field_errors"]["actor"]] == ["not_writable"]


@pytest.mark.parametrize(
    ("role", "field", "subject"),
    [
        ("recycler", "lead", "lead_a"),
        ("fs_b", "lead", "lead_a"),
        ("fs_b", "opportunity", "deal_a"),
        ("manager", "lead", "lead_a"),
    ],
    ids=["is_rep_of_another_team", "other_fs_rep_on_a_lead", "other_fs_rep_on_a_deal", "fs_manager_on_an_is_lead"],
)
def test_logging_on_what_i_cannot_see_is_404(api, two_sqls, role, field, subject):
    before = Activity.objects.count()

    response = log(api[role], {field: two_sqls[subject].pk, "kind": "mail", "direction": "outbound"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Activity.objects.count() == before


def test_a_lead_that_does_not_exist_is_404(api, two_sqls):
    response = log(api["rep"], {"lead": 999_999, "kind": "mail", "direction": "outbound"})

    assert response.status_code == 404


def test_a_call_must_say_whether_it_connected(api, two_sqls):
    before = Activity.objects.count()

    response = log(api["rep"], {"lead": two_sqls["lead_a"].pk, "kind": "call", "direction": "outbound"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert [e["code"] for e in response.json()["field_errors"]["connected"]] == ["invalid"]
    assert Activity.objects.count() == before


def test_an_activity_needs_a_lead_or_a_deal(api, two_sqls):
    response = log(api["rep"], {"kind": "mail", "direction": "outbound"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "no_subject"


def test_an_activity_cannot_happen_in_the_future(api, two_sqls):
    response = log(
        api["rep"],
        {"lead": two_sqls["lead_a"].pk, "kind": "mail", "direction": "outbound", "occurred_at": "2026-11-21T10:00"},
    )

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["field_errors"]["occurred_at"]] == ["future"]


def test_a_call_with_a_next_approach_date_moves_the_lead(api, w):
    lead = LeadFactory(owner=w["rep"])

    response = log(
        api["rep"],
        {
            "lead": lead.pk,
            "kind": "call",
            "direction": "outbound",
            "connected": False,
            "next_approach_on": "2026-11-24",
        },
    )

    assert response.status_code == 201
    lead.refresh_from_db()
    assert (lead.status, str(lead.next_approach_on), lead.last_activity_at) == ("working", "2026-11-24", NOW)


def test_customer_success_does_not_log_activities_here(api, two_sqls):
    response = log(api["cs"], {"lead": two_sqls["lead_a"].pk, "kind": "mail", "direction": "outbound"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
