"""The activity board: calls and mails by direction, connected or not, the connect rate, effective
conversations and unique companies touched, for the period against the one before, over time, per rep and
per team. With a team chosen every figure is that team's and the reps are its IS reps."""

from django.utils.translation import gettext as _

from leads.models import Origin
from org.models import User

from ..metrics import COMPOSITE_SEPARATOR, METRICS, composite
from ..selectors import dimension_labels
from .base import (
    BoardQuery,
    Cell,
    Chart,
    Panel,
    Period,
    change_cell,
    count_cell,
    figures,
    label_cell,
    metric_label,
    period_url,
    rate_cell,
)

# Counts of the period against the one before (companies are a distinct count: read at the period's grain).
SUMMARY = ("calls", "connects", "calls_not_connected", "connect_rate", "effective_conversations", "companies_touched")
TREND = ("calls", "connects", "connect_rate", "effective_conversations")
BREAKDOWN = (
    "activities",
    "calls",
    "mails",
    "connects",
    "connect_rate",
    "effective_conversations",
    "companies_touched",
)


def build(query: BoardQuery) -> list[Panel]:
    # The totals are the company's, or the chosen team's: its row of the "team" breakdown.
    scope, key = ("team", query.team_key) if query.team else ("", "")
    previous = query.period.shift(-1)
    totals = figures(
        grain=query.grain,
        starts={p.start for p in [*query.trend(), previous]},
        metrics=sorted({*SUMMARY, *TREND}),
        dimension=scope,
    )
    panels = [
        _directions(query),
        _summary(query, previous, totals, scope, key),
        _trend(query, totals, scope, key),
        _per_rep(query),
    ]
    if query.team is None:
        panels.append(_per_team(query))
    return panels


def _directions(query: BoardQuery) -> Panel:
    period = query.period
    dimension = composite("team", "direction") if query.team else "direction"
    prefix = f"{query.team_key}{COMPOSITE_SEPARATOR}" if query.team else ""
    found = figures(grain=query.grain, starts=[period.start], metrics=["calls", "mails"], dimension=dimension)
    panel = Panel(
        "directions",
        _("Calls and mails by direction"),
        [_("Direction"), metric_label("calls"), metric_label("mails")],
        help=_("Inbound: the customer called or wrote; outbound: the rep did."),
        chart=Chart("bar", [1, 2], stacked=True),
    )
    labels = dimension_labels("direction", list(Origin.values))
    for direction in Origin.values:
        value = prefix + direction
        cells = [
            count_cell(
                found.get((code, period.start, value)), period_url(code, period, dimension=dimension, value=value)
            )
            for code in ("calls", "mails")
        ]
        if any(cell.value for cell in cells):
            panel.rows.append([label_cell(labels[direction]), *cells])
    return panel


def _summary(query: BoardQuery, previous: Period, totals, scope: str, key: str) -> Panel:
    period = query.period
    panel = Panel(
        "connects",
        _("Connects"),
        [_("Measure"), period.label, previous.label, _("Change")],
        help=_(
            "Calls connected or not, the connect rate (connected ÷ calls), effective conversations and the "
            "distinct companies touched in the period, against the period before."
        ),
    )
    if not any(totals.get((code, start, key)) for code in SUMMARY for start in (period.start, previous.start)):
        return panel
    for code in SUMMARY:
        now, before = totals.get((code, period.start, key)), totals.get((code, previous.start, key))
        if METRICS[code].is_ratio:
            row = [
                rate_cell(now, period_url(code, period, dimension=scope, value=key)),
                rate_cell(before, period_url(code, previous, dimension=scope, value=key)),
                _points_change(now, before),
            ]
        else:
            current = count_cell(now, period_url(code, period, dimension=scope, value=key))
            earlier = count_cell(before, period_url(code, previous, dimension=scope, value=key))
            row = [current, earlier, change_cell(current.value, earlier.value)]
        panel.rows.append([Cell(metric_label(code)), *row])
    return panel


def _points_change(now, before) -> Cell:
    """A rate's change in percentage points (a connect rate from 20 % to 25 % is +5.0 pt, not +25 %)."""
    if now is None or before is None or now.value is None or before.value is None:
        return Cell("—", None)
    change = now.value - before.value
    sign = "+" if change > 0 else ""
    css = "up" if change > 0 else "down" if change else ""
    return Cell(f"{sign}{change * 100:.1f} pt", round(change, 4), css=css)


def _trend(query: BoardQuery, totals, scope: str, key: str) -> Panel:
    panel = Panel(
        "trend",
        _("Calls, connects and effective conversations over time"),
        [_("Period"), *(metric_label(code) for code in TREND)],
        help=_("The periods up to the chosen one."),
        chart=Chart("line", [1, 2, 4]),
        wide=True,
    )
    for p in query.trend():
        cells = []
        for code in TREND:
            figure, url = totals.get((code, p.start, key)), period_url(code, p, dimension=scope, value=key)
            cells.append(rate_cell(figure, url) if METRICS[code].is_ratio else count_cell(figure, url))
        panel.rows.append([Cell(p.short_label, p.start.isoformat()), *cells])
    if not any(totals.get((code, p.start, key)) for code in TREND for p in query.trend()):
        panel.rows = []
    return panel


def _per_rep(query: BoardQuery) -> Panel:
    period = query.period
    found = figures(grain=query.grain, starts=[period.start], metrics=BREAKDOWN, dimension="rep")
    values = {value for _code, _start, value in found}
    if query.team is not None:
        members = User.objects.filter(team=query.team, role=User.Role.IS).values_list("pk", flat=True)
        values &= {str(pk) for pk in members}
    panel = _breakdown(
        Panel(
            "reps",
            _("Per rep"),
            [_("IS rep"), *(metric_label(code) for code in BREAKDOWN)],
            help=_("Each rep's own activity in the period, busiest first."),
            chart=Chart("bar", [2, 3], stacked=True, horizontal=True),
            wide=True,
        ),
        period,
        found,
        "rep",
        values,
    )
    if query.team is not None:
        panel.note = _("The IS reps of %(team)s; their activity in any team counts.") % {"team": query.team}
    return panel


def _per_team(query: BoardQuery) -> Panel:
    period = query.period
    found = figures(grain=query.grain, starts=[period.start], metrics=BREAKDOWN, dimension="team")
    return _breakdown(
        Panel(
            "teams",
            _("Per team"),
            [_("Team"), *(metric_label(code) for code in BREAKDOWN)],
            help=_("Each team's activity in the period: the team the rep was in when the activity happened."),
            chart=Chart("bar", [2, 3], stacked=True, horizontal=True),
        ),
        period,
        found,
        "team",
        {value for _code, _start, value in found},
    )


def _breakdown(panel: Panel, period: Period, found, dimension: str, values: set[str]) -> Panel:
    labels = dimension_labels(dimension, sorted(values))
    rows = []
    for value in values:
        cells = []
        for code in BREAKDOWN:
            figure = found.get((code, period.start, value))
            url = period_url(code, period, dimension=dimension, value=value)
            cells.append(rate_cell(figure, url) if METRICS[code].is_ratio else count_cell(figure, url))
        rows.append([label_cell(labels[value]), *cells])
    panel.rows = sorted(rows, key=lambda row: (-row[1].value, row[0].text))
    return panel
