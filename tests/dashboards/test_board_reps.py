"""The reps board: the IS leaderboard (SQLs, working days, SQLs per working day, actions, actions per SQL,
effective conversations, connect rate, FS's feedback score) and the correlation of a rep's daily activity
with SQLs, on a world counted by hand.

The world (November 2026, JST; Aoki and Baba in the SDR team, Chiba in a BDR team; every activity on a
company of its own except Aoki's Wednesday mail, which follows up that day's call):

    Aoki   Mon 11-16  2 calls (1 connected, effective)                  SQL, FS says yes
           Wed 11-18  1 call connected, 1 mail to the same company       SQL, FS says partly
           Fri 11-20  2 calls connected (1 effective)                    SQL, FS says no
    Baba   Mon–Fri    1 call not connected a day; Thu 11-19 also 1 call connected, effective, and an SQL
                      that FS has not rated yet
    Chiba  Tue 11-17  1 call connected, effective                        SQL, FS says yes
           Thu 11-19  1 mail
"""

import csv
import io
from datetime import date, datetime

import pytest
import time_machine

from activities.models import Activity
from dashboards.boards import BOARDS
from dashboards.boards.base import BoardQuery, Period
from dashboards.models import Grain
from dashboards.selectors import metric_records
from dashboards.services import metrics_rebuild
from handoffs.models import Handoff
from handoffs.services import handoff_accept, handoff_create_sql, handoff_feedback
from leads.services import lead_update_bant
from opportunities.services import opportunity_update
from tests.activities.factories import ActivityFactory
from tests.helpers import TODAY, TOKYO
from tests.leads.factories import BANT_A, LeadFactory
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

MONTH = date(2026, 11, 1)
CALL, MAIL = Activity.Kind.CALL, Activity.Kind.MAIL
LEADERBOARD_COLUMNS = [
    "IS rep",
    "SQLs",
    "Working days",
    "SQLs per working day",
    "Actions",
    "Actions per SQL",
    "Effective conversations",
    "Connect rate",
    "SQL feedback score",
]


def jst(day, hour, minute=0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


def activity(rep, when: datetime, *, kind=CALL, connected=True, effective=False, lead=None) -> Activity:
    return ActivityFactory(
        lead=lead or LeadFactory(owner=rep),
        kind=kind,
        connected=None if kind == MAIL else connected,
        effective_conversation=effective,
        occurred_at=when,
    )


def sql(rep, fs, when: datetime) -> Handoff:
    with time_machine.travel(when, tick=False):
        lead = lead_update_bant(lead=LeadFactory(owner=rep), actor=rep, **BANT_A)
        return handoff_create_sql(
            lead=lead,
            actor=rep,
            to_user=fs,
            heard="予算300万円、来年4月導入、部長決裁",
            why_now="法改正",
            decision_process="部長→役員会",
            to_confirm="給与システム連携",
        )


def rate(handoff: Handoff, feedback: str) -> Handoff:
    """FS accepts the SQL, holds the first meeting and says whether it went as the note promised."""
    with time_machine.travel(jst(20, 9, 50), tick=False):
        fs = handoff.to_user
        handoff_accept(handoff=handoff, actor=fs)
        opportunity_update(opportunity=handoff.opportunity, actor=fs, data={"first_meeting_on": date(2026, 11, 20)})
        reason = "" if feedback == Handoff.Feedback.YES else "決裁者が違った"
        return handoff_feedback(handoff=handoff, actor=fs, feedback=feedback, reason=reason)


def rebuild() -> None:
    metrics_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30), today=TODAY)


@pytest.fixture
def world(frozen, is_team):
    bdr = TeamFactory(name="BDR 大阪", bdr=True)
    aoki = UserFactory(username="aoki", last_name="Aoki", team=is_team)
    baba = UserFactory(username="baba", last_name="Baba", team=is_team)
    chiba = UserFactory(username="chiba", last_name="Chiba", team=bdr)
    fs = UserFactory(username="fs", last_name="Fujita", fs=True)

    activity(aoki, jst(16, 10), effective=True)
    activity(aoki, jst(16, 11), connected=False)
    wednesday = activity(aoki, jst(18, 10))
    activity(aoki, jst(18, 11), kind=MAIL, lead=wednesday.lead)
    activity(aoki, jst(20, 9), effective=True)
    activity(aoki, jst(20, 9, 10))
    for day in range(16, 21):
        activity(baba, jst(day, 13), connected=False)
    activity(baba, jst(19, 14), effective=True)
    activity(chiba, jst(17, 10), effective=True)
    activity(chiba, jst(19, 10), kind=MAIL)

    rate(sql(aoki, fs, jst(16, 15)), Handoff.Feedback.YES)
    rate(sql(aoki, fs, jst(18, 15)), Handoff.Feedback.PARTLY)
    rate(sql(aoki, fs, jst(20, 9, 30)), Handoff.Feedback.NO)
    sql(baba, fs, jst(19, 11))
    rate(sql(chiba, fs, jst(17, 15)), Handoff.Feedback.YES)
    rebuild()
    return {"sdr": is_team, "aoki": aoki, "baba": baba, "chiba": chiba, "fs": fs}


def panels(grain: str = Grain.MONTH, start: date = MONTH, team=None) -> dict:
    return {panel.key: panel for panel in BOARDS["reps"].build(BoardQuery(Period(grain, start), TODAY, team))}


def table(panel) -> list[list[str]]:
    return [[cell.text for cell in row] for row in panel.rows]


def records(metric: str, rep, first: date = MONTH, last: date = date(2026, 11, 30)) -> str:
    return f"/dashboards/records/?metric={metric}&since={first}&until={last}&dimension=rep&value={rep.pk}"


def test_the_leaderboard_ranks_the_reps_by_sqls_then_sqls_per_working_day(world):
    leaderboard = panels()["leaderboard"]

    assert leaderboard.columns == LEADERBOARD_COLUMNS
    assert table(leaderboard) == [
        ["Aoki", "3", "3", "1.00", "6", "2.0", "2", "80.0 %", "50.0 %"],
        ["Chiba", "1", "2", "0.50", "2", "2.0", "1", "100.0 %", "100.0 %"],
        ["Baba", "1", "5", "0.20", "6", "6.0", "1", "16.7 %", "—"],
    ]
    assert leaderboard.chart.columns == [1]


def test_working_days_are_the_days_with_an_activity(world):
    """Aoki worked Monday, Wednesday and Friday of the week: 3 of its 5 working days; Baba all five."""
    leaderboard = panels(Grain.WEEK, date(2026, 11, 16))["leaderboard"]

    days = {row[0].text: (row[2].value, row[3].text) for row in leaderboard.rows}
    assert days == {"Aoki": (3, "1.00"), "Baba": (5, "0.20"), "Chiba": (2, "0.50")}
    aoki = leaderboard.rows[0]
    assert aoki[2].url == records("rep_days", world["aoki"], date(2026, 11, 16), date(2026, 11, 22))
    found = metric_records(
        metric="rep_days",
        first=date(2026, 11, 16),
        last=date(2026, 11, 22),
        dimension="rep",
        dim_value=str(world["aoki"].pk),
        today=TODAY,
    )
    assert found.value == 3


def test_every_leaderboard_figure_links_to_the_records_behind_it(world):
    aoki, baba = panels()["leaderboard"].rows[0], panels()["leaderboard"].rows[2]

    assert [cell.url for cell in aoki[1:]] == [
        records("sqls", world["aoki"]),
        records("rep_days", world["aoki"]),
        records("sqls", world["aoki"]),
        records("activities", world["aoki"]),
        records("activities", world["aoki"]),
        records("effective_conversations", world["aoki"]),
        records("connects", world["aoki"]),
        records("sql_feedback_points", world["aoki"]),
    ]
    assert baba[8].url == ""


@pytest.mark.parametrize(
    ("feedback", "text", "value"),
    [
        (Handoff.Feedback.YES, "100.0 %", 1.0),
        (Handoff.Feedback.PARTLY, "50.0 %", 0.5),
        (Handoff.Feedback.NO, "0.0 %", 0.0),
    ],
)
def test_the_feedback_score_of_one_rated_sql(frozen, is_team, feedback, text, value):
    rep = UserFactory(last_name="Aoki", team=is_team)
    rate(sql(rep, UserFactory(fs=True), jst(18, 15)), feedback)
    rebuild()

    score = panels()["leaderboard"].rows[0][8]

    assert (score.text, score.value) == (text, value)


def test_a_chosen_team_lists_its_reps_and_correlates_their_days(world):
    found = panels(team=world["sdr"])

    assert [row[0] for row in table(found["leaderboard"])] == ["Aoki", "Baba"]
    drivers = found["drivers"]
    assert drivers.columns == ["Per rep and day", "r with SQLs", "Points (rep-days)"]
    # (rep, day) points: Aoki 16 18 20, Baba 16–20. SQLs 1 1 1 | 0 0 0 1 0; activities 2 2 2 | 1 1 1 2 1
    # (r = 1); companies 2 1 2 | 1 1 1 2 1 and effective conversations 1 0 1 | 0 0 0 1 0 (r = 12 / √240).
    assert table(drivers) == [
        ["Unique companies touched", "0.77", "8"],
        ["Effective conversations", "0.77", "8"],
        ["Activities", "1.00", "8"],
    ]
    assert drivers.note.startswith("Only 8 points: fewer than about 10 say little; choose a longer period.")


def test_the_companys_correlations_over_ten_points(world):
    """Chiba adds Tuesday (1 activity, 1 effective conversation, 1 SQL) and Thursday (1 mail, no SQL)."""
    drivers = panels()["drivers"]

    assert table(drivers) == [
        ["Unique companies touched", "0.65", "10"],
        ["Effective conversations", "0.82", "10"],
        ["Activities", "0.82", "10"],
    ]
    assert drivers.note == (
        "One company's Recycle group found r = 0.98 for unique companies touched, 0.8 for effective "
        "conversations and 0.7 for activities: reaching more companies mattered most."
    )


def test_a_month_without_activity_has_no_points(world):
    found = panels(start=date(2026, 10, 1))

    assert found["leaderboard"].rows == []
    assert found["drivers"].rows == []
    assert found["drivers"].note.startswith("No rep logged an activity or an SQL in this period yet.")


def test_the_page_and_its_csv(client, world, manager):
    client.force_login(manager)

    page = client.get("/dashboards/reps/", {"period": "2026-11-19"})
    download = client.get("/dashboards/reps/", {"period": "2026-11-19", "csv": "leaderboard"})

    assert page.status_code == 200
    assert 'data-testid="panel-leaderboard"' in page.content.decode()
    assert 'data-testid="panel-drivers"' in page.content.decode()
    assert download["Content-Disposition"] == 'attachment; filename="reps-leaderboard-2026-11-01.csv"'
    assert list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")))) == [
        LEADERBOARD_COLUMNS,
        ["Aoki", "3", "3", "1.0", "6", "2.0", "2", "0.8", "0.5"],
        ["Chiba", "1", "2", "0.5", "2", "2.0", "1", "1.0", "1.0"],
        ["Baba", "1", "5", "0.2", "6", "6.0", "1", "0.1667", "—"],
    ]


def test_the_board_reads_the_summary_tables_in_a_few_queries(world, django_assert_num_queries):
    """Figures, working days, the reps and their names, the team's members and the correlation sums:
    whatever the history."""
    with django_assert_num_queries(5):
        BOARDS["reps"].build(BoardQuery(Period(Grain.MONTH, MONTH), TODAY, world["sdr"]))
