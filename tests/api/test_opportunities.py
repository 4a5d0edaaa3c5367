"""Deals over the API: phase gates answer 400 ``gate_failed`` naming what is missing, and a PATCH can
change only the fields an owner edits; either way a refused request leaves the deal as it was."""

import pytest

from handoffs.services import handoff_accept
from opportunities.models import Opportunity, PhaseHistory

pytestmark = pytest.mark.django_db

MEETING = {"first_meeting_on": "2026-11-19", "first_meeting_attendees": 3}


def move(client, deal, body):
    return client.post(f"/api/v1/opportunities/{deal.pk}/move/", body, content_type="application/json")


def snapshot(deal) -> dict:
    """The deal's row and the length of its history, to show a refused request wrote nothing."""
    row = Opportunity.objects.filter(pk=deal.pk).values().get()
    return {**row, "history": PhaseHistory.objects.filter(opportunity=deal).count()}


@pytest.fixture
def deal(two_sqls):
    return two_sqls["deal_a"]


def test_entering_02_without_the_first_meeting_names_both_missing_fields(api, deal):
    before = snapshot(deal)

    response = move(api["fs_a"], deal, {"phase": "02"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "gate_failed"
    assert body["errors"] == []
    assert {field: [e["code"] for e in errors] for field, errors in body["field_errors"].items()} == {
        "first_meeting_on": ["required"],
        "first_meeting_attendees": ["required"],
    }
    assert snapshot(deal) == before


def test_entering_02_with_the_meeting_given_in_changes_passes(api, deal):
    response = move(api["fs_a"], deal, {"phase": "02", "changes": MEETING, "note": "初回訪問済み"})

    assert response.status_code == 200
    assert (response.json()["phase"], response.json()["first_meeting_on"]) == ("02", "2026-11-19")
    saved = Opportunity.objects.select_related("phase").get(pk=deal.pk)
    assert (saved.phase.code, saved.first_meeting_attendees) == ("02", 3)
    assert PhaseHistory.objects.filter(opportunity=deal, to_phase__code="02", note="初回訪問済み").count() == 1


@pytest.mark.parametrize(
    ("changes", "rules"),
    [
        ({"first_meeting_on": "2026-11-21", "first_meeting_attendees": 3}, ["first_meeting_held"]),
        ({"first_meeting_on": "2026-11-19", "first_meeting_attendees": 0}, ["attendees_positive"]),
    ],
    ids=["meeting_in_the_future", "nobody_attended"],
)
def test_a_broken_rule_of_02_is_listed_by_its_code(api, deal, changes, rules):
    before = snapshot(deal)

    response = move(api["fs_a"], deal, {"phase": "02", "changes": changes})

    assert response.status_code == 400
    assert response.json()["code"] == "gate_failed"
    assert response.json()["field_errors"] == {}
    assert [e["code"] for e in response.json()["errors"]] == rules
    assert snapshot(deal) == before


def test_entering_03_with_bant_incomplete_lists_the_rule(api, deal):
    assert move(api["fs_a"], deal, {"phase": "02", "changes": MEETING}).status_code == 200
    before = snapshot(deal)

    response = move(
        api["fs_a"],
        deal,
        {"phase": "03", "changes": {"amount": 3_000_000, "service": "attendance", "bant_budget": ""}},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "gate_failed"
    assert response.json()["field_errors"] == {}
    assert [e["code"] for e in response.json()["errors"]] == ["bant_complete"]
    assert snapshot(deal) == before


def test_entering_03_names_missing_fields_and_broken_rules_together(api, deal):
    move(api["fs_a"], deal, {"phase": "02", "changes": MEETING})

    response = move(api["fs_a"], deal, {"phase": "03", "changes": {"bant_needs": ""}})

    body = response.json()
    assert (response.status_code, body["code"]) == (400, "gate_failed")
    assert sorted(body["field_errors"]) == ["amount", "service"]
    assert [e["code"] for e in body["errors"]] == ["bant_complete"]


def test_skipping_a_phase_is_refused_on_the_phase_field(api, deal):
    before = snapshot(deal)

    response = move(api["fs_a"], deal, {"phase": "03", "changes": {**MEETING, "amount": 1, "service": "payroll"}})

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["field_errors"]["phase"]] == ["no_skip"]
    assert snapshot(deal) == before


def test_an_unknown_phase_is_a_field_error(api, deal):
    response = move(api["fs_a"], deal, {"phase": "99"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert [e["code"] for e in response.json()["field_errors"]["phase"]] == ["does_not_exist"]


def test_a_lost_deal_cannot_move_again(api, deal):
    # FS answers the SQL first: a deal whose SQL is pending is closed by rejecting it.
    handoff_accept(handoff=deal.handoffs.get(kind="is_to_fs"), actor=deal.owner)
    lost = move(api["fs_a"], deal, {"phase": "05L", "lost_reason": "price", "note": "他社に決定"})
    assert (lost.status_code, lost.json()["status"]) == (200, "lost")

    response = move(api["fs_a"], deal, {"phase": "01"})

    assert response.status_code == 400
    assert response.json()["code"] == "closed"


def test_patch_changes_the_editable_fields(api, deal):
    response = api["fs_a"].patch(
        f"/api/v1/opportunities/{deal.pk}/",
        {"amount": 1_500_000, "service": "payroll", "next_action_on": "2026-11-27"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert (response.json()["amount"], response.json()["service"]) == (1_500_000, "payroll")
    saved = Opportunity.objects.get(pk=deal.pk)
    assert (saved.amount, saved.service.code, str(saved.next_action_on)) == (1_500_000, "payroll", "2026-11-27")


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ({"owner": "fsb"}, ["owner"]),
        ({"phase": "03"}, ["phase"]),
        ({"status": "won"}, ["status"]),
        ({"created_by": "fsb"}, ["created_by"]),
        ({"closed_at": "2026-11-20T10:00:00+09:00"}, ["closed_at"]),
        ({"id": 1}, ["id"]),
        ({"is_stagnant": True}, ["is_stagnant"]),
        (
            {"name": "新しい名前", "owner": "fsb", "phase": "03", "status": "won", "created_by": "fsb"},
            ["created_by", "owner", "phase", "status"],
        ),
    ],
    ids=["owner", "phase", "status", "created_by", "closed_at", "id", "read_only_annotation", "mixed_with_valid"],
)
def test_patch_refuses_fields_that_move_only_through_actions(api, deal, body, refused):
    before = snapshot(deal)

    response = api["fs_a"].patch(f"/api/v1/opportunities/{deal.pk}/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["field_errors"] == {
        field: [{"code": "not_writable", "message": "This field cannot be set here."}] for field in refused
    }
    assert snapshot(deal) == before


def test_move_refuses_changes_to_fields_an_owner_does_not_edit(api, deal):
    before = snapshot(deal)

    response = move(api["fs_a"], deal, {"phase": "02", "changes": {**MEETING, "owner": "fsb"}})

    assert response.status_code == 400
    assert list(response.json()["field_errors"]) == ["changes"]
    assert snapshot(deal) == before
