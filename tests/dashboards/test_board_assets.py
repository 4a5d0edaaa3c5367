"""The "Assets ahead" board: leads scheduled for each of the next 14 days, the next 8 ISO weeks and 3 months,
against the team's target (or every team's together), and the shortfall with the suggested activity
target — the very figures of the asset-shortfall alert.

The world (today is Friday 2026-11-20; ISO week 47 runs Mon 11-16 – Sun 11-22):

    team        target (day/week)   leads scheduled on                                          activities
    SDR 東京     2 / 5              11-17 (overdue), 11-20, 11-21, 11-23 ×3, 11-30, 12-03 ×2,      5 on 11-18,
                                    2027-01-10, 2027-02-01 (beyond the 3 months)                3 on 11-19
    BDR 大阪     1 / 2              11-21 ×2, 11-25                                             3 on 11-19
    Recycle     —                   11-22
"""

from datetime import date, datetime

import pytest

from dashboards.boards import BOARDS
from dashboards.boards.base import BoardQuery, Period
from dashboards.models import Alert, Grain
from dashboards.services import alerts_evaluate, asset_target_set, metrics_rebuild
from tests.activities.factories import ActivityFactory
from tests.helpers import TODAY, TOKYO
from tests.leads.factories import LeadFactory
from tests.org.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

RECORDS = "/dashboards/records/?metric=assets"
DAY_LABELS = [
    "2026-11-20 (Fri)",
    "2026-11-21 (Sat)",
    "2026-11-22 (Sun)",
    "2026-11-23 (Mon)",
    "2026-11-24 (Tue)",
    "2026-11-25 (Wed)",
    "2026-11-26 (Thu)",
    "2026-11-27 (Fri)",
    "2026-11-28 (Sat)",
    "2026-11-29 (Sun)",
    "2026-11-30 (Mon)",
    "2026-12-01 (Tue)",
    "2026-12-02 (Wed)",
    "2026-12-03 (Thu)",
]
WEEK_LABELS = [
    "2026-W47 (11/16–11/22)",
    "2026-W48 (11/23–11/29)",
    "2026-W49 (11/30–12/06)",
    "2026-W50 (12/07–12/13)",
    "2026-W51 (12/14–12/20)",
    "2026-W52 (12/21–12/27)",
    "2026-W53 (12/28–01/03)",
    "2027-W01 (01/04–01/10)",
]


def jst(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TOKYO)


def schedule(owner, *days: date) -> list:
    return [LeadFactory(owner=owner, next_approach_on=day) for day in days]


@pytest.fixture
def world(is_team, is_rep, manager):
    osaka = TeamFactory(name="BDR 大阪", bdr=True)
    recycle = TeamFactory(name="Recycle", recycle=True)
    osaka_rep, recycler = UserFactory(team=osaka), UserFactory(team=recycle)
    asset_target_set(team=is_team, daily=2, weekly=5)
    asset_target_set(team=osaka, daily=1, weekly=2)
    november = [date(2026, 11, day) for day in (17, 20, 21, 23, 23, 23, 30)]
    overdue, *_rest = schedule(
        is_rep, *november, date(2026, 12, 3), date(2026, 12, 3), date(2027, 1, 10), date(2027, 2, 1)
    )
    *_tomorrow, next_week = schedule(osaka_rep, date(2026, 11, 21), date(2026, 11, 21), date(2026, 11, 25))
    schedule(recycler, date(2026, 11, 22))
    ActivityFactory.create_batch(5, lead=overdue, occurred_at=jst(11, 18, 11))
    ActivityFactory.create_batch(3, lead=overdue, occurred_at=jst(11, 19, 15))
    ActivityFactory.create_batch(3, lead=next_week, occurred_at=jst(11, 19, 9))
    metrics_rebuild(first_day=date(2026, 10, 1), last_day=date(2027, 2, 28), today=TODAY)
    return {"tokyo": is_team, "osaka": osaka, "recycle": recycle, "manager": manager}


def panels(team=None) -> dict:
    query = BoardQuery(Period.containing(Grain.MONTH, TODAY), TODAY, team)
    return {panel.key: panel for panel in BOARDS["assets"].build(query)}


def table(panel) -> list[list[str]]:
    return [[cell.text for cell in row] for row in panel.rows]


def column(panel, index: int, attribute: str = "text") -> list:
    return [getattr(row[index], attribute) for row in panel.rows]


def link(first: str, last: str, team=None) -> str:
    breakdown = f"&dimension=team&value={team.pk}" if team else ""
    return f"{RECORDS}&since={first}&until={last}{breakdown}"


def test_all_teams_the_next_14_days_against_the_sum_of_the_teams_daily_targets(world):
    days = panels()["days"]

    assert days.columns == ["Day", "Assets", "Target", "Shortfall"]
    assert column(days, 0) == DAY_LABELS
    assert column(days, 1, "value") == [1, 3, 1, 3, 0, 1, 0, 0, 0, 0, 1, 0, 0, 2]
    assert set(column(days, 2)) == {"3"}  # 2 a day in Tokyo + 1 in Osaka; the recycle team has no target
    assert column(days, 3, "value") == [2, 0, 2, 0, 3, 2, 3, 3, 3, 3, 2, 3, 3, 1]
    assert column(days, 3, "css") == ["warn", "", "warn", "", *["warn"] * 10]
    assert days.rows[1][1].url == link("2026-11-21", "2026-11-21")
    assert days.rows[4][1].url == ""  # nothing to list behind a zero
    assert days.chart_data()["datasets"][1] == {"label": "Target", "data": [3] * 14}


def test_all_teams_the_next_weeks_and_months(world):
    found = panels()

    assert (
        table(found["weeks"])
        == [
            [WEEK_LABELS[0], "6", "7", "1"],  # the overdue lead of Tuesday still counts in this week
            [WEEK_LABELS[1], "4", "7", "3"],
            [WEEK_LABELS[2], "3", "7", "4"],
            *[[label, "0", "7", "7"] for label in WEEK_LABELS[3:7]],
            [WEEK_LABELS[7], "1", "7", "6"],
        ]
    )
    assert found["weeks"].rows[0][1].url == link("2026-11-16", "2026-11-22")
    assert table(found["months"]) == [["2026-11", "11"], ["2026-12", "2"], ["2027-01", "1"]]
    assert found["months"].rows[2][1].url == link("2027-01-01", "2027-01-31")
    assert found["months"].note == "Targets are set per day and per week; there is no monthly target."


def test_a_chosen_team_reads_its_own_assets_and_target(world):
    tokyo = world["tokyo"]
    found = panels(tokyo)

    days = found["days"]
    assert column(days, 1, "value") == [1, 1, 0, 3, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2]
    assert set(column(days, 2, "value")) == {2}
    assert column(days, 3, "value") == [1, 1, 2, 0, 2, 2, 2, 2, 2, 2, 1, 2, 2, 0]
    assert days.rows[3][1].url == link("2026-11-23", "2026-11-23", tokyo)
    assert table(found["weeks"])[:3] == [
        [WEEK_LABELS[0], "3", "5", "2"],
        [WEEK_LABELS[1], "3", "5", "2"],
        [WEEK_LABELS[2], "3", "5", "2"],
    ]
    assert found["weeks"].rows[7][1].url == link("2027-01-04", "2027-01-10", tokyo)
    assert table(found["months"]) == [["2026-11", "7"], ["2026-12", "2"], ["2027-01", "1"]]


def test_a_team_without_a_target_shows_its_assets_only(world):
    found = panels(world["recycle"])

    assert table(found["days"])[:3] == [[DAY_LABELS[0], "0"], [DAY_LABELS[1], "0"], [DAY_LABELS[2], "1"]]
    assert found["days"].columns == ["Day", "Assets"]
    assert found["days"].note == "This team has no asset target yet."
    assert found["shortfall"].rows == []
    assert found["shortfall"].note == (
        "This team has no asset target yet. "
        '<a href="/dashboards/alerts/?kind=assets">Open asset-shortfall alerts: 0</a>'
    )


def test_the_shortfall_panel_gives_the_alerts_figures_and_the_suggested_activity_target(world):
    """Tokyo: 1 of 2 for tomorrow, 3 of 5 this week, 4 activities a day → 6–8 today. Osaka: exactly on its
    weekly target (2 of 2) is no shortfall, so nothing is suggested."""
    alerts_evaluate(today=TODAY)

    shortfall = panels()["shortfall"]

    assert table(shortfall) == [
        ["BDR 大阪", "2", "1", "2", "2", "3", "—", "—", "0"],
        ["SDR 東京", "1", "2", "3", "5", "4", "6", "8", "2"],
    ]
    tokyo = shortfall.rows[1]
    assert [cell.css for cell in tokyo[1:5]] == ["warn", "", "warn", ""]
    assert [tokyo[1].url, tokyo[3].url, tokyo[8].url] == [
        link("2026-11-21", "2026-11-21", world["tokyo"]),
        link("2026-11-16", "2026-11-22", world["tokyo"]),
        "/dashboards/alerts/?kind=assets",
    ]
    day, week = Alert.objects.filter(kind=Alert.Kind.ASSET_SHORTFALL).order_by("key")
    assert [(alert.params["assets"], alert.params["target"]) for alert in (day, week)] == [(1, 2), (3, 5)]
    assert (day.params["activity_baseline"], day.params["activity_low"], day.params["activity_high"]) == (4, 6, 8)
    assert shortfall.note == '<a href="/dashboards/alerts/?kind=assets">Open asset-shortfall alerts: 2</a>'


def test_a_chosen_team_has_its_own_shortfall_row_only(world):
    alerts_evaluate(today=TODAY)

    shortfall = panels(world["osaka"])["shortfall"]

    assert table(shortfall) == [["BDR 大阪", "2", "1", "2", "2", "3", "—", "—", "0"]]
    assert shortfall.note == '<a href="/dashboards/alerts/?kind=assets">Open asset-shortfall alerts: 0</a>'


def test_the_board_reads_a_handful_of_queries(world, django_assert_num_queries):
    with django_assert_num_queries(9):
        panels(world["tokyo"])


def test_a_manager_reads_the_board_and_downloads_a_teams_weeks(client, world):
    client.force_login(world["manager"])

    page = client.get(f"/dashboards/assets/?team={world['tokyo'].pk}")
    download = client.get(f"/dashboards/assets/?team={world['tokyo'].pk}&csv=weeks")

    assert page.status_code == 200
    assert [
        f'data-testid="panel-{key}"' in page.content.decode() for key in ("days", "weeks", "months", "shortfall")
    ] == [True] * 4
    assert download.status_code == 200
    assert download.content.decode("utf-8-sig").splitlines() == [
        "ISO week,Assets,Target,Shortfall",
        "2026-11-16,3,5,2",
        "2026-11-23,3,5,2",
        "2026-11-30,3,5,2",
        "2026-12-07,0,5,5",
        "2026-12-14,0,5,5",
        "2026-12-21,0,5,5",
        "2026-12-28,0,5,5",
        "2027-01-04,1,5,4",
    ]
