"""Assets ahead: the leads scheduled for each of the next 14 days, the next weeks and months against the
team's target (or every team's together), and what to do about a shortfall today — the same figures the
asset-shortfall alert gives, from ``selectors.asset_outlook``."""

from datetime import date

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..models import Alert, AssetTarget, Grain
from ..selectors import AssetOutlook, asset_outlook
from .base import BoardQuery, Cell, Chart, Panel, Period, count_cell, figures, number, period_url

DAYS_AHEAD = 14
WEEKS_AHEAD = 8  # this ISO week and the 7 after it
MONTHS_AHEAD = 3  # this month and the 2 after it


def build(query: BoardQuery) -> list[Panel]:
    dimension, value = ("team", query.team_key) if query.team else ("", "")
    targets = AssetTarget.objects.all()
    if query.team:
        targets = targets.filter(team=query.team)
    target = targets.aggregate(daily=Sum("daily"), weekly=Sum("weekly"))

    def ahead(grain: str, periods: int) -> tuple[list[Period], dict]:
        first = Period.containing(grain, query.today)
        shown = [first.shift(n) for n in range(periods)]
        found = figures(grain=grain, starts=[p.start for p in shown], metrics=["assets"], dimension=dimension)
        return shown, {start: figure for (_code, start, key), figure in found.items() if key == value}

    days, by_day = ahead(Grain.DAY, DAYS_AHEAD)
    weeks, by_week = ahead(Grain.WEEK, WEEKS_AHEAD)
    months, by_month = ahead(Grain.MONTH, MONTHS_AHEAD)

    def rows(periods: list[Period], found: dict, wanted: int | None) -> list[list[Cell]]:
        table = []
        for period in periods:
            figure = found.get(period.start)
            have = figure.numerator if figure else 0
            row = [
                Cell(period.label, period.start.isoformat()),
                count_cell(figure, period_url("assets", period, dimension=dimension, value=value)),
            ]
            if wanted is not None:
                short = max(wanted - have, 0)
                row += [Cell(number(wanted), wanted), Cell(number(short), short, css="warn" if short else "")]
            table.append(row)
        return table

    no_target = _("This team has no asset target yet.") if query.team else _("No team has an asset target yet.")
    daily = Panel(
        "days",
        _("The next %(days)s days") % {"days": DAYS_AHEAD},
        [_("Day"), _("Assets"), _("Target"), _("Shortfall")],
        rows(days, by_day, target["daily"]),
        help=_(
            "Open leads scheduled for each day from today, against the daily target (for all teams: the sum of "
            "the teams' targets)."
        ),
        chart=Chart("bar", [1, 2]),
        wide=True,
    )
    weekly = Panel(
        "weeks",
        _("The next %(weeks)s weeks") % {"weeks": WEEKS_AHEAD},
        [_("ISO week"), _("Assets"), _("Target"), _("Shortfall")],
        rows(weeks, by_week, target["weekly"]),
        help=_("Open leads scheduled in this ISO week and the ones after it, against the weekly target."),
        chart=Chart("bar", [1, 2]),
    )
    if target["daily"] is None:
        for panel in (daily, weekly):
            panel.columns, panel.chart, panel.note = panel.columns[:2], Chart("bar", [1]), no_target
    monthly = Panel(
        "months",
        _("The next %(months)s months") % {"months": MONTHS_AHEAD},
        [_("Month"), _("Assets")],
        rows(months, by_month, None),
        help=_("Open leads scheduled in this month and the ones after it."),
        chart=Chart("bar", [1]),
        note=_("Targets are set per day and per week; there is no monthly target."),
    )
    return [daily, weekly, monthly, _shortfall_panel(query, no_target)]


def _shortfall_panel(query: BoardQuery, no_target: str) -> Panel:
    panel = Panel(
        "shortfall",
        _("Shortfall and suggested activity target"),
        [
            _("Team"),
            _("Assets tomorrow"),
            _("Daily target"),
            _("Assets this week"),
            _("Weekly target"),
            _("Activities a day (last 4 weeks)"),
            _("Suggested activity target today (1.5×)"),
            _("Suggested activity target today (2×)"),
            _("Open alerts"),
        ],
        help=_(
            "When tomorrow's or this week's assets are below target, raise today's activity target to 1.5–2× "
            "the team's average activities a day (over the days it logged any in the 4 weeks before today), "
            "rounded up: the figures the asset-shortfall alert gives."
        ),
        wide=True,
    )
    outlooks = asset_outlook(today=query.today, team_ids=[query.team.pk] if query.team else None)
    alerts = Alert.objects.filter(kind=Alert.Kind.ASSET_SHORTFALL, status=Alert.Status.OPEN)
    if query.team:
        alerts = alerts.filter(team=query.team)
    per_team = dict(alerts.values_list("team_id").annotate(count=Count("pk")).order_by())
    alerts_url = f"{reverse('dashboards:alerts')}?kind={Alert.Kind.ASSET_SHORTFALL}"
    panel.rows = [_shortfall_row(outlook, per_team.get(outlook.team.pk, 0), alerts_url) for outlook in outlooks]
    link = format_html(
        '<a href="{}">{}</a>',
        alerts_url,
        _("Open asset-shortfall alerts: %(count)s") % {"count": sum(per_team.values())},
    )
    panel.note = link if outlooks else format_html("{} {}", no_target, link)
    return panel


def _shortfall_row(outlook: AssetOutlook, alerts: int, alerts_url: str) -> list[Cell]:
    team = str(outlook.team.pk)

    def assets(have: int, short: bool, grain: str, start: date) -> Cell:
        url = period_url("assets", Period(grain, start), dimension="team", value=team) if have else ""
        return Cell(number(have), have, url, "warn" if short else "")

    short = outlook.short_tomorrow or outlook.short_this_week
    return [
        Cell(str(outlook.team), str(outlook.team)),
        assets(outlook.tomorrow_assets, outlook.short_tomorrow, Grain.DAY, outlook.tomorrow),
        Cell(number(outlook.daily_target), outlook.daily_target),
        assets(outlook.week_assets, outlook.short_this_week, Grain.WEEK, outlook.week),
        Cell(number(outlook.weekly_target), outlook.weekly_target),
        Cell(number(outlook.baseline), outlook.baseline),
        Cell(number(outlook.low), outlook.low) if short else Cell("—"),
        Cell(number(outlook.high), outlook.high) if short else Cell("—"),
        Cell(number(alerts), alerts, alerts_url if alerts else ""),
    ]
