"""The SQL mix board: every breakdown of the month's SQLs counted by hand, each linked to its records.

The world (JST; reps A and B; every lead's company in Tokyo with 50 employees unless said):

    s0  B  outbound                                                            Thu 10-15   (October)
    s1  A  inbound   temp A  attendance  ¥3,000,000   総務部  部長                Mon 11-16
    s2  A  outbound  temp B  payroll     ¥12,000,000  人事部  課長  500 in Osaka Tue 11-17
    s3  B  inbound   temp C  attendance  no amount    総務部                     Wed 11-18
    s4  A  inbound   temp A  no service  ¥500,000            部長  1,000 staff  Thu 11-19
"""

import csv
import io
from datetime import date, datetime
from urllib.parse import urlencode

import pytest
import time_machine

from dashboards.boards import sql_mix
from dashboards.boards.base import BoardQuery, Period
from dashboards.services import metrics_rebuild
from leads.models import Origin
from tests.handoffs.factories import HandoffFactory
from tests.helpers import TOKYO
from tests.leads.factories import CompanyFactory, LeadFactory
from tests.opportunities.factories import service
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)
NOVEMBER = Period("month", date(2026, 11, 1))


def jst(month, day, hour=10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TOKYO)


def sql_at(
    moment: datetime,
    *,
    rep,
    fs,
    origin=Origin.INBOUND,
    company=None,
    amount=None,
    service_code="",
    temperature="A",
    **lead,
):
    with time_machine.travel(moment, tick=False):
        lead = LeadFactory(owner=rep, origin=origin, company=company or CompanyFactory(), **lead)
        return HandoffFactory(
            lead=lead,
            fs_rep=fs,
            opportunity__amount=amount,
            opportunity__service=service(service_code) if service_code else None,
            temperature=temperature,
        )


def build_world() -> dict:
    team = TeamFactory(name="SDR")
    a = UserFactory(username="rep_a", team=team)
    b = UserFactory(username="rep_b", team=team)
    f = UserFactory(username="fs_f", fs=True)
    sql_at(jst(10, 15), rep=b, fs=f, origin=Origin.OUTBOUND)
    sql_at(jst(11, 16), rep=a, fs=f, amount=3_000_000, service_code="attendance", department="総務部", title="部長")
    sql_at(
        jst(11, 17),
        rep=a,
        fs=f,
        origin=Origin.OUTBOUND,
        company=CompanyFactory(employee_count=500, prefecture="27"),
        amount=12_000_000,
        service_code="payroll",
        temperature="B",
        department="人事部",
        title="課長",
    )
    sql_at(jst(11, 18), rep=b, fs=f, service_code="attendance", temperature="C", department="総務部")
    sql_at(jst(11, 19), rep=a, fs=f, company=CompanyFactory(employee_count=1000), amount=500_000, title="部長")
    metrics_rebuild(first_day=date(2026, 10, 1), last_day=date(2026, 11, 30), today=TODAY)
    return {"a": a, "b": b}


def url(since="2026-11-01", until="2026-11-30", **params) -> str:
    return "/dashboards/records/?" + urlencode({"metric": "sqls", "since": since, "until": until, **params})


def panel(panels, key):
    return next(p for p in panels if p.key == key)


def texts(p) -> list[list[str]]:
    return [[cell.text for cell in row] for row in p.rows]


def test_the_total_against_the_previous_month_and_the_two_sides():
    build_world()

    panels = sql_mix.build(BoardQuery(NOVEMBER, TODAY))

    total = panel(panels, "total")
    assert texts(total) == [
        ["All SQLs", "4", "1", "+300.0 %"],
        ["Inbound", "3", "0", "—"],
        ["Outbound", "1", "1", "0.0 %"],
    ]
    assert total.rows[0][1].url == url()
    assert total.rows[0][2].url == url(since="2026-10-01", until="2026-10-31")
    assert total.rows[1][2].url == ""
    origin = panel(panels, "origin")
    assert texts(origin) == [["Inbound", "3", "75.0 %"], ["Outbound", "1", "25.0 %"]]
    assert origin.rows[0][1].url == url(dimension="origin", value="inbound")
    assert origin.rows[0][2].value == 0.75
    assert origin.chart.kind == "doughnut"
    assert origin.note == "Inbound : outbound = 3.00 : 1"


def test_each_breakdown_of_the_month_with_its_share():
    build_world()

    panels = sql_mix.build(BoardQuery(NOVEMBER, TODAY))

    assert texts(panel(panels, "mix-service")) == [
        ["Attendance", "2", "50.0 %"],
        ["Payroll", "1", "25.0 %"],
        ["Not set", "1", "25.0 %"],
    ]
    assert texts(panel(panels, "mix-size_band")) == [
        ["31–100 employees", "2", "50.0 %"],
        ["301–999 employees", "1", "25.0 %"],
        ["1,000+ employees", "1", "25.0 %"],
    ]
    assert texts(panel(panels, "mix-area")) == [["Kanto", "3", "75.0 %"], ["Kinki", "1", "25.0 %"]]
    assert texts(panel(panels, "mix-deal_size_band")) == [
        ["under ¥1M", "1", "25.0 %"],
        ["¥1M–5M", "1", "25.0 %"],
        ["¥10M and over", "1", "25.0 %"],
        ["Not set", "1", "25.0 %"],
    ]
    assert texts(panel(panels, "mix-temperature")) == [
        ["A: BANT complete", "2", "50.0 %"],
        ["B: budget or timeframe missing", "1", "25.0 %"],
        ["C: agreed to a sales meeting", "1", "25.0 %"],
    ]
    assert texts(panel(panels, "mix-department")) == [
        ["総務部", "2", "50.0 %"],
        ["人事部", "1", "25.0 %"],
        ["Not set", "1", "25.0 %"],
    ]
    assert texts(panel(panels, "mix-title")) == [
        ["部長", "2", "50.0 %"],
        ["課長", "1", "25.0 %"],
        ["Not set", "1", "25.0 %"],
    ]
    services = panel(panels, "mix-service")
    assert services.rows[0][1].url == url(dimension="service", value=str(service("attendance").pk))
    assert services.rows[2][1].url == url(dimension="service", value="")
    assert panel(panels, "mix-department").rows[0][1].url == url(dimension="department", value="総務部")


def test_each_side_is_broken_down_alike_with_the_share_of_its_own_side():
    build_world()

    panels = sql_mix.build(BoardQuery(NOVEMBER, TODAY))

    sizes = panel(panels, "side-size_band")
    assert texts(sizes) == [
        ["31–100 employees", "2", "66.7 %", "0", "0.0 %"],
        ["301–999 employees", "0", "0.0 %", "1", "100.0 %"],
        ["1,000+ employees", "1", "33.3 %", "0", "0.0 %"],
    ]
    assert sizes.rows[0][1].url == url(dimension="origin|size_band", value="inbound|31-100")
    assert sizes.rows[1][3].url == url(dimension="origin|size_band", value="outbound|301-999")
    assert sizes.rows[1][1].url == ""
    assert texts(panel(panels, "side-temperature")) == [
        ["A: BANT complete", "2", "66.7 %", "0", "0.0 %"],
        ["B: budget or timeframe missing", "0", "0.0 %", "1", "100.0 %"],
        ["C: agreed to a sales meeting", "1", "33.3 %", "0", "0.0 %"],
    ]
    assert texts(panel(panels, "side-deal_size_band")) == [
        ["under ¥1M", "1", "33.3 %", "0", "0.0 %"],
        ["¥1M–5M", "1", "33.3 %", "0", "0.0 %"],
        ["¥10M and over", "0", "0.0 %", "1", "100.0 %"],
        ["Not set", "1", "33.3 %", "0", "0.0 %"],
    ]
    assert texts(panel(panels, "side-area")) == [
        ["Kanto", "3", "100.0 %", "0", "0.0 %"],
        ["Kinki", "0", "0.0 %", "1", "100.0 %"],
    ]


def test_each_reps_passive_and_active_sqls():
    w = build_world()

    reps = panel(sql_mix.build(BoardQuery(NOVEMBER, TODAY)), "reps")

    assert texts(reps) == [["rep_a", "2", "1", "3", "66.7 %"], ["rep_b", "1", "0", "1", "100.0 %"]]
    assert reps.rows[0][2].url == url(dimension="rep|origin", value=f"{w['a'].pk}|outbound")
    assert reps.rows[1][3].url == url(dimension="rep", value=str(w["b"].pk))
    assert reps.chart.stacked


def test_free_text_shows_the_top_15_and_the_rest_as_other():
    """17 departments: 総務部 ×3, 人事部 ×2, 部署01–部署15 once each; and one SQL without a department."""
    f = UserFactory(fs=True)
    rep = UserFactory()
    departments = ["総務部"] * 3 + ["人事部"] * 2 + [f"部署{n:02d}" for n in range(1, 16)] + [""]
    for department in departments:
        sql_at(jst(11, 16), rep=rep, fs=f, department=department)
    metrics_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30), today=TODAY)

    found = panel(sql_mix.build(BoardQuery(NOVEMBER, TODAY)), "mix-department")

    assert len(departments) == 21
    assert texts(found) == [
        ["総務部", "3", "14.3 %"],
        ["人事部", "2", "9.5 %"],
        *([f"部署{n:02d}", "1", "4.8 %"] for n in range(1, 14)),
        ["Other", "2", "9.5 %"],
        ["Not set", "1", "4.8 %"],
    ]
    assert found.rows[15][1].url == ""
    assert found.rows[14][1].url == url(dimension="department", value="部署13")
    assert found.note == "The 15 most frequent values; “Other” is every other value together."


def test_before_any_sql_every_panel_is_empty():
    panels = sql_mix.build(BoardQuery(NOVEMBER, TODAY))

    assert [p.key for p in panels] == [
        "total",
        "origin",
        *(f"mix-{code}" for code in ("service", "size_band", "area", "deal_size_band", "temperature")),
        "mix-department",
        "mix-title",
        *(f"side-{code}" for code in ("service", "size_band", "area", "deal_size_band", "temperature")),
        "reps",
    ]
    assert [(p.key, p.note) for p in panels if p.rows or p.note] == []


def test_the_board_reads_the_summary_tables_in_a_fixed_number_of_queries(django_assert_num_queries):
    """One read of the summary tables per kind of figure and one per label list, however long the history."""
    build_world()

    with django_assert_num_queries(4):
        sql_mix.build(BoardQuery(NOVEMBER, TODAY))


def test_the_page_a_panels_csv_and_the_records_behind_a_figure(client, manager, frozen):
    build_world()
    client.force_login(manager)

    page = client.get("/dashboards/sql-mix/")
    download = client.get("/dashboards/sql-mix/", {"csv": "mix-area"})

    assert page.status_code == 200
    assert 'data-testid="panel-side-service"' in page.content.decode()
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows == [["Area", "SQLs", "Share"], ["Kanto", "3", "0.75"], ["Kinki", "1", "0.25"]]
    side = client.get(url(dimension="origin|size_band", value="inbound|31-100"))
    assert side.context["value"] == 2
