"""Opportunities and wins: how many SQLs became valid opportunities (by lead source and campaign), today's
phase mix with the share still at the first meeting, stagnant deals, and the period's wins by industry and
source, SQL against SGL, and by first-meeting attendees."""

from datetime import timedelta

from django.utils.translation import gettext as _

from opportunities.models import Phase

from ..metrics import DIMENSIONS
from ..models import Grain, MetricValue
from ..selectors import Figure, metric_totals
from .base import (
    BoardQuery,
    Cell,
    Chart,
    Panel,
    breakdowns,
    count_cell,
    labels,
    number,
    number_cell,
    period_url,
    rate_cell,
    records_url,
    share_cell,
    yen_cell,
)

# Today's phase mix sums the open deals over the days they entered their phase, as far back as the
# records page lists (it lists at most 1,100 days).
OPEN_DEALS_DAYS = 1099
# "Stuck early": deals in this phase or any phase ordered before it.
EARLY_PHASE = "02"


def build(query: BoardQuery) -> list[Panel]:
    found = breakdowns(
        grain=query.grain,
        starts=[query.period.start],
        metrics=["sql_to_valid_rate", "won_deals", "won_amount", "won_quantity", "win_rate"],
        dimensions=["", "source", "campaign", "industry", "deal_origin", "attendees"],
    )

    def figure(metric: str, dimension: str, value: str) -> Figure | None:
        return found.get((metric, query.period.start, dimension, value))

    def values(metric: str, dimension: str) -> dict[str, Figure]:
        return {value: f for (code, _start, dim, value), f in found.items() if code == metric and dim == dimension}

    phases = list(Phase.objects.order_by("sort_order"))
    return [
        _valid_panel(query, "source", values("sql_to_valid_rate", "source")),
        _valid_panel(query, "campaign", values("sql_to_valid_rate", "campaign")),
        *_phase_panels(query, phases),
        *_stagnant_panels(query, phases),
        _won_panel(query, "industry", values("won_deals", "industry"), figure),
        _won_panel(query, "source", values("won_deals", "source"), figure),
        _win_rate_panel(query, "deal_origin", values("win_rate", "deal_origin"), figure),
        _win_rate_panel(query, "attendees", values("win_rate", "attendees"), figure),
        _quantity_panel(query, values("won_quantity", "industry"), figure),
    ]


def _valid_panel(query: BoardQuery, dimension: str, rates: dict[str, Figure]) -> Panel:
    titles = {
        "source": _("SQL → valid opportunity by lead source"),
        "campaign": _("SQL → valid opportunity by campaign"),
    }
    panel = Panel(
        f"valid-{dimension}",
        titles[dimension],
        [str(DIMENSIONS[dimension].label), _("SQLs"), _("Valid opportunities"), _("SQL → valid opportunity rate")],
        help=_("SQL deals that reached phase 03 or later in the period ÷ SQLs handed over in the period."),
        chart=Chart("bar", [3], horizontal=True, percent=True),
    )
    names = labels(dimension, list(rates))
    order = sorted(rates, key=lambda value: (value == "", -(rates[value].denominator or 0), names[value]))
    for value in order:
        rate = rates[value]
        link = {"dimension": dimension, "value": value}
        panel.rows.append(
            [
                Cell(names[value]),
                number_cell(rate.denominator, period_url("sqls", query.period, **link)),
                number_cell(rate.numerator, period_url("valid_opportunities", query.period, **link)),
                rate_cell(rate, period_url("sql_to_valid_rate", query.period, **link)),
            ]
        )
    return panel


def _phase_panels(query: BoardQuery, phases: list[Phase]) -> list[Panel]:
    first, last = query.today - timedelta(days=OPEN_DEALS_DAYS), query.today
    open_deals = {f.dim_value: f for f in metric_totals(metric="open_deals", first=first, last=last, dimension="phase")}
    early = next((phase.sort_order for phase in phases if phase.code == EARLY_PHASE), None)
    # Every phase a deal may be open in, and any other that still holds open deals (e.g. retired since).
    phases = [
        phase
        for phase in phases
        if (phase.outcome == Phase.Outcome.OPEN and phase.is_active) or str(phase.pk) in open_deals
    ]
    total = sum(f.numerator for f in open_deals.values())
    today_note = _("Today's open deals, whatever period is chosen.")
    mix = Panel(
        "phases",
        _("Phase mix of the open deals"),
        [_("Phase"), _("Open deals"), _("Share")],
        help=_("Every open deal by the phase it is in today."),
        chart=Chart("bar", [1]),
        note=today_note,
    )
    stuck = 0
    for phase in phases:
        found = open_deals.get(str(phase.pk))
        count = found.numerator if found else 0
        if early is not None and phase.sort_order <= early:
            stuck += count
        mix.rows.append(
            [
                Cell(str(phase)),
                count_cell(found, records_url("open_deals", first, last, dimension="phase", value=str(phase.pk))),
                share_cell(count, total),
            ]
        )
    if not total:
        mix.rows, mix.note = [], _("No open deals today.")
    early_panel = Panel(
        "early",
        _("Stuck in phase 02 or earlier"),
        [_("Open deals"), _("Deals"), _("Share")],
        help=_("Open deals that have not gone past the first meeting: each phase's deals are linked in the phase mix."),
        note=today_note,
    )
    if not total:
        early_panel.note = _("No open deals today.")
    if total and early is not None:
        early_panel.rows = [
            [Cell(_("In phase 02 or earlier")), Cell(number(stuck), stuck), share_cell(stuck, total)],
            [
                Cell(_("All open deals")),
                Cell(number(total), total, records_url("open_deals", first, last)),
                share_cell(total, total),
            ],
        ]
    return [mix, early_panel]


def _stagnant_panels(query: BoardQuery, phases: list[Phase]) -> list[Panel]:
    rows = MetricValue.objects.filter(
        metric="stagnant_deals", grain=Grain.DAY, period_start=query.today, dimension__in=["", "phase", "fs_rep"]
    ).values_list("dimension", "dim_value", "numerator")
    found: dict[str, dict[str, int]] = {}
    for dimension, value, count in rows:
        found.setdefault(dimension, {})[value] = count
    note = _("Today's state, whatever period is chosen: a deal stays too long in its phase or without activity.")

    def link(dimension: str = "", value: str = "") -> str:
        return records_url("stagnant_deals", query.today, query.today, dimension=dimension, value=value)

    by_phase = Panel(
        "stagnant",
        _("Stagnant deals by phase"),
        [_("Phase"), _("Stagnant deals")],
        help=_("Open deals stuck in their phase or idle too long, today; the total links to the list."),
        note=note,
    )
    stagnant = found.get("phase", {})
    for phase in phases:
        count = stagnant.get(str(phase.pk))
        if not count:
            continue
        by_phase.rows.append([Cell(str(phase)), Cell(number(count), count, link("phase", str(phase.pk)))])
    total = found.get("", {}).get("", 0)
    if total:
        by_phase.rows.append([Cell(_("All stagnant deals")), Cell(number(total), total, link())])
    reps = found.get("fs_rep", {})
    names = labels("fs_rep", list(reps))
    by_rep = Panel(
        "stagnant-fs-rep",
        _("Stagnant deals by FS rep"),
        [_("FS rep"), _("Stagnant deals")],
        help=_("Each FS rep's stagnant deals today."),
        chart=Chart("bar", [1], horizontal=True),
        note=note,
        rows=[
            [Cell(names[rep]), Cell(number(reps[rep]), reps[rep], link("fs_rep", rep))]
            for rep in sorted(reps, key=lambda rep: (-reps[rep], names[rep]))
        ],
    )
    if not total:
        by_phase.note = by_rep.note = _("No stagnant deals today.")
    return [by_phase, by_rep]


def _won_panel(query: BoardQuery, dimension: str, wins: dict[str, Figure], figure) -> Panel:
    titles = {"industry": _("Deals won by industry"), "source": _("Deals won by lead source")}
    panel = Panel(
        f"won-{dimension}",
        titles[dimension],
        [str(DIMENSIONS[dimension].label), _("Deals won"), _("Amount won (JPY)")],
        help=_("Deals closed won in the period, with their amounts."),
        chart=Chart("bar", [2], horizontal=True),
    )
    amounts = {value: figure("won_amount", dimension, value) for value in wins}
    names = labels(dimension, list(wins))

    def amount(value: str) -> int:
        return amounts[value].numerator if amounts[value] else 0

    for value in sorted(wins, key=lambda value: (value == "", -amount(value), -wins[value].numerator, names[value])):
        link = {"dimension": dimension, "value": value}
        panel.rows.append(
            [
                Cell(names[value]),
                count_cell(wins[value], period_url("won_deals", query.period, **link)),
                yen_cell(amounts[value], period_url("won_amount", query.period, **link)),
            ]
        )
    return panel


def _win_rate_panel(query: BoardQuery, dimension: str, rates: dict[str, Figure], figure) -> Panel:
    if dimension == "deal_origin":
        title, help_text = (
            _("Win rate: SQL against SGL"),
            _("Deals won ÷ deals closed in the period, for deals from IS (SQL) and sales-generated ones (SGL)."),
        )
        order = [code for code, _label in DIMENSIONS[dimension].choices if code in rates]
        names = labels(dimension, order)
    else:
        title, help_text = (
            _("Win rate by first-meeting attendees"),
            _("Deals won ÷ deals closed in the period, by how many people the customer brought to the first meeting."),
        )
        order = sorted(rates, key=lambda value: (not value.isdigit(), int(value) if value.isdigit() else 0))
        names = {value: value or _("Not recorded") for value in order}
    panel = Panel(
        f"win-rate-{dimension.replace('_', '-')}",
        title,
        [str(DIMENSIONS[dimension].label), _("Deals won"), _("Deals closed"), _("Win rate")],
        help=help_text,
        chart=Chart("bar", [3], percent=True),
    )
    total = figure("win_rate", "", "")
    rows = [(names[value], rates[value], {"dimension": dimension, "value": value}) for value in order]
    if rates and total:
        rows.append((_("All closed deals"), total, {}))
    for label, rate, link in rows:
        panel.rows.append(
            [
                Cell(label),
                number_cell(rate.numerator, period_url("won_deals", query.period, **link)),
                number_cell(rate.denominator, period_url("closed_deals", query.period, **link)),
                rate_cell(rate, period_url("win_rate", query.period, **link)),
            ]
        )
    return panel


def _quantity_panel(query: BoardQuery, quantities: dict[str, Figure], figure) -> Panel:
    panel = Panel(
        "won-quantity",
        _("Quantity won by industry"),
        [_("Industry"), _("Deals won"), _("Quantity won"), _("Quantity per deal")],
        help=_("The quantities (e.g. vehicles considered) of the deals won in the period."),
        chart=Chart("bar", [2], horizontal=True),
    )
    names = labels("industry", list(quantities))
    order = sorted(quantities, key=lambda value: (value == "", -quantities[value].numerator, names[value]))
    for value in order:
        link = {"dimension": "industry", "value": value}
        wins, quantity = figure("won_deals", "industry", value), quantities[value]
        per_deal = quantity.numerator / wins.numerator if wins and wins.numerator else None
        panel.rows.append(
            [
                Cell(names[value]),
                count_cell(wins, period_url("won_deals", query.period, **link)),
                count_cell(quantity, period_url("won_quantity", query.period, **link)),
                Cell("—" if per_deal is None else f"{per_deal:.1f}", None if per_deal is None else round(per_deal, 2)),
            ]
        )
    return panel
