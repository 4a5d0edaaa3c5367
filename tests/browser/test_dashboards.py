"""A manager reads the dashboards of the demo company in a real browser.

Every number checked here is counted again from the records in the test (never through the summary
tables), the grain, period and team controls swap the board in place, every board draws its charts
without a console error, the numbers link to records that add up to them, and the KPI planner's plan
shows on the funnel. The funnel overview is kept as a screenshot.
"""

import csv
import re
from datetime import date, datetime, time, timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.db.models import Min, Q
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Activity
from dashboards.boards import BOARDS
from dashboards.boards.base import Period
from dashboards.models import KpiPlan
from handoffs.models import Handoff
from leads.models import Lead, Origin, TouchPoint
from opportunities.models import Opportunity
from org.demo import DEMO_PASSWORD
from org.models import Team, User
from org.services import user_create

from .conftest import browser_db, log_in

pytestmark = browser_db

PASSWORD = "manager-pass-2024"
# How many of each board's figure links are followed to their records page.
LINKS_FOLLOWED = 3
# A figure that is a count ("1,234") or an amount ("¥1,234"): the records page shows the same number.
COUNT_OR_YEN = re.compile(r"^¥?\d{1,3}(,\d{3})*$")


# --- Counting from the records ------------------------------------------------------------------------------


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def within(field: str, period: Period) -> Q:
    """Facts stamped inside the period's days in the company's time zone."""
    return Q(**{f"{field}__gte": midnight(period.start), f"{field}__lt": midnight(period.end + timedelta(days=1))})


def funnel_counted(period: Period) -> dict[str, str]:
    """Each funnel stage of the period, counted from the fact tables, as the board writes it."""
    first_valid = (
        Opportunity.objects.filter(origin=Opportunity.Origin.SQL)
        .annotate(first_valid=Min("phase_history__at", filter=Q(phase_history__to_phase__is_valid_opportunity=True)))
        .filter(within("first_valid", period))
    )
    calls = Activity.objects.filter(kind=Activity.Kind.CALL)
    counts = {
        "Assets": Lead.objects.filter(next_approach_on__gte=period.start, next_approach_on__lte=period.end).count(),
        "Touch points": TouchPoint.objects.filter(within("occurred_at", period)).count(),
        "Activities": Activity.objects.filter(within("occurred_at", period)).count(),
        "Connected calls": calls.filter(within("occurred_at", period), connected=True).count(),
        "Effective conversations": Activity.objects.filter(
            within("occurred_at", period), effective_conversation=True
        ).count(),
        "SQLs": Handoff.objects.filter(within("created_at", period), kind=Handoff.Kind.IS_TO_FS).count(),
        "Valid opportunities": first_valid.count(),
        "Deals won": Opportunity.objects.filter(within("closed_at", period), status=Opportunity.Status.WON).count(),
    }
    return {stage: f"{count:,}" for stage, count in counts.items()}


def activity_counted(period: Period, team: Team | None = None) -> dict[str, str]:
    """The activity board's "Connects" column for the period, counted from the activities."""
    done = Activity.objects.filter(within("occurred_at", period), **({"team": team} if team else {}))
    calls = done.filter(kind=Activity.Kind.CALL)
    connected = calls.filter(connected=True).count()
    return {
        "Calls": f"{calls.count():,}",
        "Connected calls": f"{connected:,}",
        "Calls not connected": f"{calls.filter(connected=False).count():,}",
        "Connect rate": f"{connected / calls.count() * 100:.1f} %",
        "Effective conversations": f"{done.filter(effective_conversation=True).count():,}",
        "Unique companies touched": f"{done.values('company').distinct().count():,}",
    }


def directions_counted(period: Period, team: Team) -> dict[str, tuple[str, str]]:
    """Calls and mails by direction, the directions with any."""
    done = Activity.objects.filter(within("occurred_at", period), team=team)
    counts = {
        label: (
            done.filter(direction=direction, kind=Activity.Kind.CALL).count(),
            done.filter(direction=direction, kind=Activity.Kind.MAIL).count(),
        )
        for direction, label in Origin.choices
    }
    return {label: (f"{calls:,}", f"{mails:,}") for label, (calls, mails) in counts.items() if calls or mails}


def reps_counted(period: Period, team: Team) -> dict[str, str]:
    """The activities of the team's IS reps who logged any in the period, in whatever team."""
    reps = User.objects.filter(team=team, role=User.Role.IS)
    done = Activity.objects.filter(within("occurred_at", period), actor__in=reps)
    return {str(rep): f"{done.filter(actor=rep).count():,}" for rep in reps if done.filter(actor=rep).exists()}


# --- Reading the page ---------------------------------------------------------------------------------------

READ_TABLE = """panel => [...panel.querySelectorAll("table.figures-table tbody tr")].map(tr =>
    [...tr.children].map(cell => {
        const link = cell.querySelector("a");
        return {text: cell.textContent.trim(), href: link ? link.getAttribute("href") : ""};
    }))"""
CHARTS_DRAWN = """board => [...board.querySelectorAll("canvas")].map(canvas =>
    ({width: canvas.width, chart: typeof Chart !== "undefined" && Chart.getChart(canvas) !== undefined}))"""


def table(page, key: str) -> list[list[dict]]:
    return page.get_by_test_id(f"panel-{key}").evaluate(READ_TABLE)


def column(page, key: str, index: int) -> dict[str, str]:
    """Row label → the text of one column of a panel's figures."""
    return {row[0]["text"]: row[index]["text"] for row in table(page, key)}


def shown_period(page) -> Period:
    board = page.get_by_test_id("board")
    return Period(board.get_attribute("data-grain"), date.fromisoformat(board.get_attribute("data-period")))


def link_query(href: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(href).query).items()}


def as_number(text: str) -> int:
    return int(text.replace("¥", "").replace(",", ""))


def swap(page, control, **expected) -> None:
    """Follow a grain, period or team control: htmx replaces the board, the page stays."""
    control.click()
    board = page.get_by_test_id("board")
    for name, value in expected.items():
        expect(board).to_have_attribute(f"data-{name}", value)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__samePage") is True


def charts(page) -> list[dict]:
    return page.get_by_test_id("board").evaluate(CHARTS_DRAWN)


def watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def board_path(key: str) -> str:
    return "/dashboards/" if key == "funnel" else f"/dashboards/{key}/"


def figure_links(page) -> list[dict]:
    """Every count or amount on the board that links to its records: panel, column, text, href."""
    found = page.get_by_test_id("board").evaluate(
        """board => [...board.querySelectorAll("[data-testid^=panel-] td a[href*='/dashboards/records/']")].map(a =>
            ({panel: a.closest("[data-testid^=panel-]").dataset.testid.slice(6), column: a.closest("td").cellIndex,
              text: a.textContent.trim(), href: a.getAttribute("href")}))"""
    )
    return [link for link in found if COUNT_OR_YEN.match(link["text"])]


def one_per_column(links: list[dict]) -> list[dict]:
    """The first link of each column of each panel: every kind of figure the board links."""
    first: dict[tuple[str, int], dict] = {}
    for link in links:
        first.setdefault((link["panel"], link["column"]), link)
    return list(first.values())


def spread(items: list, count: int) -> list:
    """Up to ``count`` items spread over the list: its first, last and ones between."""
    if len(items) <= count:
        return items
    return [items[round(n * (len(items) - 1) / (count - 1))] for n in range(count)]


SHOWN_NUMBER = re.compile(r"^(?P<number>[+-]?¥?[\d,]+(?P<decimals>\.\d+)?)(?P<unit> %| pt)?$")


def csv_agrees(text: str, value: str) -> bool:
    """A shown number and its CSV value agree: counts and amounts exactly, others to the shown decimals
    (rates are shown in percent or points, the CSV holds the fraction)."""
    shown = SHOWN_NUMBER.match(text)
    if not shown:
        # "—" is no figure; labels and other words may carry their code ("1000+" for "1,000+ employees").
        return value in ("—", "") if text == "—" else True
    if not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return False
    number = float(shown["number"].replace("¥", "").replace(",", ""))
    exact = float(value) * (100 if shown["unit"] else 1)
    decimals = len(shown["decimals"] or ".") - 1
    return abs(exact - number) <= 0.5 * 10**-decimals + 1e-9


def download_csv(page, key: str) -> list[list[str]]:
    with page.expect_download() as download:
        page.get_by_test_id(f"csv-{key}").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as data:
        return list(csv.reader(data))


def csv_mismatches(page, board: str, key: str) -> list[str]:
    shown = table(page, key)
    rows = download_csv(page, key)
    header = page.get_by_test_id(f"panel-{key}").locator("table.figures-table thead th").all_text_contents()
    problems = [] if rows[0] == [h.strip() for h in header] else [f"{board}/{key} CSV header {rows[0]} ≠ {header}"]
    if len(rows) - 1 != len(shown):
        return [*problems, f"{board}/{key} CSV has {len(rows) - 1} rows, the table {len(shown)}"]
    # The first cell labels the row; its CSV value may be the machine form of the label (a date, a code).
    for cells, values in zip(shown, rows[1:], strict=True):
        for cell, value in zip(cells[1:], values[1:], strict=True):
            if not csv_agrees(cell["text"], value):
                problems.append(f"{board}/{key} row {cells[0]['text']!r}: table {cell['text']!r}, CSV {value!r}")
    return problems


def records_value(page, href: str) -> str:
    page.goto(href)
    return page.get_by_test_id("records-value").inner_text()


def records_value_fetched(page, href: str) -> str:
    """The records page's value, fetched in the browser's session without rendering the page."""
    html = page.request.get(href).text()
    return re.search(r'data-testid="records-value">([^<]*)<', html)[1]


def link_mismatches(page, where: str, links: list[dict], *, opened: int = 0) -> list[str]:
    """The figures that differ from the records they link to: ``opened`` of them spread over the board
    opened in the browser, and the first of every column fetched."""
    problems = []
    followed = spread(links, opened) if opened else []
    fetched = [link for link in one_per_column(links) if link not in followed]
    for link in followed + fetched:
        shown = records_value(page, link["href"]) if link in followed else records_value_fetched(page, link["href"])
        if shown != str(as_number(link["text"])):
            problems.append(
                f"{where} {link['panel']} column {link['column']}: the board shows {link['text']}, "
                f"its records {shown} ({link['href']})"
            )
    return problems


def chart_problems(page, where: str) -> list[str]:
    drawn = charts(page)
    if drawn and all(chart["width"] > 0 and chart["chart"] for chart in drawn):
        return []
    return [f"{where}: charts {drawn}"]


# --- The tests ----------------------------------------------------------------------------------------------


def test_a_manager_reads_every_board_of_the_demo_and_each_number_matches_its_records(page, artifacts):
    call_command("seed_demo", "--scale", "0.02", "--seed", "7", stdout=StringIO())
    today = timezone.localdate()
    this_month = Period.containing("month", today)
    console = watch_console(page)

    log_in(page, "manager1", DEMO_PASSWORD)
    page.goto("/dashboards/")
    expect(page.get_by_test_id("board")).to_have_attribute("data-board", "funnel")
    assert shown_period(page) == this_month
    assert column(page, "funnel", 1) == funnel_counted(this_month)

    # The previous month, swapped in place: a full month of the demo's history.
    page.evaluate("window.__samePage = true")
    last_month = this_month.shift(-1)
    swap(page, page.get_by_test_id("previous-period"), period=last_month.start.isoformat())
    assert f"period={last_month.start.isoformat()}" in page.url
    counted = funnel_counted(last_month)
    assert as_number(counted["Activities"]) > 100 and as_number(counted["SQLs"]) > 0
    assert column(page, "funnel", 1) == counted
    assert column(page, "funnel", 3) == funnel_counted(last_month.shift(-1))
    assert csv_mismatches(page, "funnel", "funnel") == []
    # The screenshot shows that full month (the current one may be a day old).
    page.screenshot(path=str(artifacts / "dashboard-funnel.png"), full_page=True)
    assert (artifacts / "dashboard-funnel.png").stat().st_size > 30_000

    # Week, then day, of that month's first day: the grain tabs swap the board too.
    week = Period.containing("week", last_month.start)
    swap(page, page.locator(".grains a[data-grain=week]"), grain="week", period=week.start.isoformat())
    assert "grain=week" in page.url
    assert column(page, "funnel", 1) == funnel_counted(week)
    assert all(chart["width"] > 0 and chart["chart"] for chart in charts(page))
    swap(page, page.locator(".grains a[data-grain=day]"), grain="day", period=week.start.isoformat())
    assert "grain=day" in page.url
    assert column(page, "funnel", 1) == funnel_counted(Period("day", week.start))
    swap(page, page.get_by_test_id("previous-period"), period=(week.start - timedelta(days=1)).isoformat())
    assert column(page, "funnel", 1) == funnel_counted(Period("day", week.start - timedelta(days=1)))
    assert len(charts(page)) >= 8 and all(chart["width"] > 0 and chart["chart"] for chart in charts(page))

    # Last month's SQLs open as the handoffs behind them, each dated inside the month.
    page.goto(f"/dashboards/?grain=month&period={last_month.start.isoformat()}")
    sqls = page.get_by_test_id("panel-funnel").get_by_role("row", name=re.compile("^SQLs")).get_by_role("link")
    shown_sqls = sqls.first.inner_text()
    sqls.first.click()
    page.wait_for_url("**/dashboards/records/**")
    assert link_query(page.url) == {
        "metric": "sqls",
        "since": last_month.start.isoformat(),
        "until": last_month.end.isoformat(),
    }
    assert page.get_by_test_id("records-value").inner_text() == shown_sqls
    rows = page.get_by_test_id("record-row")
    assert rows.count() == min(as_number(shown_sqls), 50)
    handed_off = [date.fromisoformat(rows.nth(i).locator("td").first.inner_text()[:10]) for i in range(rows.count())]
    assert all(last_month.start <= day <= last_month.end for day in handed_off)

    # The activity board for one team: the team's calls, mails and connects, and its reps' activity.
    sdr = Team.objects.get(kind=Team.Kind.SDR)
    page.goto(f"/dashboards/activity/?grain=month&period={last_month.start.isoformat()}")
    page.evaluate("window.__samePage = true")
    assert column(page, "connects", 1)["Calls"] == activity_counted(last_month)["Calls"]
    page.get_by_test_id("team-filter").select_option(str(sdr.pk))
    expect(page.get_by_test_id("board").locator("h1")).to_contain_text(sdr.name)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__samePage") is True
    assert f"team={sdr.pk}" in page.url
    counted = activity_counted(last_month, team=sdr)
    assert as_number(counted["Calls"]) < as_number(activity_counted(last_month)["Calls"])
    assert column(page, "connects", 1) == counted
    assert {
        row[0]["text"]: (row[1]["text"], row[2]["text"]) for row in table(page, "directions")
    } == directions_counted(last_month, team=sdr)
    assert column(page, "reps", 1) == reps_counted(last_month, team=sdr)
    assert page.get_by_test_id("panel-teams").count() == 0

    page.goto("/dashboards/alerts/")
    assert page.get_by_test_id("alert-row").count() > 0
    assert console == []

    # Every board, as it opens and for last month (a full month of history) at month and week grain:
    # charts drawn, no console error, its numbers equal their records and its CSV its table.
    problems = []
    for key, definition in BOARDS.items():
        console.clear()
        page.goto(board_path(key))
        expect(page.get_by_test_id("board")).to_have_attribute("data-board", key)
        page.wait_for_load_state("networkidle")
        problems += chart_problems(page, f"{key} (current)") if charts(page) else []
        page.goto(f"{board_path(key)}?grain=month&period={last_month.start.isoformat()}")
        page.wait_for_load_state("networkidle")
        problems += chart_problems(page, f"{key} (month)")
        csv_links = page.locator("[data-testid^=csv-]")
        if csv_links.count():
            problems += csv_mismatches(page, key, csv_links.first.get_attribute("data-testid")[4:])
        else:
            problems.append(f"{key}: no panel with figures")
        month_links, week_links = figure_links(page), []
        if not month_links:
            problems.append(f"{key} (month): no figure links to records")
        if "week" in definition.grains:
            page.evaluate("window.__samePage = true")
            swap(page, page.locator(".grains a[data-grain=week]"), grain="week")
            problems += chart_problems(page, f"{key} (week)") if charts(page) else []
            week_links = figure_links(page)
        problems += link_mismatches(page, f"{key} (month)", month_links, opened=LINKS_FOLLOWED)
        problems += link_mismatches(page, f"{key} (week)", week_links)
        problems += [f"{key}: console {message}" for message in console]
    assert problems == [], "\n".join(problems)


def test_the_kpi_plan_made_in_the_planner_shows_on_the_funnel_and_reps_may_not_read_dashboards(
    page, browser, live_server
):
    is_team = Team.objects.create(name="SDR", kind=Team.Kind.SDR, placement=Team.Placement.INDEPENDENT)
    user_create(username="manager", password=PASSWORD, role="manager", last_name="石川", first_name="雄一")
    user_create(username="rep", password=PASSWORD, role="is", team=is_team, last_name="佐藤", first_name="健太")
    month = timezone.localdate().replace(day=1)
    console = watch_console(page)

    log_in(page, "manager", PASSWORD)
    page.goto("/dashboards/planner/")
    form = page.get_by_test_id("planner-form")
    form.locator("input[name=month]").fill(f"{month:%Y-%m}")
    for name, value in [
        ("revenue_budget", "10000000"),
        ("deal_size", "1000000"),
        ("win_rate", "50"),
        ("meeting_rate", "25"),
        ("opportunity_rate", "10"),
        ("lead_rate", "5"),
    ]:
        form.locator(f"input[name={name}]").fill(value)

    # A rate of 0 is stopped by the browser, one of 150 by the server: both in place, nothing saved.
    rate = form.locator("input[name=win_rate]")
    rate.fill("0")
    page.get_by_test_id("save-plan").click()
    assert rate.evaluate("input => input.validity.rangeUnderflow") is True
    assert page.url.endswith("/dashboards/planner/")
    form.evaluate("form => { form.noValidate = true }")
    rate.fill("150")
    page.get_by_test_id("save-plan").click()
    expect(page.get_by_test_id("error-win_rate")).to_have_text("A rate cannot exceed 100 %.")
    assert page.get_by_test_id("planner-result").count() == 0
    assert KpiPlan.objects.count() == 0

    page.get_by_test_id("planner-form").locator("input[name=win_rate]").fill("50")
    page.get_by_test_id("calculate").click()
    stages = ("wins", "meetings", "opportunities", "leads", "visitors")
    results = {stage: page.get_by_test_id(f"result-{stage}").inner_text() for stage in stages}
    assert results == {"wins": "10", "meetings": "20", "opportunities": "80", "leads": "800", "visitors": "16,000"}
    assert KpiPlan.objects.count() == 0

    page.get_by_test_id("save-plan").click()
    page.wait_for_url(f"**/dashboards/planner/?month={month:%Y-%m}")
    plan = KpiPlan.objects.get()
    assert (plan.month, plan.wins, plan.opportunities, plan.visitors) == (month, 10, 80, 16_000)

    page.get_by_role("link", name="See it on the funnel").click()
    expect(page.get_by_test_id("board")).to_have_attribute("data-grain", "month")
    assert column(page, "funnel", 5) == {
        "Assets": "—",
        "Touch points": "—",
        "Activities": "—",
        "Connected calls": "—",
        "Effective conversations": "—",
        "SQLs": "80",
        "Valid opportunities": "20",
        "Deals won": "10",
    }
    assert column(page, "plan", 1) == {
        "Leads": "800",
        "Opportunities (SQLs)": "80",
        "Meetings (valid opportunities)": "20",
        "Wins": "10",
        "Revenue": "¥10,000,000",
    }
    assert console == []

    # An IS rep is refused the dashboards and the records behind them.
    rep_context = browser.new_context(base_url=live_server.url)
    rep_page = rep_context.new_page()
    log_in(rep_page, "rep", PASSWORD)
    assert rep_page.goto("/dashboards/").status == 403
    assert rep_page.goto("/dashboards/activity/").status == 403
    assert rep_page.goto(f"/dashboards/records/?metric=sqls&since={month}&until={month}").status == 403
    rep_context.close()
