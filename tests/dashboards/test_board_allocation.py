"""The "FS allocation" board: the month's SQLs per FS rep and segment against the rep's monthly capacity,
each rep's share with the skew warning, and the open capacity alerts.

The world (pipeline world, November 2026; both FS reps sit in the 31–100 employees team, whose default
limit is 50): 鈴木 (fs_a) has their own limits, 3 a month for 31–100 and 2 for 1–30 employees.

    鈴木   3 SQLs of 50-employee companies (exactly at the limit), 1 of a 200-employee company
    高橋   1 SQL of a 50-employee company, and 1 more that 高橋 rejected (it does not count)
"""

from datetime import date

import pytest

from dashboards.boards import BOARDS
from dashboards.boards.base import BoardQuery, Period
from dashboards.models import Grain
from dashboards.services import alerts_evaluate, metrics_rebuild
from handoffs.services import handoff_reject
from org.models import SizeBand
from tests.handoffs.factories import FSCapacityRuleFactory
from tests.helpers import TODAY
from tests.org.factories import UserFactory
from tests.worlds import pipeline_world, sql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

NOVEMBER = date(2026, 11, 1)
RECORDS = "/dashboards/records/?metric=sqls_allocated&since=2026-11-01&until=2026-11-30"


def rebuild() -> None:
    metrics_rebuild(first_day=date(2026, 10, 1), last_day=date(2026, 11, 30), today=TODAY)


def panels(month: date = NOVEMBER) -> dict:
    query = BoardQuery(Period(Grain.MONTH, month), TODAY)
    return {panel.key: panel for panel in BOARDS["allocation"].build(query)}


def table(panel) -> list[list[str]]:
    return [[cell.text for cell in row] for row in panel.rows]


def hand(w, to: str, count: int, *, prefix: str, employees: int = 50) -> list:
    return [sql(w, to=to, name=f"{prefix}{n}", employees=employees) for n in range(count)]


@pytest.fixture
def w():
    w = pipeline_world()
    FSCapacityRuleFactory(user=w["fs_a"], size_band=SizeBand.S, monthly_limit=3)
    FSCapacityRuleFactory(user=w["fs_a"], size_band=SizeBand.XS, monthly_limit=2)
    return w


@pytest.fixture
def world(w):
    hand(w, "fs_a", 3, prefix="山田")
    hand(w, "fs_a", 1, prefix="大森", employees=200)
    hand(w, "fs_b", 1, prefix="佐藤")
    (turned_down,) = hand(w, "fs_b", 1, prefix="木村")
    handoff_reject(handoff=turned_down, actor=w["fs_b"], reason="時期未定")
    rebuild()
    return w


def test_each_reps_sqls_per_segment_against_the_monthly_limit(world):
    capacity = panels()["capacity"]

    assert capacity.columns == ["FS rep", "Segment", "SQLs", "Monthly limit", "Used"]
    assert table(capacity) == [
        ["鈴木", "1–30 employees", "0", "2", "0.0 %"],  # a rule, no SQLs yet
        ["鈴木", "31–100 employees", "3", "3", "100.0 %"],
        ["鈴木", "101–300 employees", "1", "40", "2.5 %"],  # the segment's default
        ["高橋", "31–100 employees", "1", "50", "2.0 %"],  # the rejected SQL does not count
    ]
    assert [row[2].css for row in capacity.rows] == ["", "warn", "", ""]
    assert [row[4].css for row in capacity.rows] == ["rate", "rate warn", "rate", "rate"]
    fs_a, fs_b = world["fs_a"].pk, world["fs_b"].pk
    assert [row[2].url for row in capacity.rows] == [
        "",
        f"{RECORDS}&dimension=fs_rep%7Csize_band&value={fs_a}%7C31-100",
        f"{RECORDS}&dimension=fs_rep%7Csize_band&value={fs_a}%7C101-300",
        f"{RECORDS}&dimension=fs_rep%7Csize_band&value={fs_b}%7C31-100",
    ]
    assert [row[1].value for row in capacity.rows] == ["1-30", "31-100", "101-300", "31-100"]


@pytest.mark.parametrize(("sqls", "shown", "css"), [(2, "66.7 %", ""), (3, "100.0 %", "warn")])
def test_a_rep_is_marked_at_the_limit_not_below_it(w, sqls, shown, css):
    hand(w, "fs_a", sqls, prefix="山田")
    rebuild()

    row = panels()["capacity"].rows[1]

    assert [cell.text for cell in row] == ["鈴木", "31–100 employees", str(sqls), "3", shown]
    assert (row[2].css, row[4].css) == (css, f"rate {css}".strip())


def test_each_reps_share_of_the_months_sqls(world):
    share = panels()["share"]

    assert table(share) == [["鈴木", "4", "80.0 %"], ["高橋", "1", "20.0 %"]]
    assert [row[2].value for row in share.rows] == [0.8, 0.2]
    assert share.rows[0][1].url == f"{RECORDS}&dimension=fs_rep&value={world['fs_a'].pk}"
    assert share.chart_data()["datasets"] == [{"label": "SQLs", "data": [4, 1]}]
    assert share.note == ""  # 5 SQLs in all: too few to call it uneven


@pytest.mark.parametrize(
    ("suzuki", "takahashi", "marked", "note"),
    [
        (8, 1, "", ""),  # 8 is above 1.5 × 4.5, but only 9 SQLs were allocated
        (9, 1, "warn", "Uneven allocation: 鈴木 received more than 1.5× the average of 5.0 SQLs per FS rep."),
        (9, 3, "", ""),  # exactly 1.5 × the average of 6 is not more than it
        (10, 3, "warn", "Uneven allocation: 鈴木 received more than 1.5× the average of 6.5 SQLs per FS rep."),
    ],
)
def test_allocation_is_uneven_when_a_rep_receives_more_than_one_and_a_half_times_the_average(
    w, suzuki, takahashi, marked, note
):
    # 鈴木's in the 301–999 segment (default limit 35), clear of their own limit of 3 for 31–100
    hand(w, "fs_a", suzuki, prefix="山田", employees=500)
    hand(w, "fs_b", takahashi, prefix="佐藤")
    rebuild()

    share = panels()["share"]

    assert [[cell.text for cell in row[:2]] for row in share.rows] == [["鈴木", str(suzuki)], ["高橋", str(takahashi)]]
    assert [row[0].css for row in share.rows] == [marked, ""]
    assert share.note == note


def test_every_sql_to_one_rep_is_uneven_when_another_rep_has_capacity(w):
    # 高橋 received nothing but has capacity (a rule of their own), so the average is over two reps.
    FSCapacityRuleFactory(user=w["fs_b"], size_band=SizeBand.S, monthly_limit=30)
    hand(w, "fs_a", 12, prefix="山田", employees=500)
    rebuild()

    share = panels()["share"]

    assert [[cell.text for cell in row[:2]] for row in share.rows] == [["鈴木", "12"], ["高橋", "0"]]
    assert [row[0].css for row in share.rows] == ["warn", ""]
    assert share.note == "Uneven allocation: 鈴木 received more than 1.5× the average of 6.0 SQLs per FS rep."


def test_a_month_without_sqls_lists_the_reps_rules_at_zero(world):
    found = panels(date(2026, 10, 1))

    assert table(found["capacity"]) == [
        ["鈴木", "1–30 employees", "0", "2", "0.0 %"],
        ["鈴木", "31–100 employees", "0", "3", "0.0 %"],
        ["高橋", "31–100 employees", "0", "50", "0.0 %"],
    ]
    assert table(found["share"]) == [["鈴木", "0", "—"], ["高橋", "0", "—"]]


def test_the_open_capacity_alerts_are_listed_with_their_message(world):
    alerts_evaluate(today=TODAY)

    alerts = panels()["alerts"]

    assert table(alerts) == [
        [
            "鈴木",
            "鈴木 has 3 SQLs of a monthly limit of 3 in the 31–100 employees segment (2026-11).",
            "2026-11-20 10:00",
        ]
    ]
    assert {cell.url for cell in alerts.rows[0][:2]} == {"/dashboards/alerts/?kind=capacity"}
    assert alerts.note == '<a href="/dashboards/alerts/?kind=capacity">Open capacity alerts: 1</a>'


def test_the_board_reads_a_handful_of_queries(world, django_assert_num_queries):
    alerts_evaluate(today=TODAY)

    with django_assert_num_queries(8):
        panels()


def test_a_manager_reads_the_board_and_downloads_the_capacity_table(client, world):
    client.force_login(UserFactory(manager=True))

    page = client.get("/dashboards/allocation/")
    download = client.get("/dashboards/allocation/?csv=capacity")

    assert page.status_code == 200
    assert 'data-testid="panel-capacity"' in page.content.decode()
    assert download.content.decode("utf-8-sig").splitlines() == [
        "FS rep,Segment,SQLs,Monthly limit,Used",
        "鈴木,1-30,0,2,0.0",
        "鈴木,31-100,3,3,1.0",
        "鈴木,101-300,1,40,0.025",
        "高橋,31-100,1,50,0.02",
    ]
