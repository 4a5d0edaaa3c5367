"""The database keeps the handoff and capacity invariants even when a write bypasses the services."""

import pytest
from django.db import IntegrityError, transaction

from handoffs.models import FSCapacityRule, Handoff
from tests.handoffs.factories import FSCapacityRuleFactory, HandoffFactory
from tests.helpers import NOW
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db


def unique_violation(constraint: str, sqlite_columns: str) -> str:
    """PostgreSQL names the violated unique index; SQLite names its columns instead."""
    return rf'"{constraint}"|UNIQUE constraint failed: {sqlite_columns}$'


@pytest.mark.parametrize(
    ("constraint", "changes"),
    [
        pytest.param("handoff_between_is_and_fs_has_lead", {"lead": None}, id="sql-without-lead"),
        pytest.param(
            "handoff_rejected_has_reason", {"status": "rejected", "responded_at": NOW}, id="rejected-without-reason"
        ),
        pytest.param("handoff_send_back_has_reason", {"kind": "fs_to_is"}, id="send-back-without-reason"),
        pytest.param("handoff_sql_has_temperature", {"temperature": ""}, id="sql-without-temperature"),
        pytest.param("handoff_has_recipient", {"to_user": None}, id="no-recipient"),
        pytest.param("handoff_responded_when_decided", {"status": "accepted"}, id="accepted-without-time"),
        pytest.param("handoff_responded_when_decided", {"responded_at": NOW}, id="pending-with-time"),
        pytest.param("handoff_feedback_only_on_sql", {"feedback": "yes"}, id="feedback-without-time"),
        pytest.param(
            "handoff_feedback_only_on_sql",
            {"kind": "fs_to_cs", "feedback": "yes", "feedback_at": NOW},
            id="feedback-on-a-cs-handoff",
        ),
        pytest.param(
            "handoff_negative_feedback_has_reason",
            {"status": "accepted", "responded_at": NOW, "feedback": "no", "feedback_at": NOW},
            id="no-without-reason",
        ),
        pytest.param(
            "handoff_negative_feedback_has_reason",
            {"status": "accepted", "responded_at": NOW, "feedback": "partly", "feedback_at": NOW},
            id="partly-without-reason",
        ),
    ],
)
def test_handoff_constraint_refuses_a_raw_update(constraint, changes):
    handoff = HandoffFactory()

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Handoff.objects.filter(pk=handoff.pk).update(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"status": "rejected", "responded_at": NOW, "reason": "予算なし"}, id="rejected"),
        pytest.param({"kind": "fs_to_is", "reason": "停滞"}, id="send-back"),
        pytest.param({"kind": "fs_to_cs", "lead": None}, id="cs-handoff-of-a-sales-generated-deal"),
        pytest.param(
            {"status": "accepted", "responded_at": NOW, "feedback": "no", "feedback_at": NOW, "feedback_reason": "x"},
            id="negative-feedback",
        ),
        pytest.param({"status": "accepted", "responded_at": NOW, "feedback": "yes", "feedback_at": NOW}, id="yes"),
    ],
)
def test_handoff_constraints_accept_what_they_allow(changes):
    handoff = HandoffFactory()

    assert Handoff.objects.filter(pk=handoff.pk).update(**changes) == 1


def test_send_back_goes_to_a_team():
    handoff = HandoffFactory(send_back=True)

    assert (handoff.kind, handoff.to_user, handoff.to_team.kind) == ("fs_to_is", None, "recycle")


def test_a_lead_has_one_pending_sql_at_a_time():
    first = HandoffFactory()

    with (
        pytest.raises(
            IntegrityError, match=unique_violation("handoff_one_open_sql_per_lead", r"handoffs_handoff\.lead_id")
        ),
        transaction.atomic(),
    ):
        HandoffFactory(lead=first.lead)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"status": "accepted", "responded_at": NOW}, id="accepted"),
        pytest.param({"status": "rejected", "responded_at": NOW, "reason": "時期尚早"}, id="rejected"),
    ],
)
def test_a_lead_may_become_an_sql_again_once_the_first_is_answered(answer):
    first = HandoffFactory()
    Handoff.objects.filter(pk=first.pk).update(**answer)

    second = HandoffFactory(lead=first.lead)

    assert set(Handoff.objects.filter(lead=first.lead).values_list("pk", flat=True)) == {first.pk, second.pk}


def test_a_deal_has_one_handoff_of_each_kind():
    first = HandoffFactory(accepted=True)

    with (
        pytest.raises(
            IntegrityError,
            match=unique_violation(
                "handoff_one_per_opportunity_and_kind", r"handoffs_handoff\.opportunity_id, handoffs_handoff\.kind"
            ),
        ),
        transaction.atomic(),
    ):
        HandoffFactory(lead=first.lead, opportunity=first.opportunity, fs_rep=first.to_user)


def test_a_deal_may_have_handoffs_of_different_kinds():
    sql = HandoffFactory(accepted=True)

    send_back = HandoffFactory(send_back=True, lead=sql.lead, opportunity=sql.opportunity)

    assert set(sql.opportunity.handoffs.values_list("kind", flat=True)) == {"is_to_fs", "fs_to_is"}
    assert send_back.opportunity == sql.opportunity


def test_capacity_has_one_default_per_band():
    # The data migration holds the default for every band.
    with (
        pytest.raises(
            IntegrityError,
            match=unique_violation("capacity_one_default_per_band", r"handoffs_fscapacityrule\.size_band"),
        ),
        transaction.atomic(),
    ):
        FSCapacityRule.objects.create(size_band="31-100", user=None, monthly_limit=10)


def test_capacity_has_one_rule_per_rep_and_band():
    rule = FSCapacityRuleFactory()

    with (
        pytest.raises(
            IntegrityError,
            match=unique_violation(
                "capacity_one_per_rep_and_band", r"handoffs_fscapacityrule\.size_band, handoffs_fscapacityrule\.user_id"
            ),
        ),
        transaction.atomic(),
    ):
        FSCapacityRuleFactory(user=rule.user, size_band=rule.size_band)


def test_a_rep_may_have_a_rule_per_band_and_reps_their_own():
    rule = FSCapacityRuleFactory(size_band="31-100")

    FSCapacityRuleFactory(user=rule.user, size_band="101-300")
    FSCapacityRuleFactory(user=UserFactory(fs=True), size_band="31-100")

    assert FSCapacityRule.objects.filter(user__isnull=False).count() == 3


def test_capacity_limit_is_positive():
    rule = FSCapacityRuleFactory()

    with pytest.raises(IntegrityError, match="capacity_limit_positive"), transaction.atomic():
        FSCapacityRule.objects.filter(pk=rule.pk).update(monthly_limit=0)


def test_defaults_cover_every_band():
    assert dict(FSCapacityRule.objects.filter(user=None).values_list("size_band", "monthly_limit")) == {
        "1-30": 60,
        "31-100": 50,
        "101-300": 40,
        "301-999": 35,
        "1000+": 30,
    }
