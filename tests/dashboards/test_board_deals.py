"""The opportunities-and-wins board, on a world counted by hand (JST; FS reps F and G; November 2026):

SQLs   q1 web inquiry, campaign C1   Mon 11-02 → deal d1, phase 03 on 11-10 (valid), active 11-18
       q2 web inquiry, no campaign   Tue 11-03 → deal d2, phase 01, no activity since  (stagnant)
       q3 seminar, campaign C1       Thu 11-05 → deal d3, phase 02 on 11-12, no activity (stagnant)
open   d4 SGL, G, phase 01 since 09-01                                                    (stagnant)
       d5 SGL, G, phase 04 since 10-25, active 11-18
closed w1 SQL won  11-10 manufacturing, web inquiry  ¥2,000,000  5 units  2 attendees
       w2 SGL won  11-11 IT                          ¥1,000,000  3 units  3 attendees
       w3 SGL won  11-12 manufacturing                 ¥500,000  no qty   2 attendees
       l1 SQL lost 11-13 IT, seminar                                      2 attendees
       l2 SQL lost 11-14 manufacturing, web inquiry                       1 attendee
       l3 SGL lost 10-30 (October: outside the month)
"""

import csv
import io
from datetime import date, datetime
from urllib.parse import urlencode

import pytest
import time_machine

from dashboards.boards import deals
from dashboards.boards.base import BoardQuery, Period
from dashboards.services import metrics_rebuild
from leads.models import Industry
from opportunities.models import PhaseHistory
from tests.handoffs.factories import HandoffFactory
from tests.helpers import TOKYO
from tests.leads.factories import CampaignFactory, CompanyFactory, LeadFactory, source
from tests.opportunities.factories import OpportunityFactory, phase
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)
NOVEMBER = Period("month", date(2026, 11, 1))


def jst(month, day, hour=10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TOKYO)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def industry(code: str) -> Industry:
    return Industry.objects.get(code=code)


def sql(moment: datetime, fs, **lead):
    with at(moment):
        return HandoffFactory(lead=LeadFactory(**lead), fs_rep=fs).opportunity


def move(deal, code: str, moment: datetime, *, active: datetime | None = None) -> None:
    with at(moment):
        PhaseHistory.objects.create(opportunity=deal, from_phase=deal.phase, to_phase=phase(code), actor=deal.owner)
        deal.phase, deal.phase_entered_at, deal.last_activity_at = phase(code), moment, active
        deal.save()


def closed(moment: datetime, *, owner, won: bool, industry_code: str, source_code: str = "", **fields):
    company = CompanyFactory(industry=industry(industry_code))
    if source_code:
        fields |= {"sql": True, "origin_lead": LeadFactory(company=company, source=source(source_code))}
    with at(moment):
        return OpportunityFactory(
            owner=owner, company=company, won=won, lost=not won, closed_at=moment, phase_entered_at=moment, **fields
        )


def build_world() -> dict:
    f = UserFactory(username="fs_f", fs=True)
    g = UserFactory(username="fs_g", fs=True)
    c1 = CampaignFactory(name="C1")
    d1 = sql(jst(11, 2), f, campaign=c1)
    d2 = sql(jst(11, 3), f)
    d3 = sql(jst(11, 5), f, source=source("seminar"), campaign=c1)
    move(d1, "03", jst(11, 10), active=jst(11, 18))
    move(d3, "02", jst(11, 12))
    with at(jst(9, 1)):
        d4 = OpportunityFactory(owner=g)
    with at(jst(10, 25)):
        OpportunityFactory(owner=g, phase_code="04", last_activity_at=jst(11, 18))
    closed(
        jst(11, 10),
        owner=f,
        won=True,
        industry_code="manufacturing",
        source_code="web_inquiry",
        amount=2_000_000,
        quantity=5,
        first_meeting_attendees=2,
    )
    closed(jst(11, 11), owner=g, won=True, industry_code="it", amount=1_000_000, quantity=3, first_meeting_attendees=3)
    closed(jst(11, 12), owner=g, won=True, industry_code="manufacturing", amount=500_000, first_meeting_attendees=2)
    closed(jst(11, 13), owner=f, won=False, industry_code="it", source_code="seminar", first_meeting_attendees=2)
    closed(
        jst(11, 14),
        owner=f,
        won=False,
        industry_code="manufacturing",
        source_code="web_inquiry",
        first_meeting_attendees=1,
    )
    closed(jst(10, 30), owner=g, won=False, industry_code="it", first_meeting_attendees=1)
    metrics_rebuild(first_day=date(2026, 8, 1), last_day=date(2026, 11, 30), today=TODAY)
    return {"f": f, "g": g, "c1": c1, "d2": d2, "d4": d4}


def url(metric: str, since="2026-11-01", until="2026-11-30", **params) -> str:
    return "/dashboards/records/?" + urlencode({"metric": metric, "since": since, "until": until, **params})


def panel(panels, key):
    return next(p for p in panels if p.key == key)


def texts(p) -> list[list[str]]:
    return [[cell.text for cell in row] for row in p.rows]


@pytest.fixture
def board():
    w = build_world()
    return w, deals.build(BoardQuery(NOVEMBER, TODAY))


def test_sql_to_valid_opportunity_by_source_and_campaign(board):
    _w, panels = board

    by_source = panel(panels, "valid-source")
    assert texts(by_source) == [["Web inquiry", "2", "1", "50.0 %"], ["Seminar / webinar", "1", "0", "0.0 %"]]
    web = str(source("web_inquiry").pk)
    assert by_source.rows[0][1].url == url("sqls", dimension="source", value=web)
    assert by_source.rows[0][2].url == url("valid_opportunities", dimension="source", value=web)
    assert by_source.rows[0][3].url == url("valid_opportunities", dimension="source", value=web)
    assert by_source.rows[1][3].url == ""
    by_campaign = panel(panels, "valid-campaign")
    assert texts(by_campaign) == [["C1", "2", "1", "50.0 %"], ["Not set", "1", "0", "0.0 %"]]
    assert by_campaign.rows[1][1].url == url("sqls", dimension="campaign", value="")


def test_todays_phase_mix_and_the_share_stuck_in_phase_02_or_earlier(board):
    _w, panels = board

    mix = panel(panels, "phases")
    assert texts(mix) == [
        ["01 First meeting set", "2", "40.0 %"],
        ["02 First meeting held", "1", "20.0 %"],
        ["03 Proposal (valid opportunity)", "1", "20.0 %"],
        ["04 Negotiation", "1", "20.0 %"],
    ]
    since = "2023-11-17"  # 1,099 days before today: the longest range the records page lists
    assert mix.rows[0][1].url == url(
        "open_deals", since=since, until="2026-11-20", dimension="phase", value=str(phase("01").pk)
    )
    assert mix.note == "Today's open deals, whatever period is chosen."
    early = panel(panels, "early")
    assert texts(early) == [["In phase 02 or earlier", "3", "60.0 %"], ["All open deals", "5", "100.0 %"]]
    assert early.rows[0][2].value == 0.6
    assert early.rows[1][1].url == url("open_deals", since=since, until="2026-11-20")


def test_the_phase_mix_is_todays_whatever_the_period(board):

    earlier = deals.build(BoardQuery(Period("month", date(2026, 6, 1)), TODAY))

    assert [row[1].text for row in panel(earlier, "phases").rows] == ["2", "1", "1", "1"]
    assert panel(earlier, "valid-source").rows == []


def test_stagnant_deals_today_by_phase_and_fs_rep_link_to_the_list(board):
    w, panels = board

    by_phase = panel(panels, "stagnant")
    assert texts(by_phase) == [
        ["01 First meeting set", "2"],
        ["02 First meeting held", "1"],
        ["All stagnant deals", "3"],
    ]
    assert by_phase.rows[2][1].url == url("stagnant_deals", since="2026-11-20", until="2026-11-20")
    assert by_phase.rows[0][1].url == url(
        "stagnant_deals", since="2026-11-20", until="2026-11-20", dimension="phase", value=str(phase("01").pk)
    )
    by_rep = panel(panels, "stagnant-fs-rep")
    assert texts(by_rep) == [["fs_f", "2"], ["fs_g", "1"]]
    assert by_rep.rows[1][1].url == url(
        "stagnant_deals", since="2026-11-20", until="2026-11-20", dimension="fs_rep", value=str(w["g"].pk)
    )


def test_wins_by_industry_and_source_with_their_amounts(board):
    _w, panels = board

    by_industry = panel(panels, "won-industry")
    assert texts(by_industry) == [["Manufacturing", "2", "¥2,500,000"], ["IT & telecom", "1", "¥1,000,000"]]
    manufacturing = str(industry("manufacturing").pk)
    assert by_industry.rows[0][2].url == url("won_amount", dimension="industry", value=manufacturing)
    assert by_industry.rows[0][2].value == 2_500_000
    assert texts(panel(panels, "won-source")) == [["Web inquiry", "1", "¥2,000,000"], ["Not set", "2", "¥1,500,000"]]


def test_win_rates_sql_against_sgl_and_by_first_meeting_attendees(board):
    _w, panels = board

    origin = panel(panels, "win-rate-deal-origin")
    assert texts(origin) == [
        ["SQL (from Inside Sales)", "1", "3", "33.3 %"],
        ["SGL (sales-generated)", "2", "2", "100.0 %"],
        ["All closed deals", "3", "5", "60.0 %"],
    ]
    assert origin.rows[0][2].url == url("closed_deals", dimension="deal_origin", value="sql")
    assert origin.rows[0][3].url == url("won_deals", dimension="deal_origin", value="sql")
    assert origin.rows[0][3].value == 0.3333
    attendees = panel(panels, "win-rate-attendees")
    assert texts(attendees) == [
        ["1", "0", "1", "0.0 %"],
        ["2", "2", "3", "66.7 %"],
        ["3", "1", "1", "100.0 %"],
        ["All closed deals", "3", "5", "60.0 %"],
    ]
    assert attendees.rows[0][1].url == ""


def test_quantity_won_by_industry(board):
    _w, panels = board

    quantity = panel(panels, "won-quantity")

    assert texts(quantity) == [["Manufacturing", "2", "5", "2.5"], ["IT & telecom", "1", "3", "3.0"]]
    assert quantity.rows[1][2].url == url("won_quantity", dimension="industry", value=str(industry("it").pk))


def test_without_deals_the_panels_say_so():
    panels = deals.build(BoardQuery(NOVEMBER, TODAY))

    assert [p.key for p in panels if p.rows] == []
    assert {p.key: p.note for p in panels if p.note} == {
        "phases": "No open deals today.",
        "early": "No open deals today.",
        "stagnant": "No stagnant deals today.",
        "stagnant-fs-rep": "No stagnant deals today.",
    }


def test_the_board_reads_the_summary_tables_in_a_fixed_number_of_queries(django_assert_num_queries):
    """One read of the summary tables per kind of figure and one per label list, however long the history."""
    build_world()

    with django_assert_num_queries(10):
        deals.build(BoardQuery(NOVEMBER, TODAY))


def test_the_page_a_panels_csv_and_the_records_behind_a_figure(client, manager, frozen):
    build_world()
    client.force_login(manager)

    page = client.get("/dashboards/deals/")
    download = client.get("/dashboards/deals/", {"csv": "win-rate-deal-origin"})

    assert page.status_code == 200
    assert 'data-testid="panel-stagnant-fs-rep"' in page.content.decode()
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows == [
        ["SQL / SGL", "Deals won", "Deals closed", "Win rate"],
        ["SQL (from Inside Sales)", "1", "3", "0.3333"],
        ["SGL (sales-generated)", "2", "2", "1.0"],
        ["All closed deals", "3", "5", "0.6"],
    ]
    stagnant = client.get(url("stagnant_deals", since="2026-11-20", until="2026-11-20"))
    assert stagnant.context["value"] == 3
    first_phase = client.get(
        url("open_deals", since="2023-11-17", until="2026-11-20", dimension="phase", value=str(phase("01").pk))
    )
    assert first_phase.context["value"] == 2
