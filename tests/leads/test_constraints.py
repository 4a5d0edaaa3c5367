"""The database keeps the lead invariants even when a write bypasses the services."""

import pytest
from django.db import IntegrityError, transaction

from leads.models import Company, Lead, LeadRecycle, RecycleReason
from tests.helpers import NOW, picklist_pk
from tests.leads.factories import CampaignFactory, CompanyFactory, LeadFactory, LeadRecycleFactory

pytestmark = pytest.mark.django_db

BANT_FULL = {"bant_budget": "300万円", "bant_authority": "部長", "bant_needs": "勤怠", "bant_timeframe": "4月"}


@pytest.mark.parametrize(
    ("constraint", "changes"),
    [
        pytest.param("lead_open_iff_next_approach", {"next_approach_on": None}, id="open-without-date"),
        pytest.param(
            "lead_open_iff_next_approach",
            {"status": "disqualified", "status_reason": "競合"},
            id="closed-with-date",
        ),
        pytest.param("lead_recycled_iff_reason", {"status": "recycled"}, id="recycled-without-reason"),
        pytest.param(
            "lead_recycled_iff_reason",
            {"recycle_reason": picklist_pk(RecycleReason, "timing")},
            id="reason-on-a-new-lead",
        ),
        pytest.param("lead_nurture_disqualify_need_reason", {"status": "nurturing"}, id="nurturing-without-reason"),
        pytest.param(
            "lead_nurture_disqualify_need_reason",
            {"status": "disqualified", "next_approach_on": None},
            id="disqualified-without-reason",
        ),
        pytest.param(
            "lead_qualified_has_temperature",
            {"status": "qualified", "next_approach_on": None},
            id="qualified-without-temperature",
        ),
        pytest.param(
            "lead_temperature_a_bant_complete",
            {**BANT_FULL, "bant_budget": "", "temperature": "A"},
            id="A-without-budget",
        ),
        pytest.param(
            "lead_temperature_b_budget_or_timeframe_missing",
            {**BANT_FULL, "temperature": "B"},
            id="B-with-everything",
        ),
        pytest.param(
            "lead_temperature_b_budget_or_timeframe_missing",
            {**BANT_FULL, "bant_budget": "", "bant_authority": "", "temperature": "B"},
            id="B-without-authority",
        ),
        pytest.param(
            "lead_temperature_b_budget_or_timeframe_missing",
            {**BANT_FULL, "bant_timeframe": "", "bant_needs": "", "temperature": "B"},
            id="B-without-needs",
        ),
        pytest.param("lead_hot_has_since", {"is_hot": True}, id="hot-without-since"),
        pytest.param("lead_has_contact_name", {"last_name": ""}, id="no-name"),
    ],
)
def test_lead_constraint_refuses_a_raw_update(constraint, changes):
    lead = LeadFactory()

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"status": "recycled", "recycle_reason": picklist_pk(RecycleReason, "timing")}, id="recycled"),
        pytest.param({"status": "nurturing", "status_reason": "来期"}, id="nurturing"),
        pytest.param({"status": "disqualified", "status_reason": "競合", "next_approach_on": None}, id="disqualified"),
        pytest.param({"status": "qualified", "temperature": "C", "next_approach_on": None}, id="qualified-C"),
        pytest.param({**BANT_FULL, "temperature": "A"}, id="A"),
        pytest.param({**BANT_FULL, "bant_budget": "", "temperature": "B"}, id="B-without-budget"),
        pytest.param({**BANT_FULL, "bant_timeframe": "", "temperature": "B"}, id="B-without-timeframe"),
        pytest.param({"is_hot": True, "hot_since": NOW}, id="hot"),
    ],
)
def test_lead_constraints_accept_the_rows_they_describe(changes):
    lead = LeadFactory()

    assert Lead.objects.filter(pk=lead.pk).update(**changes) == 1


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"precision": "week"}, id="week-without-year-month-week"),
        pytest.param({"precision": "week", "year": 2026, "month": 12, "week": None}, id="week-missing"),
        pytest.param({"precision": "week", "year": 2026, "month": None, "week": 2}, id="month-missing"),
        pytest.param({"precision": "week", "year": None, "month": 12, "week": 2}, id="year-missing"),
        pytest.param({"precision": "week", "year": 2026, "month": 13, "week": 1}, id="month-13"),
        pytest.param({"precision": "week", "year": 2026, "month": 0, "week": 1}, id="month-0"),
        pytest.param({"precision": "week", "year": 2026, "month": 12, "week": 7}, id="week-7"),
        pytest.param({"precision": "week", "year": 2026, "month": 12, "week": 0}, id="week-0"),
        pytest.param({"year": 2026, "month": 12, "week": 2}, id="day-with-month-and-week"),
    ],
)
def test_recycle_week_precision_needs_year_month_and_week(changes):
    plan = LeadRecycleFactory()

    with pytest.raises(IntegrityError, match="recycle_week_precision_has_month_week"), transaction.atomic():
        LeadRecycle.objects.filter(pk=plan.pk).update(**changes)


@pytest.mark.parametrize(("month", "week"), [(1, 1), (12, 6)])
def test_recycle_week_precision_accepts_weeks_1_to_6(month, week):
    plan = LeadRecycleFactory()

    assert LeadRecycle.objects.filter(pk=plan.pk).update(precision="week", year=2026, month=month, week=week) == 1


def test_company_employee_count_must_be_positive():
    company = CompanyFactory()

    with pytest.raises(IntegrityError, match="company_employee_count_positive"), transaction.atomic():
        Company.objects.filter(pk=company.pk).update(employee_count=0)


def test_campaign_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError, match="campaign_ends_after_start"), transaction.atomic():
        CampaignFactory(starts_on="2026-11-10", ends_on="2026-11-09")


@pytest.mark.parametrize(
    ("employee_count", "size_band"),
    [
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-100"),
        (100, "31-100"),
        (101, "101-300"),
        (300, "101-300"),
        (301, "301-999"),
        (999, "301-999"),
        (1000, "1000+"),
        (120_000, "1000+"),
        (None, ""),
    ],
)
def test_company_size_band_is_generated_from_the_employee_count(employee_count, size_band):
    company = CompanyFactory(employee_count=employee_count)

    assert Company.objects.values_list("size_band", flat=True).get(pk=company.pk) == size_band


@pytest.mark.parametrize(
    ("prefecture", "area"),
    [
        ("01", "hokkaido"),
        ("02", "tohoku"),
        ("13", "kanto"),
        ("14", "kanto"),
        ("15", "chubu"),
        ("23", "chubu"),
        ("24", "kinki"),
        ("27", "kinki"),
        ("34", "chugoku"),
        ("37", "shikoku"),
        ("40", "kyushu"),
        ("47", "kyushu"),
        ("", ""),
    ],
)
def test_company_area_is_generated_from_the_prefecture(prefecture, area):
    company = CompanyFactory(prefecture=prefecture)

    assert Company.objects.values_list("area", flat=True).get(pk=company.pk) == area


def test_generated_fields_follow_a_raw_update():
    company = CompanyFactory(employee_count=30, prefecture="13")

    Company.objects.filter(pk=company.pk).update(employee_count=301, prefecture="27")

    company.refresh_from_db()
    assert (company.size_band, company.area, company.size_band_label, company.area_label) == (
        "301-999",
        "kinki",
        "301–999 employees",
        "Kinki",
    )
