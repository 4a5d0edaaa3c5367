"""Every metric's exact figure for a day, an ISO week and a month, on a small world of facts placed at
known moments in Tokyo time: the figures a manager reads must be the ones counted by hand below.

The world (all times JST; reps A and B in one SDR team, F an FS rep):

    leads   L1 (A, inbound, campaign C1, K1 50 employees Tokyo)  created Mon 11-16 09:00, due 11-24
            L2 (A, outbound, K2 500 employees Osaka)             created Mon 11-16 10:00, due 11-21
            L3 (B, inbound, campaign C1, K3 50 employees Tokyo)  created Tue 11-17 11:00, due 11-21
    a1  A call  L1 connected, effective          Mon 11-16 10:00
    a2  A call  L1 not connected                 Wed 11-18 23:30   (a late call stays on Wednesday)
    a3  A mail  L2                               Thu 11-19 00:10   (just after midnight: Thursday)
    a4  B call  L3 inbound, connected            Thu 11-19 14:00
    a5  A call  L1 connected, effective          Thu 11-19 16:00
    a6  A call  L2 connected, effective          Sun 11-22 23:59   (last minute of ISO week 47)
    a7  A call  L2 not connected                 Mon 11-23 00:01   (first minute of week 48)
    a8  A call  L1 not connected                 Mon 11-30 23:30   (November)
    a9  A call  L1 not connected                 Tue 12-01 00:30   (December, same ISO week as a8)
    t1  L1 viewed the pricing page                          Mon 11-16 08:00
    t2  L1 clicked the demo link                            Thu 11-19 09:00
    h1  SQL L1 A → F, temperature A, deal O1 ¥3,000,000    Thu 11-19 15:00
        accepted, first meeting 11-20, F rates it "partly"  Fri 11-20 11:00   (scored on Thursday)
    r1  L3 recycled by B (timing)                           Thu 11-19 16:30
    O3  SQL deal of L2, lost                                Thu 11-19 18:00
    O1  enters phase 03 (valid opportunity)                 Fri 11-20 09:30
    O2  SGL deal won, ¥1,200,000, 3 units, 2 attendees      Fri 11-20 09:00
    h2  SQL L3 B → F, temperature B (revives r1)            Tue 12-01 10:00
"""

from datetime import date, datetime

import pytest
import time_machine

from activities.models import Activity
from dashboards.metrics import METRICS
from dashboards.models import DirtyDay, MetricValue
from dashboards.selectors import correlations, metric_series, metric_table, metric_totals
from dashboards.services import metrics_rebuild, metrics_rollup_dirty
from handoffs.services import handoff_feedback
from leads.models import Origin, TouchPoint
from opportunities.models import Opportunity, PhaseHistory
from tests.activities.factories import ActivityFactory
from tests.handoffs.factories import HandoffFactory
from tests.helpers import TOKYO
from tests.leads.factories import CampaignFactory, CompanyFactory, LeadFactory, LeadRecycleFactory, source
from tests.opportunities.factories import OpportunityFactory, phase, service
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)
DAY, WEEK, MONTH = date(2026, 11, 19), date(2026, 11, 16), date(2026, 11, 1)


def jst(month, day, hour, minute=0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def build_world() -> dict:
    team = TeamFactory(name="SDR")
    a = UserFactory(username="rep_a", team=team)
    b = UserFactory(username="rep_b", team=team)
    f = UserFactory(username="fs_f", fs=True)
    c1 = CampaignFactory(name="C1")
    k1 = CompanyFactory(name="K1", employee_count=50, prefecture="13")
    k2 = CompanyFactory(name="K2", employee_count=500, prefecture="27")
    k3 = CompanyFactory(name="K3", employee_count=50, prefecture="13")
    with at(jst(11, 16, 9)):
        l1 = LeadFactory(
            company=k1,
            owner=a,
            origin=Origin.INBOUND,
            campaign=c1,
            department="総務部",
            title="部長",
            next_approach_on=date(2026, 11, 24),
        )
    with at(jst(11, 16, 10)):
        l2 = LeadFactory(
            company=k2,
            owner=a,
            origin=Origin.OUTBOUND,
            source=source("house_list"),
            next_approach_on=date(2026, 11, 21),
        )
    with at(jst(11, 17, 11)):
        l3 = LeadFactory(company=k3, owner=b, origin=Origin.INBOUND, campaign=c1, next_approach_on=date(2026, 11, 21))
    call, mail = Activity.Kind.CALL, Activity.Kind.MAIL
    activities = [
        (l1, call, "outbound", True, True, jst(11, 16, 10)),
        (l1, call, "outbound", False, False, jst(11, 18, 23, 30)),
        (l2, mail, "outbound", None, False, jst(11, 19, 0, 10)),
        (l3, call, "inbound", True, False, jst(11, 19, 14)),
        (l1, call, "outbound", True, True, jst(11, 19, 16)),
        (l2, call, "outbound", True, True, jst(11, 22, 23, 59)),
        (l2, call, "outbound", False, False, jst(11, 23, 0, 1)),
        (l1, call, "outbound", False, False, jst(11, 30, 23, 30)),
        (l1, call, "outbound", False, False, jst(12, 1, 0, 30)),
    ]
    made = [
        ActivityFactory(
            lead=lead,
            kind=kind,
            direction=direction,
            connected=connected,
            effective_conversation=effective,
            occurred_at=when,
        )
        for lead, kind, direction, connected, effective, when in activities
    ]
    TouchPoint.objects.create(lead=l1, kind=TouchPoint.Kind.PAGE_VIEW, occurred_at=jst(11, 16, 8))
    TouchPoint.objects.create(lead=l1, kind=TouchPoint.Kind.DEMO_CLICK, occurred_at=jst(11, 19, 9))
    with at(jst(11, 19, 15)):
        h1 = HandoffFactory(
            lead=l1,
            fs_rep=f,
            accepted=True,
            opportunity__amount=3_000_000,
            opportunity__service=service(),
            opportunity__first_meeting_on=date(2026, 11, 20),
            temperature="A",
        )
    with at(jst(11, 19, 16, 30)):
        LeadRecycleFactory(lead=l3)
    with at(jst(11, 19, 18)):
        OpportunityFactory(
            sql=True,
            origin_lead=l2,
            company=k2,
            owner=f,
            lost=True,
            closed_at=jst(11, 19, 18),
            phase_entered_at=jst(11, 19, 18),
        )
    with at(jst(11, 20, 9)):
        OpportunityFactory(
            owner=f,
            company=k2,
            won=True,
            closed_at=jst(11, 20, 9),
            phase_entered_at=jst(11, 20, 9),
            quantity=3,
            first_meeting_attendees=2,
        )
    with at(jst(11, 20, 9, 30)):
        deal = h1.opportunity
        PhaseHistory.objects.create(opportunity=deal, from_phase=deal.phase, to_phase=phase("03"), actor=f)
        deal.phase, deal.phase_entered_at = phase("03"), jst(11, 20, 9, 30)
        deal.save()
    with at(jst(11, 20, 11)):
        h1 = handoff_feedback(handoff=h1, actor=f, feedback="partly", reason="予算は未確定だった")
    with at(jst(12, 1, 10)):
        HandoffFactory(lead=l3, fs_rep=f, temperature="B", bant_budget="")
    return {"team": team, "a": a, "b": b, "f": f, "c1": c1, "leads": (l1, l2, l3), "activities": made, "h1": h1}


def roll_up(today: date = TODAY) -> None:
    while metrics_rollup_dirty(today=today).more:
        pass


def totals(grain: str, period: date) -> dict[str, tuple[int, int | None]]:
    return {f.metric: (f.numerator, f.denominator) for f in metric_table(grain=grain, period_start=period)}


def rows() -> set[tuple]:
    return set(
        MetricValue.objects.values_list(
            "metric", "grain", "period_start", "dimension", "dim_value", "numerator", "denominator"
        )
    )


DAY_TOTALS = {
    "touch_points": (1, None),
    "activities": (3, None),
    "calls": (2, None),
    "mails": (1, None),
    "connects": (2, None),
    "effective_conversations": (1, None),
    "companies_touched": (3, None),
    "rep_days": (2, None),
    "active_reps": (2, None),
    "connect_rate": (2, 2),
    "sqls": (1, None),
    "sqls_allocated": (1, None),
    "call_to_sql_rate": (1, 2),
    "connect_to_sql_rate": (1, 2),
    "sqls_per_rep_day": (1, 2),
    "sqls_per_head": (1, 2),
    "actions_per_sql": (3, 1),
    "sql_feedback_points": (1, None),
    "sql_feedback_possible": (2, None),
    "sql_feedback_score": (1, 2),
    "inbound_sqls": (1, None),
    "inbound_cvr": (1, 0),
    "sql_to_valid_rate": (0, 1),
    "closed_deals": (1, None),
    "lost_deals": (1, None),
    "win_rate": (0, 1),
    "recycles": (1, None),
    "revived_recycles": (1, None),
    "revival_rate": (1, 1),
}
WEEK_TOTALS = {
    "touch_points": (2, None),
    "assets": (2, None),
    "leads": (3, None),
    "activities": (6, None),
    "calls": (5, None),
    "mails": (1, None),
    "connects": (4, None),
    "calls_not_connected": (1, None),
    "effective_conversations": (3, None),
    "companies_touched": (3, None),
    "rep_days": (5, None),
    "active_reps": (2, None),
    "connect_rate": (4, 5),
    "sqls": (1, None),
    "sqls_allocated": (1, None),
    "call_to_sql_rate": (1, 5),
    "connect_to_sql_rate": (1, 4),
    "sqls_per_rep_day": (1, 5),
    "sqls_per_head": (1, 2),
    "actions_per_sql": (6, 1),
    "sql_feedback_points": (1, None),
    "sql_feedback_possible": (2, None),
    "sql_feedback_score": (1, 2),
    "inbound_leads": (2, None),
    "inbound_sqls": (1, None),
    "inbound_cvr": (1, 2),
    "valid_opportunities": (1, None),
    "sql_to_valid_rate": (1, 1),
    "open_deals": (1, None),
    "won_deals": (1, None),
    "won_amount": (1_200_000, None),
    "won_quantity": (3, None),
    "closed_deals": (2, None),
    "lost_deals": (1, None),
    "win_rate": (1, 2),
    "recycles": (1, None),
    "revived_recycles": (1, None),
    "revival_rate": (1, 1),
}
MONTH_TOTALS = {
    **WEEK_TOTALS,
    "assets": (3, None),
    "activities": (8, None),
    "calls": (7, None),
    "rep_days": (7, None),
    "connect_rate": (4, 7),
    "call_to_sql_rate": (1, 7),
    "sqls_per_rep_day": (1, 7),
    "actions_per_sql": (8, 1),
    "calls_not_connected": (3, None),
}


def test_every_metric_of_a_day_a_week_and_a_month_is_counted_exactly():
    build_world()
    roll_up()

    assert totals("day", DAY) == DAY_TOTALS
    assert totals("week", WEEK) == WEEK_TOTALS
    assert totals("month", MONTH) == MONTH_TOTALS


def test_the_catalogue_is_what_the_world_covers():
    """Every metric of the catalogue is asserted above, except the snapshot of stagnant deals (below)."""
    covered = set(DAY_TOTALS) | set(WEEK_TOTALS) | set(MONTH_TOTALS)
    assert set(METRICS) - covered == {"stagnant_deals"}


def test_a_day_is_the_company_time_zone_day():
    """A call at 23:30 JST is on that JST day, though it is already 14:30 UTC of it; one at 00:10 JST
    is on the next JST day, though UTC still says the day before."""
    build_world()
    roll_up()

    calls = {
        day: figure.numerator
        for day, figure in metric_series(metric="calls", grain="day", first=date(2026, 11, 18), last=date(2026, 11, 19))
    }
    mails = {
        day: figure.numerator
        for day, figure in metric_series(metric="mails", grain="day", first=date(2026, 11, 18), last=date(2026, 11, 19))
    }
    assert calls == {date(2026, 11, 18): 1, date(2026, 11, 19): 2}
    assert mails == {date(2026, 11, 19): 1}


def test_iso_weeks_start_on_monday_and_months_split_a_week():
    """Sunday 23:59 ends week 47; Monday 00:01 starts week 48; 11-30 and 12-01 share a week but not a month."""
    build_world()
    roll_up()

    weeks = metric_series(metric="calls", grain="week", first=date(2026, 11, 16), last=date(2026, 11, 30))
    months = metric_series(metric="calls", grain="month", first=date(2026, 11, 1), last=date(2026, 12, 1))
    assert [(day, figure.numerator) for day, figure in weeks] == [
        (date(2026, 11, 16), 5),
        (date(2026, 11, 23), 1),
        (date(2026, 11, 30), 2),
    ]
    assert [(day, figure.numerator) for day, figure in months] == [(date(2026, 11, 1), 7), (date(2026, 12, 1), 1)]


def test_sqls_are_broken_down_by_every_dimension_of_the_mix():
    w = build_world()
    roll_up()
    l1 = w["leads"][0]

    def breakdown(dimension):
        return {
            f.dim_value: f.numerator
            for f in metric_table(grain="day", period_start=DAY, metrics=["sqls"], dimension=dimension)
        }

    assert breakdown("rep") == {str(w["a"].pk): 1}
    assert breakdown("team") == {str(w["team"].pk): 1}
    assert breakdown("fs_rep") == {str(w["f"].pk): 1}
    assert breakdown("source") == {str(l1.source_id): 1}
    assert breakdown("campaign") == {str(w["c1"].pk): 1}
    assert breakdown("service") == {str(service().pk): 1}
    assert breakdown("size_band") == {"31-100": 1}
    assert breakdown("area") == {"kanto": 1}
    assert breakdown("deal_size_band") == {"1M-5M": 1}
    assert breakdown("department") == {"総務部": 1}
    assert breakdown("title") == {"部長": 1}
    assert breakdown("temperature") == {"A": 1}
    assert breakdown("origin") == {"inbound": 1}
    assert breakdown("industry") == {"": 1}
    assert breakdown("rep|origin") == {f"{w['a'].pk}|inbound": 1}
    assert breakdown("fs_rep|size_band") == {f"{w['f'].pk}|31-100": 1}
    assert breakdown("origin|service") == {f"inbound|{service().pk}": 1}
    assert breakdown("origin|size_band") == {"inbound|31-100": 1}
    assert breakdown("origin|area") == {"inbound|kanto": 1}
    assert breakdown("origin|deal_size_band") == {"inbound|1M-5M": 1}
    assert breakdown("origin|temperature") == {"inbound|A": 1}


def test_a_teams_calls_and_mails_are_broken_down_by_direction():
    """November: A's calls a1 a2 a5 a6 a7 a8 and mail a3 are outbound, B's call a4 inbound; all in one team."""
    w = build_world()
    roll_up()
    inbound, outbound = f"{w['team'].pk}|inbound", f"{w['team'].pk}|outbound"

    by_team_and_direction = {
        (f.metric, f.dim_value): (f.numerator, f.denominator)
        for f in metric_table(
            grain="month",
            period_start=MONTH,
            metrics=["calls", "mails", "connects", "calls_not_connected", "connect_rate"],
            dimension="team|direction",
        )
    }
    assert by_team_and_direction == {
        ("calls", inbound): (1, None),
        ("calls", outbound): (6, None),
        ("mails", outbound): (1, None),
        ("connects", inbound): (1, None),
        ("connects", outbound): (3, None),
        ("calls_not_connected", outbound): (3, None),
        ("connect_rate", inbound): (1, 1),
        ("connect_rate", outbound): (3, 6),
    }


def test_the_sql_feedback_score_is_the_reps_and_the_teams():
    """h1 (A, Thursday) rated "partly": 1 point of 2, on the SQL's day, week and month."""
    w = build_world()
    roll_up()

    for grain, start in (("day", DAY), ("week", WEEK), ("month", MONTH)):
        for dimension, value in (("rep", str(w["a"].pk)), ("team", str(w["team"].pk))):
            scores = metric_table(grain=grain, period_start=start, metrics=["sql_feedback_score"], dimension=dimension)
            assert [(f.dim_value, f.numerator, f.denominator) for f in scores] == [(value, 1, 2)]


def test_ratios_by_rep_divide_the_reps_own_sums():
    w = build_world()
    roll_up()

    rates = {
        f.dim_value: (f.numerator, f.denominator)
        for f in metric_table(grain="month", period_start=MONTH, metrics=["connect_rate"], dimension="rep")
    }
    assert rates == {str(w["a"].pk): (3, 6), str(w["b"].pk): (1, 1)}


def test_win_rate_tells_sql_from_sgl():
    build_world()
    roll_up()

    rates = {
        f.dim_value: (f.numerator, f.denominator)
        for f in metric_table(grain="week", period_start=WEEK, metrics=["win_rate"], dimension="deal_origin")
    }
    assert rates == {"sgl": (1, 1), "sql": (0, 1)}


def test_inbound_cvr_over_trailing_months_sums_numerators_and_denominators():
    w = build_world()
    roll_up(today=date(2026, 12, 2))

    by_campaign = metric_totals(
        metric="inbound_cvr", first=date(2025, 12, 2), last=date(2026, 12, 1), dimension="campaign|rep"
    )
    assert {(f.dim_value, f.numerator, f.denominator) for f in by_campaign} == {
        (f"{w['c1'].pk}|{w['a'].pk}", 1, 1),
        (f"{w['c1'].pk}|{w['b'].pk}", 1, 1),
    }


@pytest.mark.parametrize(
    ("first", "last", "activities", "connect_rate"),
    [
        (date(2026, 11, 1), date(2026, 11, 30), 8, (4, 7)),  # one whole month: its month row
        (date(2026, 11, 1), date(2026, 12, 1), 9, (4, 8)),  # a whole month and a day of the next
        (date(2026, 10, 20), date(2026, 11, 30), 8, (4, 7)),  # days of October, then November's row
        (date(2026, 11, 18), date(2026, 12, 1), 8, (3, 7)),  # no whole month: days only (a2 … a9)
        (date(2026, 11, 19), date(2026, 11, 19), 3, (2, 2)),  # one day
    ],
)
def test_a_sum_over_a_range_reads_each_day_once_whole_months_from_their_month_rows(
    first, last, activities, connect_rate
):
    build_world()
    roll_up(today=date(2026, 12, 2))

    (count,) = metric_totals(metric="activities", first=first, last=last)
    (rate,) = metric_totals(metric="connect_rate", first=first, last=last)

    assert count.numerator == activities
    assert (rate.numerator, rate.denominator) == connect_rate


def test_stagnant_deals_are_a_snapshot_of_the_day():
    f = UserFactory(fs=True)
    with at(jst(10, 1, 10)):
        stuck = OpportunityFactory(owner=f, phase_entered_at=jst(10, 1, 10))
    with at(jst(11, 19, 10)):
        OpportunityFactory(owner=f, phase_entered_at=jst(11, 19, 10))
    roll_up()

    assert totals("day", TODAY)["stagnant_deals"] == (1, None)
    by_phase = metric_table(grain="day", period_start=TODAY, metrics=["stagnant_deals"], dimension="phase")
    assert [(x.dim_value, x.numerator) for x in by_phase] == [(str(stuck.phase_id), 1)]


class TestIncremental:
    def test_a_rollup_recomputes_only_the_dirty_days_and_clears_them(self):
        build_world()
        roll_up()
        assert not DirtyDay.objects.exists()

        a5 = Activity.objects.get(occurred_at=jst(11, 19, 16))
        a5.occurred_at = jst(11, 20, 11)
        a5.save()

        assert set(DirtyDay.objects.values_list("day", flat=True)) == {date(2026, 11, 19), date(2026, 11, 20)}
        result = metrics_rollup_dirty(today=TODAY)
        assert result.days == [date(2026, 11, 19), date(2026, 11, 20)]
        assert totals("day", DAY)["calls"] == (1, None)
        assert totals("day", TODAY)["calls"] == (1, None)
        assert totals("week", WEEK)["calls"] == (5, None)

    def test_incremental_changes_give_the_rows_of_a_rebuild(self):
        w = build_world()
        roll_up()
        f = w["f"]
        l1, l2, _l3 = w["leads"]
        # Late and edited facts: a call logged a week late, one moved across a month, one deleted,
        # a lead rescheduled, an SQL rejected, a deal won.
        ActivityFactory(lead=l2, occurred_at=jst(11, 17, 9), connected=True, effective_conversation=True)
        moved = Activity.objects.get(occurred_at=jst(11, 30, 23, 30))
        moved.occurred_at = jst(12, 1, 9)
        moved.save()
        Activity.objects.get(occurred_at=jst(11, 16, 10)).delete()
        l2.next_approach_on = date(2026, 11, 25)
        l2.save()
        with at(jst(11, 21, 10)):
            h1 = w["h1"]
            h1.status, h1.reason, h1.responded_at = "rejected", "予算なし", jst(11, 21, 10)
            h1.save()
            deal = OpportunityFactory(owner=f, company=l1.company, phase_entered_at=jst(11, 21, 10))
        with at(jst(11, 24, 10)):
            deal.status, deal.phase, deal.closed_at, deal.amount = (
                Opportunity.Status.WON,
                phase("05W"),
                jst(11, 24, 10),
                500_000,
            )
            deal.contract_on, deal.phase_entered_at = date(2026, 11, 24), jst(11, 24, 10)
            deal.save()
        roll_up()
        incremental = rows()

        metrics_rebuild(first_day=date(2026, 10, 1), last_day=date(2026, 12, 31), today=TODAY)

        assert rows() == incremental
        assert "sqls_allocated" not in totals("month", MONTH)  # the only November SQL was rejected
        assert totals("month", MONTH)["won_amount"] == (1_700_000, None)

    def test_feedback_given_later_rescores_the_sqls_day_as_a_rebuild_would(self):
        w = build_world()
        roll_up()
        assert not DirtyDay.objects.exists()

        with at(jst(11, 26, 10)):
            handoff_feedback(handoff=w["h1"], actor=w["f"], feedback="yes")

        assert set(DirtyDay.objects.values_list("day", flat=True)) == {date(2026, 11, 19)}
        roll_up()
        incremental = rows()
        assert totals("day", DAY)["sql_feedback_score"] == (2, 2)
        assert totals("month", MONTH)["sql_feedback_points"] == (2, None)

        metrics_rebuild(first_day=date(2026, 10, 1), last_day=date(2026, 12, 31), today=TODAY)

        assert rows() == incremental

    def test_a_rebuild_twice_changes_nothing(self):
        build_world()
        metrics_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 12, 31), today=TODAY)
        first = rows()
        metrics_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 12, 31), today=TODAY)
        assert rows() == first

    def test_an_sql_revives_the_recycles_of_the_six_months_before(self):
        w = build_world()
        roll_up()
        l2 = w["leads"][1]
        with at(jst(11, 20, 12)):
            LeadRecycleFactory(lead=l2)
        roll_up()
        assert totals("day", TODAY)["revival_rate"] == (0, 1)

        with at(jst(12, 10, 10)):
            HandoffFactory(lead=l2, fs_rep=w["f"])
        assert date(2026, 11, 20) in set(DirtyDay.objects.values_list("day", flat=True))
        roll_up(today=date(2026, 12, 10))
        assert totals("day", TODAY)["revival_rate"] == (1, 1)


def test_correlations_pair_each_reps_days_with_their_sqls():
    """Per rep per day: x = activities (or companies, effective conversations), y = SQLs. Rep A's
    Thursday has the only SQL and A's busiest day, so every r is positive."""
    build_world()
    roll_up()

    found = {c.metric: c for c in correlations(first=date(2026, 11, 16), last=date(2026, 11, 22))}
    # Points (rep, day): A 11-16 (1 act, 0 SQL), A 11-18 (1, 0), A 11-19 (2, 1), B 11-19 (1, 0), A 11-22 (1, 0).
    assert found["activities"].points == 5
    assert found["activities"].r == pytest.approx(1.0)
    assert found["companies_touched"].r == pytest.approx(1.0)
    # Effective conversations: A 11-16 1, 11-18 0, 11-19 1, B 0, 11-22 1 against SQLs 0, 0, 1, 0, 0.
    assert found["effective_conversations"].r == pytest.approx(0.4082482904638631)


def test_no_points_no_correlation():
    found = correlations(first=date(2026, 11, 16), last=date(2026, 11, 22))
    assert [(c.points, c.r) for c in found] == [(0, None), (0, None), (0, None)]
