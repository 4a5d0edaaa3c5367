"""The funnel overview: every stage of The Model for the period, its conversion from the stage before,
against the previous period and the month's KPI plan, and each stage's trend."""

from django.utils.translation import gettext as _

from ..metrics import METRICS
from ..models import Grain, KpiPlan
from .base import (
    BoardQuery,
    Cell,
    Chart,
    Panel,
    change_cell,
    count_cell,
    figures,
    number,
    percent,
    period_url,
    ratio,
    yen,
)

STAGES = (
    "assets",
    "touch_points",
    "activities",
    "connects",
    "effective_conversations",
    "sqls",
    "valid_opportunities",
    "won_deals",
)
# The KPI plan's stage for each funnel stage (The Model: opportunities are SQLs, meetings valid
# opportunities, wins deals won).
PLANNED = {"leads": "leads", "sqls": "opportunities", "valid_opportunities": "meetings", "won_deals": "wins"}


def build(query: BoardQuery) -> list[Panel]:
    period, previous = query.period, query.period.shift(-1)
    trend = query.trend()
    codes = [*STAGES, "leads", "won_amount"]
    found = figures(grain=query.grain, starts={p.start for p in [*trend, previous]}, metrics=codes)

    def value(code: str, start) -> int:
        figure = found.get((code, start, ""))
        return figure.numerator if figure else 0

    plan = KpiPlan.objects.filter(month=period.start).first() if query.grain == Grain.MONTH else None
    funnel = Panel(
        "funnel",
        _("Funnel"),
        [
            _("Stage"),
            period.label,
            _("Conversion from the stage before"),
            _("Previous period"),
            _("Change"),
            _("Plan"),
            _("Against plan"),
        ],
        help=_("Each stage's count for the period; conversion is the stage ÷ the stage before it."),
        chart=Chart("bar", [1, 3], horizontal=True),
        wide=True,
    )
    before = None
    for code in STAGES:
        current, earlier = value(code, period.start), value(code, previous.start)
        planned = getattr(plan, PLANNED[code]) if plan and code in PLANNED else None
        conversion = ratio(current, before) if before is not None else None
        funnel.rows.append(
            [
                Cell(str(METRICS[code].label)),
                count_cell(found.get((code, period.start, "")), period_url(code, period)),
                Cell(percent(conversion), None if conversion is None else round(conversion, 4), css="rate"),
                Cell(number(earlier), earlier),
                change_cell(current, earlier),
                Cell(number(planned), planned),
                Cell(percent(ratio(current, planned)), None if not planned else round(current / planned, 4)),
            ]
        )
        before = current
    panels = [funnel, _plan_panel(query, plan, value)]
    for code in STAGES:
        panels.append(
            Panel(
                f"trend-{code}",
                str(METRICS[code].label),
                [_("Period"), str(METRICS[code].label)],
                [
                    [
                        Cell(p.short_label, p.start.isoformat()),
                        count_cell(found.get((code, p.start, "")), period_url(code, p)),
                    ]
                    for p in trend
                ],
                help=str(METRICS[code].help),
                chart=Chart("line", [1]),
            )
        )
    return panels


def _plan_panel(query: BoardQuery, plan: KpiPlan | None, value) -> Panel:
    panel = Panel(
        "plan",
        _("Against the KPI plan"),
        [_("Stage"), _("Plan"), _("Actual"), _("Achieved")],
        help=_("The month's plan from the KPI planner, back-calculated from the revenue budget."),
        chart=Chart("bar", [3], percent=True),
    )
    if query.grain != Grain.MONTH:
        panel.note = _("The plan is monthly: choose the month grain to compare.")
        return panel
    if plan is None:
        panel.note = _("No plan for this month yet: make one in the KPI planner.")
        return panel
    start = query.period.start
    rows = [
        (_("Leads"), plan.leads, value("leads", start), "leads"),
        (_("Opportunities (SQLs)"), plan.opportunities, value("sqls", start), "sqls"),
        (
            _("Meetings (valid opportunities)"),
            plan.meetings,
            value("valid_opportunities", start),
            "valid_opportunities",
        ),
        (_("Wins"), plan.wins, value("won_deals", start), "won_deals"),
    ]
    for label, planned, actual, code in rows:
        panel.rows.append(
            [
                Cell(str(label)),
                Cell(number(planned), planned),
                Cell(number(actual), actual, period_url(code, query.period) if actual else ""),
                Cell(percent(ratio(actual, planned)), round(actual / planned, 4) if planned else None),
            ]
        )
    revenue = value("won_amount", start)
    panel.rows.append(
        [
            Cell(_("Revenue")),
            Cell(yen(plan.revenue_budget), plan.revenue_budget),
            Cell(yen(revenue), revenue, period_url("won_amount", query.period) if revenue else ""),
            Cell(
                percent(ratio(revenue, plan.revenue_budget)),
                round(revenue / plan.revenue_budget, 4) if plan.revenue_budget else None,
            ),
        ]
    )
    panel.note = _("Visitors (plan: %(visitors)s) are not tracked.") % {"visitors": number(plan.visitors)}
    return panel
