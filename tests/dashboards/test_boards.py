"""The dashboards' frame: who may read them, the funnel overview's figures, the records behind every figure,
CSV downloads, htmx swaps, bad query strings, the KPI planner page, and figures brought up to date when
read where no worker runs. Built on the hand-counted world of ``test_metrics``."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from dashboards.boards import BOARDS
from dashboards.boards.base import BoardQuery, Cell, Panel, Period, number_cell, panel_csv, records_url
from dashboards.metrics import METRICS
from dashboards.models import Grain, KpiPlan, MetricValue
from dashboards.selectors import metric_records
from dashboards.services import kpi_plan_save, metrics_rebuild
from tests.activities.factories import ActivityFactory
from tests.dashboards.test_metrics import TODAY, WEEK, build_world, jst
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db

SEED_PLAN = {
    "revenue_budget": 10_000_000,
    "deal_size": 1_000_000,
    "win_rate": Decimal("0.5"),
    "meeting_rate": Decimal("0.25"),
    "opportunity_rate": Decimal("0.1"),
    "lead_rate": Decimal("0.05"),
}


@pytest.fixture
def world(frozen):
    world = build_world()
    metrics_rebuild(first_day=date(2026, 10, 1), last_day=date(2026, 12, 31), today=TODAY)
    return world


@pytest.fixture
def reader():
    return UserFactory(username="boss", manager=True)


def table(panel) -> list[list[str]]:
    return [[cell.text for cell in row] for row in panel.rows]


def panels_of(key: str, grain: str, start: date) -> dict:
    query = BoardQuery(Period(grain, start), TODAY)
    return {panel.key: panel for panel in BOARDS[key].build(query)}


# --- Who reads the dashboards -------------------------------------------------------------------------------


@pytest.mark.parametrize("trait", ["manager", "marketing", "admin"])
def test_managers_marketing_and_administrators_read_the_dashboards(client, trait):
    client.force_login(UserFactory(**{trait: True}))

    assert client.get("/dashboards/").status_code == 200
    assert client.get("/dashboards/planner/").status_code == 200


@pytest.mark.parametrize("trait", [{}, {"fs": True}, {"cs": True}])
def test_reps_are_refused_the_company_figures(client, trait):
    client.force_login(UserFactory(**trait))

    assert client.get("/dashboards/").status_code == 403
    assert client.get("/dashboards/activity/").status_code == 403
    assert client.get("/dashboards/records/?metric=sqls&since=2026-11-01&until=2026-11-30").status_code == 403
    assert client.get("/dashboards/planner/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/dashboards/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_unknown_board_is_not_found(client, reader):
    client.force_login(reader)

    assert client.get("/dashboards/nothing-here/").status_code == 404


# --- The funnel overview ------------------------------------------------------------------------------------


def test_the_funnel_of_a_week_counts_each_stage_and_its_conversion(world):
    funnel = panels_of("funnel", Grain.WEEK, WEEK)["funnel"]

    assert [row[:5] for row in table(funnel)] == [
        ["Assets", "2", "—", "0", "—"],
        ["Touch points", "2", "100.0 %", "0", "—"],
        ["Activities", "6", "300.0 %", "0", "—"],
        ["Connected calls", "4", "66.7 %", "0", "—"],
        ["Effective conversations", "3", "75.0 %", "0", "—"],
        ["SQLs", "1", "33.3 %", "0", "—"],
        ["Valid opportunities", "1", "100.0 %", "0", "—"],
        ["Deals won", "1", "100.0 %", "0", "—"],
    ]


def test_the_funnel_compares_with_the_previous_period(world):
    funnel = panels_of("funnel", Grain.WEEK, date(2026, 11, 23))["funnel"]
    activities = funnel.rows[2]

    # Week 48 holds a7 only (a8 is Monday 11-30, week 49) against week 47's 6.
    assert [cell.text for cell in activities[1:5]] == ["1", "—", "6", "-83.3 %"]
    assert activities[4].value == pytest.approx(-0.8333)


def test_the_funnel_shows_the_months_plan_and_how_much_of_it_is_reached(world, reader):
    kpi_plan_save(actor=reader, month=date(2026, 11, 1), **SEED_PLAN)

    panels = panels_of("funnel", Grain.MONTH, date(2026, 11, 1))

    plans = {row[0]: (row[5], row[6]) for row in table(panels["funnel"])}
    assert plans["SQLs"] == ("80", "1.2 %")
    assert plans["Valid opportunities"] == ("20", "5.0 %")
    assert plans["Deals won"] == ("10", "10.0 %")
    assert plans["Activities"] == ("—", "—")
    assert table(panels["plan"]) == [
        ["Leads", "800", "3", "0.4 %"],
        ["Opportunities (SQLs)", "80", "1", "1.2 %"],
        ["Meetings (valid opportunities)", "20", "1", "5.0 %"],
        ["Wins", "10", "1", "10.0 %"],
        ["Revenue", "¥10,000,000", "¥1,200,000", "12.0 %"],
    ]


def test_the_plan_is_only_compared_at_the_month_grain(world, reader):
    kpi_plan_save(actor=reader, month=date(2026, 11, 1), **SEED_PLAN)

    panels = panels_of("funnel", Grain.WEEK, WEEK)

    assert {row[5] for row in table(panels["funnel"])} == {"—"}
    assert panels["plan"].rows == []
    assert panels["plan"].note == "The plan is monthly: choose the month grain to compare."


def test_each_stage_has_a_trend_over_the_last_periods(world):
    trend = panels_of("funnel", Grain.WEEK, WEEK)["trend-activities"]

    assert [row[0].value for row in trend.rows][-3:] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert len(trend.rows) == 12
    assert [row[1].text for row in trend.rows][-3:] == ["0", "0", "6"]


# --- Every figure links to the records that give it ---------------------------------------------------------


def test_every_figure_of_the_world_is_given_again_by_its_records(world):
    """For each counted metric, each ISO week and month of the world and each breakdown value, the records
    page's value (the metric's own measure over the listed facts) is the stored figure."""
    counted = [m.code for m in METRICS.values() if not m.is_ratio and not m.snapshot]
    stored = MetricValue.objects.filter(metric__in=counted, grain__in=[Grain.WEEK, Grain.MONTH])
    assert stored.count() > 150
    for row in stored:
        period = Period(row.grain, row.period_start)
        records = metric_records(
            metric=row.metric,
            first=period.start,
            last=period.end,
            dimension=row.dimension,
            dim_value=row.dim_value,
            today=TODAY,
        )
        assert records.value == row.numerator, row


def test_the_records_page_lists_what_a_figure_counts(client, world, reader):
    client.force_login(reader)
    url = records_url("activities", WEEK, date(2026, 11, 22), dimension="rep", value=str(world["a"].pk))

    response = client.get(url)

    assert response.status_code == 200
    # a1, a2, a3, a5 and a6 (a4 is rep B's)
    assert response.context["value"] == 5
    assert len(response.context["table"].rows) == 5
    first_cells, first_link = response.context["table"].rows[0]
    assert first_cells[0] == "2026-11-22 23:59"
    assert first_link == f"/leads/{world['leads'][1].pk}/"


def test_a_distinct_count_lists_its_activities_and_counts_the_companies(client, world, reader):
    client.force_login(reader)

    response = client.get(records_url("companies_touched", WEEK, date(2026, 11, 22)))

    assert response.context["value"] == 3
    assert response.context["page"].paginator.count == 6


def test_a_ratio_links_to_its_numerators_records():
    url = records_url("connect_rate", WEEK, date(2026, 11, 22), dimension="rep", value="7")

    assert url == "/dashboards/records/?metric=connects&since=2026-11-16&until=2026-11-22&dimension=rep&value=7"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("metric=nonsense&since=2026-11-01&until=2026-11-30", "metric"),
        ("metric=connect_rate&since=2026-11-01&until=2026-11-30", "metric"),
        ("metric=sqls&since=2026-11-30&until=2026-11-01", "until"),
        ("metric=sqls&since=2020-01-01&until=2026-11-30", "since"),
        ("metric=sqls&since=yesterday&until=2026-11-30", "since"),
        ("metric=sqls&since=2026-11-01&until=2026-11-30&dimension=phase&value=1", "dimension"),
    ],
)
def test_a_bad_records_query_says_what_is_wrong(client, reader, query, field):
    client.force_login(reader)

    response = client.get(f"/dashboards/records/?{query}")

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]


# --- The page: CSV, htmx, bad input, rollup when read ---------------------------------------------------


def test_a_panel_downloads_as_csv_with_the_numbers_shown(client, world, reader):
    client.force_login(reader)

    response = client.get("/dashboards/?grain=week&period=2026-11-18&csv=funnel")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="funnel-funnel-2026-11-16.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Stage", "2026-W47 (11/16–11/22)", "Conversion from the stage before"]
    assert rows[3][:3] == ["Activities", "6", "3.0"]
    assert len(rows) == 9


def test_an_unknown_panel_has_no_csv(client, world, reader):
    client.force_login(reader)

    assert client.get("/dashboards/?csv=nothing").status_code == 404


def test_htmx_gets_only_the_board_part(client, world, reader):
    client.force_login(reader)

    full = client.get("/dashboards/?grain=week&period=2026-11-18")
    swapped = client.get("/dashboards/?grain=day&period=2026-11-19", headers={"HX-Request": "true"})

    assert b"<html" in full.content
    assert b"<html" not in swapped.content
    assert swapped.content.lstrip().startswith(b'<section id="board"')
    assert b'data-grain="day"' in swapped.content
    assert b'href="/dashboards/records/?metric=activities&amp;since=2026-11-19&amp;until=2026-11-19"' in swapped.content


def test_a_bad_query_string_is_reported_and_the_defaults_shown(client, world, reader):
    client.force_login(reader)

    response = client.get("/dashboards/?grain=fortnight&period=someday")

    assert response.status_code == 200
    assert response.context["query"].period == Period(Grain.MONTH, date(2026, 11, 1))
    assert len(response.context["errors"]) == 2
    assert b'data-testid="board-errors"' in response.content


def test_a_board_keeps_to_its_own_grains(client, world, reader):
    client.force_login(reader)

    response = client.get("/dashboards/allocation/?grain=day&period=2026-11-19")

    assert response.context["query"].period == Period(Grain.MONTH, date(2026, 11, 1))


def test_where_no_worker_runs_the_board_rolls_up_pending_days_when_read(client, world, reader, settings):
    settings.METRICS_ROLLUP_ON_VIEW = True
    client.force_login(reader)
    ActivityFactory(lead=world["leads"][0], occurred_at=jst(11, 17, 11))

    response = client.get("/dashboards/?grain=week&period=2026-11-18")

    funnel = next(panel for panel in response.context["panels"] if panel.key == "funnel")
    assert funnel.rows[2][1].text == "7"


def test_with_a_worker_the_board_reads_what_the_worker_computed(client, world, reader):
    client.force_login(reader)
    ActivityFactory(lead=world["leads"][0], occurred_at=jst(11, 17, 11))

    response = client.get("/dashboards/?grain=week&period=2026-11-18")

    funnel = next(panel for panel in response.context["panels"] if panel.key == "funnel")
    assert funnel.rows[2][1].text == "6"


# --- The KPI planner page -----------------------------------------------------------------------------------

SEED_FORM = {
    "month": "2026-12",
    "revenue_budget": "10000000",
    "deal_size": "1000000",
    "win_rate": "50",
    "meeting_rate": "25",
    "opportunity_rate": "10",
    "lead_rate": "5",
}


def test_the_planner_calculates_the_seed_example_without_saving(client, reader):
    client.force_login(reader)

    response = client.post("/dashboards/planner/", {**SEED_FORM, "action": "calculate"})

    assert response.status_code == 200
    funnel = response.context["funnel"]
    assert (funnel.wins, funnel.meetings, funnel.opportunities, funnel.leads, funnel.visitors) == (
        10,
        20,
        80,
        800,
        16_000,
    )
    assert b'data-testid="result-visitors">16,000<' in response.content
    assert not KpiPlan.objects.exists()


def test_a_manager_saves_the_plan_for_the_month(client, reader, frozen):
    client.force_login(reader)

    response = client.post("/dashboards/planner/", {**SEED_FORM, "action": "save"})

    assert response.status_code == 302
    assert response["Location"] == "/dashboards/planner/?month=2026-12"
    plan = KpiPlan.objects.get()
    assert (plan.month, plan.opportunities, plan.visitors, plan.created_by) == (date(2026, 12, 1), 80, 16_000, reader)
    page = client.get(response["Location"])
    assert page.context["form"].initial["win_rate"] == Decimal("50")


def test_marketing_may_calculate_but_not_save_a_plan(client):
    client.force_login(UserFactory(marketing=True))

    assert client.post("/dashboards/planner/", {**SEED_FORM, "action": "calculate"}).status_code == 200
    assert client.post("/dashboards/planner/", {**SEED_FORM, "action": "save"}).status_code == 403
    assert not KpiPlan.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("win_rate", "0", "Give a rate above 0 %."),
        ("meeting_rate", "150", "A rate cannot exceed 100 %."),
        ("deal_size", "0", "The average deal size must be above ¥0."),
        ("month", "2026-13", "Enter a month as YYYY-MM."),
        ("revenue_budget", "", "This field is required."),
    ],
)
def test_a_bad_plan_input_is_an_error_in_place_and_saves_nothing(client, reader, field, value, message):
    client.force_login(reader)

    response = client.post("/dashboards/planner/", {**SEED_FORM, field: value, "action": "save"})

    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert response.context["funnel"] is None
    assert not KpiPlan.objects.exists()


def test_the_planner_starts_from_the_trailing_actual_rates(client, world, reader):
    client.force_login(reader)

    response = client.get("/dashboards/planner/")

    initial = response.context["form"].initial
    # Trailing 12 months to yesterday (11-19): 1 SQL of 3 leads, no valid opportunity yet (a rate of 0
    # cannot be planned with), nothing won, visitors not tracked.
    assert initial["month"] == date(2026, 11, 1)
    assert initial["opportunity_rate"] == Decimal("33.33")
    assert {"win_rate", "meeting_rate", "lead_rate"}.isdisjoint(initial)


def test_a_long_table_shows_its_first_rows_and_the_csv_holds_them_all():
    panel = Panel("pairs", "Pairs", ["Pair", "Leads"], [[Cell(f"p{n}"), number_cell(n)] for n in range(5)], max_rows=2)

    html = render_to_string("dashboards/_panel.html", {"panel": panel, "self_url": "?grain=month"})
    rows = list(csv.reader(io.StringIO(panel_csv(panel, "pairs").content.decode("utf-8").lstrip("\ufeff"))))

    assert html.count("<tr>") == 3  # the header and two rows
    assert "3 more rows in the CSV download." in html
    assert [row[0] for row in rows] == ["Pair", "p0", "p1", "p2", "p3", "p4"]


def test_figures_and_labels_are_escaped_in_the_table():
    hostile = Cell('<script>alert("x")</script>', url='/dashboards/records/?metric=sqls&since=2026-11-01&value="><b>')
    panel = Panel("names", "Names", ["Name", "Count"], [[hostile, number_cell(3, "/r/?a=1&b=2")]])

    html = panel.rows_html

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'href="/dashboards/records/?metric=sqls&amp;since=2026-11-01&amp;value=&quot;&gt;&lt;b&gt;"' in html
    assert '<td class="num "><a href="/r/?a=1&amp;b=2">3</a></td>' in html
