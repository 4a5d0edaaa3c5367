"""The Model's back-calculation (PRODUCT.md, "KPI planning"): from a revenue budget, what each stage of the
funnel must produce. Exact arithmetic (fractions), each stage rounded up: a plan never falls short."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Q, Sum

from .models import Grain, MetricValue

TRAILING_DAYS = 365


@dataclass(frozen=True)
class Funnel:
    wins: int
    meetings: int
    opportunities: int
    leads: int
    visitors: int


def back_calculate(
    *,
    revenue_budget: int,
    deal_size: int,
    win_rate: Decimal,
    meeting_rate: Decimal,
    opportunity_rate: Decimal,
    lead_rate: Decimal,
) -> Funnel:
    """Rates are fractions of 1 (0.5 for 50 %), each above 0."""

    def up(count, rate) -> int:
        return math.ceil(Fraction(count) / Fraction(rate))

    wins = up(revenue_budget, deal_size)
    meetings = up(wins, win_rate)
    opportunities = up(meetings, meeting_rate)
    leads = up(opportunities, opportunity_rate)
    return Funnel(wins, meetings, opportunities, leads, up(leads, lead_rate))


def trailing_rates(*, today: date) -> dict[str, Decimal | None]:
    """The stage rates of the last 12 months (to yesterday), from the summary tables, as defaults for a
    plan: win rate = SQL deals won ÷ valid opportunities (which are SQL deals), meeting rate = valid
    opportunities ÷ SQLs, opportunity rate = SQLs ÷ new leads. Visitors are not tracked, so the lead
    acquisition rate has no default. None where a denominator is 0."""
    last = today - timedelta(days=1)
    first = last - timedelta(days=TRAILING_DAYS - 1)
    rows = MetricValue.objects.filter(grain=Grain.DAY, period_start__gte=first, period_start__lte=last)
    totals = Q(dimension="", metric__in=["valid_opportunities", "sqls", "leads"])
    won_sqls = Q(metric="won_deals", dimension="deal_origin", dim_value="sql")
    sums = dict(
        rows.filter(totals | won_sqls)
        .values("metric")
        .annotate(total=Sum("numerator"))
        .values_list("metric", "total")
        .order_by()
    )

    def rate(numerator: str, denominator: str) -> Decimal | None:
        part, whole = sums.get(numerator, 0), sums.get(denominator, 0)
        return min(Decimal(1), (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))) if whole else None

    return {
        "win_rate": rate("won_deals", "valid_opportunities"),
        "meeting_rate": rate("valid_opportunities", "sqls"),
        "opportunity_rate": rate("sqls", "leads"),
        "lead_rate": None,
    }
