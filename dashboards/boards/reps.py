"""The reps board: the IS leaderboard (SQLs, SQLs per working day, actions and actions per SQL, effective
conversations, connect rate, FS's feedback on the SQLs) and what drives appointments in the team: the
correlation of a rep's daily activity with the SQLs of the day."""

from django.utils.translation import gettext as _

from org.models import User

from ..models import Grain
from ..selectors import correlations, dimension_labels
from .base import (
    BoardQuery,
    Cell,
    Chart,
    Panel,
    count_cell,
    figures,
    label_cell,
    metric_label,
    number,
    period_url,
    rate_cell,
)

LEADERBOARD = (
    "sqls",
    "rep_days",
    "sqls_per_rep_day",
    "activities",
    "actions_per_sql",
    "effective_conversations",
    "connect_rate",
    "sql_feedback_score",
)
# Below this many (rep, day) points a correlation says little.
FEW_POINTS = 10


def fixed(value: float | None, places: int) -> str:
    return "—" if value is None else f"{value:,.{places}f}"


def build(query: BoardQuery) -> list[Panel]:
    return [_leaderboard(query), _drivers(query)]


def _leaderboard(query: BoardQuery) -> Panel:
    period = query.period
    found = figures(grain=query.grain, starts=[period.start], metrics=LEADERBOARD, dimension="rep")
    active = {value for _code, _start, value in found}
    reps = User.objects.filter(pk__in=[int(value) for value in active if value.isdigit()], role=User.Role.IS)
    if query.team is not None:
        reps = reps.filter(team=query.team)
    keys = [str(pk) for pk in reps.values_list("pk", flat=True)]
    labels = dimension_labels("rep", keys)
    panel = Panel(
        "leaderboard",
        _("IS leaderboard"),
        [
            _("IS rep"),
            metric_label("sqls"),
            _("Working days"),
            _("SQLs per working day"),
            _("Actions"),
            metric_label("actions_per_sql"),
            metric_label("effective_conversations"),
            metric_label("connect_rate"),
            metric_label("sql_feedback_score"),
        ],
        help=_(
            "Per IS rep, most SQLs first. Working days: days with at least one activity logged. Actions: "
            "calls, mails, web meetings and visits. Feedback score: FS's ratings of the rep's SQLs after the "
            "first meeting (yes 2, partly 1, no 0 points) ÷ 2 points per rated SQL."
        ),
        chart=Chart("bar", [1], horizontal=True),
        wide=True,
    )

    def figure(code: str, key: str):
        return found.get((code, period.start, key))

    def url(code: str, key: str) -> str:
        return period_url(code, period, dimension="rep", value=key)

    rows = []
    for key in keys:
        sqls = count_cell(figure("sqls", key), url("sqls", key))
        per_day = figure("sqls_per_rep_day", key)
        per_day_value = per_day.value if per_day else None
        per_sql = figure("actions_per_sql", key)
        per_sql_value = per_sql.value if per_sql else None
        rows.append(
            [
                label_cell(labels[key]),
                sqls,
                count_cell(figure("rep_days", key), url("rep_days", key)),
                Cell(
                    fixed(per_day_value, 2),
                    None if per_day_value is None else round(per_day_value, 4),
                    url("sqls_per_rep_day", key) if per_day_value else "",
                ),
                count_cell(figure("activities", key), url("activities", key)),
                Cell(
                    fixed(per_sql_value, 1),
                    None if per_sql_value is None else round(per_sql_value, 4),
                    url("actions_per_sql", key) if per_sql_value else "",
                ),
                count_cell(figure("effective_conversations", key), url("effective_conversations", key)),
                rate_cell(figure("connect_rate", key), url("connect_rate", key)),
                rate_cell(figure("sql_feedback_score", key), url("sql_feedback_score", key)),
            ]
        )
    panel.rows = sorted(rows, key=lambda row: (-row[1].value, -(row[3].value or 0), row[0].text))
    if query.grain == Grain.DAY:
        panel.note = _("A day is short for a leaderboard: choose a week or a month.")
    return panel


def _drivers(query: BoardQuery) -> Panel:
    period = query.period
    found = correlations(first=period.start, last=period.end, team_id=query.team.pk if query.team else None)
    points = found[0].points
    panel = Panel(
        "drivers",
        _("What drives appointments"),
        [_("Per rep and day"), _("r with SQLs"), _("Points (rep-days)")],
        help=_(
            "The correlation (Pearson r) of each daily figure of a rep with the rep's SQLs of the same day, over "
            "every rep and day of the period with an activity or an SQL: 1 means they rise together, 0 that "
            "they are unrelated."
        ),
        chart=Chart("bar", [1], horizontal=True),
    )
    notes = [
        _(
            "One company's Recycle group found r = 0.98 for unique companies touched, 0.8 for effective "
            "conversations and 0.7 for activities: reaching more companies mattered most."
        )
    ]
    if points == 0:
        notes.insert(0, _("No rep logged an activity or an SQL in this period yet."))
    else:
        panel.rows = [
            [
                Cell(metric_label(item.metric)),
                Cell(fixed(item.r, 2), None if item.r is None else round(item.r, 2)),
                Cell(number(item.points), item.points),
            ]
            for item in found
        ]
        if points < FEW_POINTS:
            notes.insert(
                0,
                _("Only %(points)s points: fewer than about %(few)s say little; choose a longer period.")
                % {"points": points, "few": FEW_POINTS},
            )
    panel.note = " ".join(notes)
    return panel
