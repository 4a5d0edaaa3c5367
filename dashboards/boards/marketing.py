"""For Marketing: why leads are recycled month by month, how many recycled leads come back as SQLs, inbound
conversion by campaign and rep, and what each lead source yields down the funnel — all over the twelve
months ending with the chosen month."""

from django.db.models import Sum
from django.utils.translation import gettext as _

from ..metrics import COMPOSITE_SEPARATOR, composite
from ..models import Grain, MetricValue
from ..selectors import Figure, metric_series, metric_totals
from .base import (
    BoardQuery,
    Cell,
    Chart,
    Panel,
    count_cell,
    labels,
    number,
    number_cell,
    percent,
    rate_cell,
    ratio,
    records_url,
    yen,
)

TRAILING_MONTHS = 12
QUALITY = ("leads", "sqls", "valid_opportunities", "won_deals", "won_amount")


def build(query: BoardQuery) -> list[Panel]:
    months = query.period.back(TRAILING_MONTHS)
    first, last = months[0].start, query.period.end
    panels = [
        _recycle_panel(months),
        _revival_panel(first, last),
        *_inbound_panels(first, last),
        _quality_panel(first, last),
    ]
    for panel in panels:
        if not panel.rows:
            panel.note = ""  # the notes explain figures: without any, the page says there are none yet
    return panels


def _window_note(first, last) -> str:
    return _("The 12 months from %(first)s to %(last)s.") % {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"}


def _recycle_panel(months) -> Panel:
    series = metric_series(
        metric="recycles",
        grain=Grain.MONTH,
        first=months[0].start,
        last=months[-1].start,
        dimension="reason",
        dim_value=None,
    )
    found = {(start, figure.dim_value): figure for start, figure in series}
    totals: dict[str, int] = {}
    for (_start, reason), figure in found.items():
        totals[reason] = totals.get(reason, 0) + figure.numerator
    names = labels("reason", list(totals))
    reasons = sorted(totals, key=lambda reason: (-totals[reason], names[reason]))
    panel = Panel(
        "recycle-reasons",
        _("Recycles by reason, month by month"),
        [_("Month"), *(names[reason] for reason in reasons), _("Recycles")],
        help=_("Why leads were recycled, each month of the last twelve: the reasons reps pick from the picklist."),
        chart=Chart("bar", list(range(1, len(reasons) + 1)), stacked=True),
        wide=True,
    )
    if not reasons:
        return panel
    for month in months:
        row = [Cell(month.short_label, month.start.isoformat())]
        for reason in reasons:
            url = records_url("recycles", month.start, month.end, dimension="reason", value=reason)
            row.append(count_cell(found.get((month.start, reason)), url))
        total = sum(found[month.start, reason].numerator for reason in reasons if (month.start, reason) in found)
        row.append(Cell(number(total), total, records_url("recycles", month.start, month.end) if total else ""))
        panel.rows.append(row)
    return panel


def _revival_panel(first, last) -> Panel:
    rates = metric_totals(metric="revival_rate", first=first, last=last, dimension="reason")
    total = metric_totals(metric="revival_rate", first=first, last=last)
    names = labels("reason", [rate.dim_value for rate in rates])
    panel = Panel(
        "revival",
        _("Revival rate by recycle reason"),
        [_("Recycle reason"), _("Recycles"), _("Revived"), _("Revival rate")],
        help=_("Recycled leads that became an SQL within six months ÷ recycles, over the last twelve months."),
        chart=Chart("bar", [3], horizontal=True, percent=True),
        note=_window_note(first, last)
        + " "
        + _("The latest months' recycles still have time to revive, so their rate still grows."),
    )
    rows = [(names[rate.dim_value], rate, rate.dim_value) for rate in rates]
    rows.sort(key=lambda row: (-(row[1].denominator or 0), row[0]))
    if rows and total:
        rows.append((_("All reasons"), total[0], None))
    for label, rate, reason in rows:
        link = {} if reason is None else {"dimension": "reason", "value": reason}
        panel.rows.append(
            [
                Cell(label),
                number_cell(rate.denominator, records_url("recycles", first, last, **link)),
                number_cell(rate.numerator, records_url("revived_recycles", first, last, **link)),
                rate_cell(rate, records_url("revival_rate", first, last, **link)),
            ]
        )
    return panel


def _cvr_cells(rate: Figure, first, last, link: dict) -> list[Cell]:
    return [
        number_cell(rate.denominator, records_url("inbound_leads", first, last, **link)),
        number_cell(rate.numerator, records_url("inbound_sqls", first, last, **link)),
        rate_cell(rate, records_url("inbound_cvr", first, last, **link)),
    ]


# Campaign × rep pairs on the page, those with the most inbound leads first (the CSV holds every pair).
PAIRS_SHOWN = 50


def _inbound_panels(first, last) -> list[Panel]:
    pairs = metric_totals(metric="inbound_cvr", first=first, last=last, dimension=composite("campaign", "rep"))
    campaigns = metric_totals(metric="inbound_cvr", first=first, last=last, dimension="campaign")
    split = {rate.dim_value: rate.dim_value.split(COMPOSITE_SEPARATOR) for rate in pairs}
    campaign_names = labels("campaign", [rate.dim_value for rate in campaigns] + [c for c, _r in split.values()])
    rep_names = labels("rep", [r for _c, r in split.values()])
    columns = [_("Inbound leads"), _("Inbound SQLs"), _("Inbound CVR")]
    note = _window_note(first, last)
    by_pair = Panel(
        "inbound-cvr",
        _("Inbound CVR by campaign × rep"),
        [_("Campaign"), _("IS rep"), *columns],
        help=_(
            "Inbound SQLs ÷ inbound leads over the last twelve months, by the lead's campaign and owner; the "
            "pairs with the most inbound leads first."
        ),
        note=note,
        wide=True,
        max_rows=PAIRS_SHOWN,
    )
    order = sorted(
        pairs,
        key=lambda rate: (
            -(rate.denominator or 0),
            split[rate.dim_value][0] == "",
            campaign_names[split[rate.dim_value][0]],
            rep_names[split[rate.dim_value][1]],
        ),
    )
    for rate in order:
        campaign, rep = split[rate.dim_value]
        link = {"dimension": composite("campaign", "rep"), "value": rate.dim_value}
        by_pair.rows.append(
            [Cell(campaign_names[campaign]), Cell(rep_names[rep]), *_cvr_cells(rate, first, last, link)]
        )
    by_campaign = Panel(
        "inbound-cvr-campaign",
        _("Inbound CVR by campaign"),
        [_("Campaign"), *columns],
        help=_("Inbound SQLs ÷ inbound leads over the last twelve months, by the lead's campaign."),
        chart=Chart("bar", [3], horizontal=True, percent=True),
        note=note,
    )
    for rate in sorted(campaigns, key=lambda rate: (rate.dim_value == "", campaign_names[rate.dim_value])):
        link = {"dimension": "campaign", "value": rate.dim_value}
        by_campaign.rows.append([Cell(campaign_names[rate.dim_value]), *_cvr_cells(rate, first, last, link)])
    return [by_pair, by_campaign]


def _quality_panel(first, last) -> Panel:
    # Month rows add up to the same sums as day rows, with a thirtieth of the rows to read.
    sums = (
        MetricValue.objects.filter(
            metric__in=QUALITY, grain=Grain.MONTH, period_start__gte=first, period_start__lte=last, dimension="source"
        )
        .values("metric", "dim_value")
        .annotate(total=Sum("numerator"))
        .order_by()
    )
    found: dict[str, dict[str, int]] = {}
    for row in sums:
        found.setdefault(row["dim_value"], {})[row["metric"]] = row["total"]
    names = labels("source", list(found))
    panel = Panel(
        "source-quality",
        _("Lead-source quality"),
        [
            _("Lead source"),
            _("New leads"),
            _("SQLs"),
            _("SQL rate"),
            _("Valid opportunities"),
            _("SQL → valid opportunity rate"),
            _("Deals won"),
            _("Amount won (JPY)"),
        ],
        help=_("What each lead source yielded down the funnel over the last twelve months."),
        chart=Chart("bar", [1, 2, 4, 6]),
        note=_window_note(first, last)
        + " "
        + _("Each stage is counted in the months it happened, so the rates mix cohorts."),
        wide=True,
    )
    order = sorted(found, key=lambda value: (value == "", -found[value].get("leads", 0), names[value]))
    for value in order:
        counts = found[value]
        leads, sqls, valid, won, amount = (counts.get(metric, 0) for metric in QUALITY)

        def link(metric: str, value: str = value) -> str:
            return records_url(metric, first, last, dimension="source", value=value)

        panel.rows.append(
            [
                Cell(names[value]),
                number_cell(leads, link("leads")),
                number_cell(sqls, link("sqls")),
                _rate(sqls, leads, link("sqls")),
                number_cell(valid, link("valid_opportunities")),
                _rate(valid, sqls, link("valid_opportunities")),
                number_cell(won, link("won_deals")),
                Cell(yen(amount), amount, link("won_amount") if amount else ""),
            ]
        )
    return panel


def _rate(part: int, whole: int, url: str) -> Cell:
    """A rate of two sums, linked to its numerator's records."""
    value = ratio(part, whole)
    return Cell(percent(value), None if value is None else round(value, 4), url if part and whole else "", "rate")
