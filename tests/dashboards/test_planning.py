"""The Model's back-calculation: from a revenue budget to the visitors Marketing must bring."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dashboards.models import KpiPlan
from dashboards.planning import Funnel, back_calculate, trailing_rates
from dashboards.services import kpi_plan_save, metrics_rebuild
from tests.helpers import field_codes
from tests.org.factories import UserFactory

SEED = {
    "revenue_budget": 10_000_000,
    "deal_size": 1_000_000,
    "win_rate": Decimal("0.5"),
    "meeting_rate": Decimal("0.25"),
    "opportunity_rate": Decimal("0.1"),
    "lead_rate": Decimal("0.05"),
}


def test_the_seed_example_comes_out_exactly():
    """¥10,000,000 at ¥1,000,000 a deal → 10 wins; 50 % → 20 meetings; 25 % → 80 opportunities;
    10 % → 800 leads; 5 % → 16,000 visitors."""
    assert back_calculate(**SEED) == Funnel(wins=10, meetings=20, opportunities=80, leads=800, visitors=16_000)


def test_every_stage_rounds_up_so_the_plan_never_falls_short():
    funnel = back_calculate(**{**SEED, "revenue_budget": 10_500_000, "win_rate": Decimal("0.3333")})

    assert funnel == Funnel(wins=11, meetings=34, opportunities=136, leads=1_360, visitors=27_200)


@pytest.mark.django_db
class TestSavingAPlan:
    def test_keeps_inputs_and_stage_counts_one_per_month(self):
        manager = UserFactory(manager=True)

        kpi_plan_save(actor=manager, month=date(2026, 12, 15), **SEED)
        kpi_plan_save(actor=manager, month=date(2026, 12, 1), **{**SEED, "revenue_budget": 20_000_000})

        plan = KpiPlan.objects.get()
        assert (plan.month, plan.revenue_budget, plan.win_rate) == (date(2026, 12, 1), 20_000_000, Decimal("0.5"))
        assert (plan.wins, plan.meetings, plan.opportunities, plan.leads, plan.visitors) == (20, 40, 160, 1_600, 32_000)

    @pytest.mark.parametrize("rate", [Decimal("0"), Decimal("1.2"), None])
    def test_a_rate_out_of_range_is_an_error_on_its_field_and_saves_nothing(self, rate):
        with pytest.raises(ValidationError) as error:
            kpi_plan_save(actor=UserFactory(manager=True), month=date(2026, 12, 1), **{**SEED, "meeting_rate": rate})

        assert field_codes(error.value) == {"meeting_rate": ["rate_out_of_range"]}
        assert not KpiPlan.objects.exists()

    def test_a_deal_size_of_zero_is_refused(self):
        with pytest.raises(ValidationError) as error:
            kpi_plan_save(actor=UserFactory(manager=True), month=date(2026, 12, 1), **{**SEED, "deal_size": 0})

        assert field_codes(error.value) == {"deal_size": ["min_value"]}


@pytest.mark.django_db
def test_the_default_rates_are_the_last_twelve_months_actuals(frozen):
    """From the world of the metrics tests: 3 leads, 1 SQL, 1 valid opportunity, no SQL deal won (the
    one deal won is an SGL, which has no place in the IS funnel)."""
    from tests.dashboards.test_metrics import build_world

    build_world()
    metrics_rebuild(first_day=date(2025, 11, 1), last_day=date(2026, 11, 30))

    assert trailing_rates(today=date(2026, 11, 21)) == {
        "win_rate": Decimal("0.0000"),
        "meeting_rate": Decimal("1.0000"),
        "opportunity_rate": Decimal("0.3333"),
        "lead_rate": None,
    }


@pytest.mark.django_db
def test_a_plan_entered_in_the_admin_gets_its_stage_counts(client):
    admin_user = UserFactory(admin=True, is_superuser=True)
    client.force_login(admin_user)
    form = {"month": "2026-12-01", **{name: str(value) for name, value in SEED.items()}}

    response = client.post("/admin/dashboards/kpiplan/add/", form)

    assert response.status_code == 302
    plan = KpiPlan.objects.get()
    assert (plan.wins, plan.meetings, plan.opportunities, plan.leads, plan.visitors) == (10, 20, 80, 800, 16_000)
    assert plan.created_by == admin_user


@pytest.mark.django_db
def test_the_admin_says_which_rate_is_out_of_range(client):
    client.force_login(UserFactory(admin=True, is_superuser=True))
    form = {"month": "2026-12-01", **{name: str(value) for name, value in SEED.items()}, "win_rate": "1.5"}

    response = client.post("/admin/dashboards/kpiplan/add/", form)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"win_rate": ["Give a rate above 0 % and at most 100 %."]}
    assert not KpiPlan.objects.exists()
