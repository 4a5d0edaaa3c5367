"""The activity board: calls and mails by direction, connects against the day before, the trend, per rep
and per team, for the company and for one team, on a world of activities counted by hand.

The world (all times JST; Aoki and Baba in the SDR team, Chiba in a BDR team; K1–K4 are companies):

    Wed 11-18  Aoki  call out  K1  not connected
               Baba  call out  K3  connected
    Thu 11-19  Aoki  call out  K1  connected, effective
               Aoki  call out  K2  not connected
               Aoki  call in   K1  connected
               Aoki  mail out  K2
               Baba  call out  K3  connected, effective
               Baba  mail in   K3
               Chiba call out  K1  not connected
               Chiba mail out  K1
"""

import csv
import io
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from activities.models import Activity
from dashboards.boards import BOARDS
from dashboards.boards.base import BoardQuery, Period
from dashboards.models import Grain
from dashboards.selectors import metric_records
from dashboards.services import metrics_rebuild
from tests.activities.factories import ActivityFactory
from tests.helpers import TODAY, TOKYO
from tests.leads.factories import CompanyFactory, LeadFactory
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

THURSDAY, WEDNESDAY, WEEK = date(2026, 11, 19), date(2026, 11, 18), date(2026, 11, 16)
CALL, MAIL = Activity.Kind.CALL, Activity.Kind.MAIL


def jst(day, hour, minute=0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def world(frozen, is_team):
    bdr = TeamFactory(name="BDR 大阪", bdr=True)
    aoki = UserFactory(username="aoki", last_name="Aoki", team=is_team)
    baba = UserFactory(username="baba", last_name="Baba", team=is_team)
    chiba = UserFactory(username="chiba", last_name="Chiba", team=bdr)
    k1, k2, k3 = CompanyFactory(name="K1"), CompanyFactory(name="K2"), CompanyFactory(name="K3")
    lead = {
        (aoki, k1): LeadFactory(owner=aoki, company=k1),
        (aoki, k2): LeadFactory(owner=aoki, company=k2),
        (baba, k3): LeadFactory(owner=baba, company=k3),
        (chiba, k1): LeadFactory(owner=chiba, company=k1),
    }
    activities = [
        (aoki, k1, CALL, "outbound", False, False, jst(18, 10)),
        (baba, k3, CALL, "outbound", True, False, jst(18, 11)),
        (aoki, k1, CALL, "outbound", True, True, jst(19, 10)),
        (aoki, k2, CALL, "outbound", False, False, jst(19, 11)),
        (aoki, k1, CALL, "inbound", True, False, jst(19, 14)),
        (aoki, k2, MAIL, "outbound", None, False, jst(19, 15)),
        (baba, k3, CALL, "outbound", True, True, jst(19, 10, 30)),
        (baba, k3, MAIL, "inbound", None, False, jst(19, 16)),
        (chiba, k1, CALL, "outbound", False, False, jst(19, 12)),
        (chiba, k1, MAIL, "outbound", None, False, jst(19, 13)),
    ]
    for rep, company, kind, direction, connected, effective, when in activities:
        ActivityFactory(
            lead=lead[(rep, company)],
            kind=kind,
            direction=direction,
            connected=connected,
            effective_conversation=effective,
            occurred_at=when,
        )
    metrics_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30), today=TODAY)
    return {"sdr": is_team, "bdr": bdr, "aoki": aoki, "baba": baba, "chiba": chiba}


def panels(grain: str, start: date, team=None) -> dict:
    return {panel.key: panel for panel in BOARDS["activity"].build(BoardQuery(Period(grain, start), TODAY, team))}


def table(panel) -> list[list[str]]:
    return [[cell.text for cell in row] for row in panel.rows]


def records(metric: str, day: date = THURSDAY, **breakdown) -> str:
    query = f"/dashboards/records/?metric={metric}&since={day}&until={day}"
    return query + "".join(f"&{name}={value}" for name, value in breakdown.items())


def test_calls_and_mails_split_by_direction_and_link_to_their_records(world):
    directions = panels(Grain.DAY, THURSDAY)["directions"]

    assert directions.columns == ["Direction", "Calls", "Mails"]
    assert table(directions) == [["Inbound", "1", "1"], ["Outbound", "4", "2"]]
    assert directions.rows[1][1].url == records("calls", dimension="direction", value="outbound")
    assert directions.chart.stacked is True


def test_connects_of_the_day_against_the_day_before(world):
    connects = panels(Grain.DAY, THURSDAY)["connects"]

    assert connects.columns == ["Measure", "2026-11-19 (Thu)", "2026-11-18 (Wed)", "Change"]
    assert table(connects) == [
        ["Calls", "5", "2", "+150.0 %"],
        ["Connected calls", "3", "1", "+200.0 %"],
        ["Calls not connected", "2", "1", "+100.0 %"],
        ["Connect rate", "60.0 %", "50.0 %", "+10.0 pt"],
        ["Effective conversations", "2", "0", "—"],
        ["Unique companies touched", "3", "2", "+50.0 %"],
    ]
    rate = connects.rows[3]
    assert (rate[1].value, rate[2].value, rate[3].value) == (0.6, 0.5, 0.1)
    assert rate[1].url == records("connects")
    assert connects.rows[2][2].url == records("calls_not_connected", WEDNESDAY)
    assert connects.rows[4][2].url == ""


def test_the_trend_reads_every_day_of_the_last_two_weeks(world):
    trend = panels(Grain.DAY, THURSDAY)["trend"]

    assert len(trend.rows) == 14
    assert table(trend)[0] == ["11/06", "0", "0", "—", "0"]
    assert table(trend)[-2:] == [["11/18", "2", "1", "50.0 %", "0"], ["11/19", "5", "3", "60.0 %", "2"]]
    assert trend.chart.columns == [1, 2, 4]


def test_per_rep_busiest_first(world):
    reps = panels(Grain.DAY, THURSDAY)["reps"]

    assert reps.columns == [
        "IS rep",
        "Activities",
        "Calls",
        "Mails",
        "Connected calls",
        "Connect rate",
        "Effective conversations",
        "Unique companies touched",
    ]
    assert table(reps) == [
        ["Aoki", "4", "3", "1", "2", "66.7 %", "1", "2"],
        ["Baba", "2", "1", "1", "1", "100.0 %", "1", "1"],
        ["Chiba", "2", "1", "1", "0", "0.0 %", "0", "1"],
    ]
    aoki = str(world["aoki"].pk)
    assert reps.rows[0][5].url == records("connects", dimension="rep", value=aoki)
    assert reps.rows[2][5].url == ""


def test_per_team_without_a_team_chosen(world):
    teams = panels(Grain.DAY, THURSDAY)["teams"]

    assert table(teams) == [
        ["SDR 東京", "6", "4", "2", "3", "75.0 %", "2", "3"],
        ["BDR 大阪", "2", "1", "1", "0", "0.0 %", "0", "1"],
    ]
    assert teams.rows[1][1].url == records("activities", dimension="team", value=str(world["bdr"].pk))


def test_unique_companies_of_a_week_are_counted_once_not_summed_over_days(world):
    """Aoki touched K1 on Wednesday and K1, K2 on Thursday: two companies in the week, not three."""
    found = panels(Grain.WEEK, WEEK)

    assert table(found["reps"])[0] == ["Aoki", "5", "4", "1", "2", "50.0 %", "1", "2"]
    assert table(found["connects"])[5] == ["Unique companies touched", "3", "0", "—"]


def test_a_chosen_team_has_its_own_figures_and_only_its_reps(world):
    sdr = world["sdr"]
    found = panels(Grain.DAY, THURSDAY, team=sdr)

    assert set(found) == {"directions", "connects", "trend", "reps"}
    assert table(found["directions"]) == [["Inbound", "1", "1"], ["Outbound", "3", "1"]]
    assert table(found["connects"]) == [
        ["Calls", "4", "2", "+100.0 %"],
        ["Connected calls", "3", "1", "+200.0 %"],
        ["Calls not connected", "1", "1", "0.0 %"],
        ["Connect rate", "75.0 %", "50.0 %", "+25.0 pt"],
        ["Effective conversations", "2", "0", "—"],
        ["Unique companies touched", "3", "2", "+50.0 %"],
    ]
    assert [row[0] for row in table(found["reps"])] == ["Aoki", "Baba"]
    assert found["connects"].rows[0][1].url == records("calls", dimension="team", value=str(sdr.pk))


def test_a_teams_direction_figures_are_what_their_records_count(world):
    directions = panels(Grain.DAY, THURSDAY, team=world["sdr"])["directions"]

    linked = [cell for row in directions.rows for cell in row[1:]]
    assert [cell.value for cell in linked] == [1, 1, 3, 1]
    for cell in linked:
        query = {name: values[0] for name, values in parse_qs(urlsplit(cell.url).query).items()}
        assert query["dimension"] == "team|direction"
        found = metric_records(
            metric=query["metric"],
            first=date.fromisoformat(query["since"]),
            last=date.fromisoformat(query["until"]),
            dimension=query["dimension"],
            dim_value=query["value"],
            today=TODAY,
        )
        assert found.value == cell.value


def test_a_day_without_activity_says_so(world):
    found = panels(Grain.DAY, date(2026, 11, 10))

    assert [found[key].rows for key in ("directions", "connects", "reps", "teams")] == [[], [], [], []]


def test_the_page_and_its_csv(client, world, manager):
    client.force_login(manager)

    page = client.get("/dashboards/activity/", {"grain": "day", "period": "2026-11-19"})
    download = client.get("/dashboards/activity/", {"grain": "day", "period": "2026-11-19", "csv": "reps"})

    assert page.status_code == 200
    assert 'data-testid="panel-directions"' in page.content.decode()
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="activity-reps-2026-11-19.csv"'
    assert list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")))) == [
        [
            "IS rep",
            "Activities",
            "Calls",
            "Mails",
            "Connected calls",
            "Connect rate",
            "Effective conversations",
            "Unique companies touched",
        ],
        ["Aoki", "4", "3", "1", "2", "0.6667", "1", "2"],
        ["Baba", "2", "1", "1", "1", "1.0", "1", "1"],
        ["Chiba", "2", "1", "1", "0", "0.0", "0", "1"],
    ]


def test_the_board_reads_the_summary_tables_in_a_few_queries(world, django_assert_num_queries):
    """Totals over the trend, directions, reps and their names, teams and their names: whatever the history."""
    with django_assert_num_queries(6):
        BOARDS["activity"].build(BoardQuery(Period(Grain.DAY, THURSDAY), TODAY))
    with django_assert_num_queries(5):
        BOARDS["activity"].build(BoardQuery(Period(Grain.DAY, THURSDAY), TODAY, world["sdr"]))
