"""The For Marketing board over the twelve months ending November 2026 (December 2025 – November 2026), on a
world counted by hand (JST; IS reps A and B). Everything dated November 2025 is the thirteenth month back
and must be left out.

    recycles (house-list leads of A, outbound, each created when recycled)
        r1  timing  2025-11-10  → SQL 2026-01-15  (revived, but recycled in the 13th month)
        r2  timing  2025-12-10  → SQL 2026-02-10  (revived)
        r3  budget  2026-03-10
        r6  budget  2026-06-10
        r4  timing  2026-11-05
        r5  budget  2026-11-06  → SQL 2026-11-18  (revived)
    inbound leads (web inquiry unless said)
        i1  C1  A  2025-11-20                  (13th month)
        i2  C1  A  2026-01-10  → SQL 2026-01-20, deal won 2026-03-05 ¥2,000,000
        i3  C1  A  2026-05-10
        i4  C1  B  2026-11-02  → SQL 2026-11-10, deal in phase 03 on 11-15
        i5  C2  A  2026-07-01  seminar
        i6  —   B  2026-08-01
    w0  a web-inquiry lead of 2025-11-01 won 2025-11-25 for ¥9,999,999 (13th month)
"""

import csv
import io
from datetime import date, datetime
from urllib.parse import urlencode

import pytest
import time_machine

from dashboards.boards import marketing
from dashboards.boards.base import BoardQuery, Period
from dashboards.services import metrics_rebuild
from leads.models import Origin
from opportunities.models import Opportunity, PhaseHistory
from tests.handoffs.factories import HandoffFactory
from tests.helpers import TOKYO
from tests.leads.factories import CampaignFactory, LeadFactory, LeadRecycleFactory, recycle_reason, source
from tests.opportunities.factories import OpportunityFactory, phase
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)
NOVEMBER = Period("month", date(2026, 11, 1))
SINCE, UNTIL = "2025-12-01", "2026-11-30"


def jst(year, month, day, hour=10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=TOKYO)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def recycle(moment: datetime, reason: str, *, rep, fs, sql_at: datetime | None = None) -> None:
    with at(moment):
        lead = LeadFactory(owner=rep, origin=Origin.OUTBOUND, source=source("house_list"))
        LeadRecycleFactory(lead=lead, reason=recycle_reason(reason))
    if sql_at:
        with at(sql_at):
            HandoffFactory(lead=lead, fs_rep=fs)


def inbound(moment: datetime, *, rep, fs, campaign=None, source_code="web_inquiry", sql_at=None):
    with at(moment):
        lead = LeadFactory(owner=rep, origin=Origin.INBOUND, campaign=campaign, source=source(source_code))
    if sql_at:
        with at(sql_at):
            return HandoffFactory(lead=lead, fs_rep=fs).opportunity
    return None


def build_world() -> dict:
    team = TeamFactory(name="SDR")
    a = UserFactory(username="rep_a", team=team)
    b = UserFactory(username="rep_b", team=team)
    f = UserFactory(username="fs_f", fs=True)
    c1, c2 = CampaignFactory(name="C1"), CampaignFactory(name="C2")
    recycle(jst(2025, 11, 10), "timing", rep=a, fs=f, sql_at=jst(2026, 1, 15))
    recycle(jst(2025, 12, 10), "timing", rep=a, fs=f, sql_at=jst(2026, 2, 10))
    recycle(jst(2026, 3, 10), "budget", rep=a, fs=f)
    recycle(jst(2026, 6, 10), "budget", rep=a, fs=f)
    recycle(jst(2026, 11, 5), "timing", rep=a, fs=f)
    recycle(jst(2026, 11, 6), "budget", rep=a, fs=f, sql_at=jst(2026, 11, 18))
    inbound(jst(2025, 11, 20), rep=a, fs=f, campaign=c1)
    won = inbound(jst(2026, 1, 10), rep=a, fs=f, campaign=c1, sql_at=jst(2026, 1, 20))
    with at(jst(2026, 3, 5)):
        won.status, won.phase, won.amount = Opportunity.Status.WON, phase("05W"), 2_000_000
        won.closed_at = won.phase_entered_at = jst(2026, 3, 5)
        won.contract_on = date(2026, 3, 5)
        won.save()
    inbound(jst(2026, 5, 10), rep=a, fs=f, campaign=c1)
    valid = inbound(jst(2026, 11, 2), rep=b, fs=f, campaign=c1, sql_at=jst(2026, 11, 10))
    with at(jst(2026, 11, 15)):
        PhaseHistory.objects.create(opportunity=valid, from_phase=valid.phase, to_phase=phase("03"), actor=f)
        valid.phase, valid.phase_entered_at = phase("03"), jst(2026, 11, 15)
        valid.save()
    inbound(jst(2026, 7, 1), rep=a, fs=f, campaign=c2, source_code="seminar")
    inbound(jst(2026, 8, 1), rep=b, fs=f)
    with at(jst(2025, 11, 1)):
        old = LeadFactory(owner=a, origin=Origin.OUTBOUND)
    with at(jst(2025, 11, 25)):
        OpportunityFactory(sql=True, origin_lead=old, company=old.company, owner=f, won=True, amount=9_999_999)
    metrics_rebuild(first_day=date(2025, 11, 1), last_day=date(2026, 11, 30), today=TODAY)
    return {"a": a, "b": b, "c1": c1, "c2": c2}


def url(metric: str, since=SINCE, until=UNTIL, **params) -> str:
    return "/dashboards/records/?" + urlencode({"metric": metric, "since": since, "until": until, **params})


def panel(panels, key):
    return next(p for p in panels if p.key == key)


def texts(p) -> list[list[str]]:
    return [[cell.text for cell in row] for row in p.rows]


@pytest.fixture
def board():
    w = build_world()
    return w, marketing.build(BoardQuery(NOVEMBER, TODAY))


def test_recycles_by_reason_for_each_of_the_twelve_months(board):
    _w, panels = board

    reasons = panel(panels, "recycle-reasons")

    assert reasons.columns == ["Month", "No budget yet", "Timing is later", "Recycles"]
    assert texts(reasons) == [
        ["2025-12", "0", "1", "1"],
        ["2026-01", "0", "0", "0"],
        ["2026-02", "0", "0", "0"],
        ["2026-03", "1", "0", "1"],
        ["2026-04", "0", "0", "0"],
        ["2026-05", "0", "0", "0"],
        ["2026-06", "1", "0", "1"],
        ["2026-07", "0", "0", "0"],
        ["2026-08", "0", "0", "0"],
        ["2026-09", "0", "0", "0"],
        ["2026-10", "0", "0", "0"],
        ["2026-11", "1", "1", "2"],
    ]
    assert reasons.rows[0][2].url == url(
        "recycles", until="2025-12-31", dimension="reason", value=str(recycle_reason("timing").pk)
    )
    assert reasons.rows[11][3].url == url("recycles", since="2026-11-01")
    assert reasons.chart.columns == [1, 2]
    assert reasons.chart.stacked


def test_revival_rate_by_reason_over_the_twelve_months_leaves_out_the_thirteenth(board):
    _w, panels = board

    revival = panel(panels, "revival")

    assert texts(revival) == [
        ["No budget yet", "3", "1", "33.3 %"],
        ["Timing is later", "2", "1", "50.0 %"],
        ["All reasons", "5", "2", "40.0 %"],
    ]
    timing = str(recycle_reason("timing").pk)
    assert revival.rows[1][2].url == url("revived_recycles", dimension="reason", value=timing)
    assert revival.rows[1][3].url == url("revived_recycles", dimension="reason", value=timing)
    assert revival.rows[2][1].url == url("recycles")


def test_inbound_cvr_by_campaign_and_rep_and_by_campaign(board):
    w, panels = board

    pairs = panel(panels, "inbound-cvr")
    assert texts(pairs) == [
        ["C1", "rep_a", "2", "1", "50.0 %"],
        ["C1", "rep_b", "1", "1", "100.0 %"],
        ["C2", "rep_a", "1", "0", "0.0 %"],
        ["Not set", "rep_b", "1", "0", "0.0 %"],
    ]
    key = f"{w['c1'].pk}|{w['a'].pk}"
    assert pairs.rows[0][2].url == url("inbound_leads", dimension="campaign|rep", value=key)
    assert pairs.rows[0][4].url == url("inbound_sqls", dimension="campaign|rep", value=key)
    assert pairs.rows[2][4].url == ""
    by_campaign = panel(panels, "inbound-cvr-campaign")
    assert texts(by_campaign) == [
        ["C1", "3", "2", "66.7 %"],
        ["C2", "1", "0", "0.0 %"],
        ["Not set", "1", "0", "0.0 %"],
    ]


def test_lead_source_quality_down_the_funnel(board):
    _w, panels = board

    quality = panel(panels, "source-quality")

    assert texts(quality) == [
        ["House list", "5", "3", "60.0 %", "0", "0.0 %", "0", "¥0"],
        ["Web inquiry", "4", "2", "50.0 %", "1", "50.0 %", "1", "¥2,000,000"],
        ["Seminar / webinar", "1", "0", "0.0 %", "0", "—", "0", "¥0"],
    ]
    web = str(source("web_inquiry").pk)
    assert quality.rows[1][7].url == url("won_amount", dimension="source", value=web)
    assert quality.rows[1][5].url == url("valid_opportunities", dimension="source", value=web)
    assert quality.rows[1][3].url == url("sqls", dimension="source", value=web)
    assert quality.rows[2][3].url == ""


def test_without_figures_every_panel_is_empty_and_explains_nothing():
    panels = marketing.build(BoardQuery(NOVEMBER, TODAY))

    assert [p.key for p in panels] == [
        "recycle-reasons",
        "revival",
        "inbound-cvr",
        "inbound-cvr-campaign",
        "source-quality",
    ]
    assert [(p.key, p.note) for p in panels if p.rows or p.note] == []


def test_the_board_reads_the_summary_tables_in_a_fixed_number_of_queries(django_assert_num_queries):
    """One read of the summary tables per kind of figure and one per label list, however long the history."""
    build_world()

    with django_assert_num_queries(11):
        marketing.build(BoardQuery(NOVEMBER, TODAY))


def test_the_page_a_panels_csv_and_the_records_behind_a_figure(client, manager, frozen):
    build_world()
    client.force_login(manager)

    page = client.get("/dashboards/marketing/")
    download = client.get("/dashboards/marketing/", {"csv": "inbound-cvr-campaign"})

    assert page.status_code == 200
    assert 'data-testid="panel-source-quality"' in page.content.decode()
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows == [
        ["Campaign", "Inbound leads", "Inbound SQLs", "Inbound CVR"],
        ["C1", "3", "2", "0.6667"],
        ["C2", "1", "0", "0.0"],
        ["Not set", "1", "0", "0.0"],
    ]
    revived = client.get(url("revived_recycles", dimension="reason", value=str(recycle_reason("budget").pk)))
    assert revived.context["value"] == 1
