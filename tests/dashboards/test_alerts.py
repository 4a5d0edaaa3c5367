"""Alerts (PRODUCT.md, "Alerts"): an FS rep at the monthly limit of a segment, a team short of assets for
tomorrow or this week, a stagnant deal, a hot lead nobody has called since it turned hot.

What a manager relies on: one open alert per condition however often the alerts are evaluated; the alert
is resolved (not deleted) by the first evaluation that no longer finds the condition; the condition coming
back opens a new alert; every new alert reaches Slack exactly once.

Capacity and asset alerts read the summary tables, so each run rolls the marked days up first, as the
worker does before it evaluates. A real HTTP server (pytest-httpserver) stands in for Slack."""

import json
from datetime import date, datetime, timedelta

import pytest

from activities.models import Activity
from activities.services import activity_log
from dashboards.models import Alert
from dashboards.services import (
    AlertChanges,
    SlackError,
    alert_notify,
    alerts_evaluate,
    asset_target_set,
    metrics_rollup_dirty,
)
from handoffs.services import handoff_reject
from leads.services import lead_disqualify, lead_set_next_approach
from opportunities.services import opportunity_move
from org.models import SizeBand
from tests.activities.factories import ActivityFactory
from tests.handoffs.factories import FSCapacityRuleFactory
from tests.helpers import NOW, TODAY, TOKYO
from tests.leads.factories import CompanyFactory, LeadFactory
from tests.opportunities.factories import OpportunityFactory
from tests.worlds import pipeline_world, sql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

TOMORROW = date(2026, 11, 21)  # Saturday
RUN = timedelta(minutes=5)  # the worker evaluates the alerts every five minutes

K = Alert.Kind


def jst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TOKYO)


def run(frozen, *, today: date = TODAY) -> AlertChanges:
    """One run of the worker: the marked days rolled up, then the alerts evaluated; the clock then moves
    on to the next run."""
    metrics_rollup_dirty(today=today)
    changes = alerts_evaluate(today=today)
    frozen.shift(RUN)
    return changes


def history(kind: str) -> list[tuple]:
    """Every alert of ``kind`` ever opened, oldest first: (key, status, opened at, resolved at)."""
    return list(Alert.objects.filter(kind=kind).order_by("id").values_list("key", "status", "opened_at", "resolved_at"))


def pks(kind: str) -> list[int]:
    return list(Alert.objects.filter(kind=kind).order_by("id").values_list("pk", flat=True))


def boost(baseline: int, low: int, high: int) -> dict:
    """The activity target an asset-shortfall alert suggests: from the baseline to 1.5–2× of it."""
    return {"activity_baseline": baseline, "activity_low": low, "activity_high": high}


def summary(alert: Alert) -> tuple:
    return (alert.kind, alert.key, alert.status, alert.user, alert.team, alert.lead, alert.opportunity, alert.params)


# --- worlds -----------------------------------------------------------------------------------------------


@pytest.fixture
def w():
    """The pipeline world, with FS rep 鈴木 (fs_a) limited to 2 SQLs a month for companies of 31–100."""
    w = pipeline_world()
    FSCapacityRuleFactory(user=w["fs_a"], size_band=SizeBand.S, monthly_limit=2)
    return w


@pytest.fixture
def assets(is_team, is_rep, manager):
    """Team "SDR 東京" (managed by ``manager``) wants 2 assets a day and 5 a week, has 1 lead scheduled
    for tomorrow and 2 for this week, and logged 5 activities on Wednesday and 3 on Thursday (4 a day)."""
    asset_target_set(team=is_team, daily=2, weekly=5)
    worked = LeadFactory(owner=is_rep, next_approach_on=TODAY)
    tomorrow = LeadFactory(owner=is_rep, next_approach_on=TOMORROW)
    ActivityFactory.create_batch(5, lead=worked, occurred_at=jst(11, 18, 11))
    ActivityFactory.create_batch(3, lead=worked, occurred_at=jst(11, 19, 15))
    return {"team": is_team, "rep": is_rep, "manager": manager, "worked": worked, "tomorrow": tomorrow}


def stuck_deal(owner):
    """In phase 01 since 12 October (39 days), worked two days ago: stagnant by days in phase."""
    return OpportunityFactory(
        name="株式会社青木 / 勤怠管理",
        owner=owner,
        phase_entered_at=jst(10, 12, 10),
        last_activity_at=jst(11, 18, 15),
    )


def idle_deal(owner):
    """In phase 01 since 1 November (19 days), last worked on 5 November (15 days): stagnant by idleness."""
    return OpportunityFactory(
        name="株式会社井上 / 給与計算",
        owner=owner,
        phase_entered_at=jst(11, 1, 10),
        last_activity_at=jst(11, 5, 10),
    )


def hot_lead(owner, *, name="花子", company="株式会社ひかり", **kwargs):
    """A new lead that turned hot at 9:00 today."""
    return LeadFactory(
        owner=owner,
        last_name="山田",
        first_name=name,
        company=CompanyFactory(name=company),
        is_hot=True,
        hot_since=jst(11, 20, 9),
        **kwargs,
    )


def turn_hot(lead, at: datetime):
    """What the touch-point scoring rule does when it fires."""
    lead.is_hot, lead.hot_since = True, at
    lead.save(update_fields=["is_hot", "hot_since", "updated_at"])


def call(lead=None, *, actor, opportunity=None):
    return activity_log(
        actor=actor, kind=Activity.Kind.CALL, direction="outbound", connected=True, lead=lead, opportunity=opportunity
    )


# --- each kind opens with what the reader needs -----------------------------------------------------------


def test_an_fs_rep_at_the_monthly_limit_of_a_segment_gets_a_capacity_alert(frozen, w):
    """The rep, the segment, the count and the limit: what a manager needs to move the next SQLs elsewhere."""
    sql(w, name="山田")
    sql(w, name="佐藤")
    sql(w, to="fs_b", name="高橋")  # 鈴木's colleague: 1 of the segment's default 50

    changes = run(frozen)

    alert = Alert.objects.get()
    assert changes == AlertChanges(opened=[alert.pk], resolved=[])
    assert summary(alert) == (
        K.CAPACITY,
        f"{w['fs_a'].pk}:31-100:2026-11",
        "open",
        w["fs_a"],
        None,
        None,
        None,
        {"size_band": "31-100", "sqls": 2, "limit": 2, "month": "2026-11"},
    )
    assert (alert.opened_at, alert.resolved_at, alert.notified_at) == (NOW, None, None)
    assert alert.message == "鈴木 has 2 SQLs of a monthly limit of 2 in the 31–100 employees segment (2026-11)."


def test_a_team_short_of_assets_for_tomorrow_and_this_week_gets_two_alerts_with_a_raised_activity_target(
    frozen, assets
):
    run(frozen)

    day, week = Alert.objects.filter(kind=K.ASSET_SHORTFALL).order_by("key")
    team, manager = assets["team"], assets["manager"]
    assert [summary(day), summary(week)] == [
        (
            K.ASSET_SHORTFALL,
            f"{team.pk}:day:2026-11-21",
            "open",
            manager,
            team,
            None,
            None,
            {"period": "day", "on": "2026-11-21", "assets": 1, "target": 2, **boost(4, 6, 8)},
        ),
        (
            K.ASSET_SHORTFALL,
            f"{team.pk}:week:2026-11-16",
            "open",
            manager,
            team,
            None,
            None,
            {"period": "week", "on": "2026-11-16", "assets": 2, "target": 5, **boost(4, 6, 8)},
        ),
    ]
    assert [day.message, week.message] == [
        "SDR 東京: 1 assets for 2026-11-21, target 2. Raise today's activity target 1.5–2×: from 4 to 6–8.",
        "SDR 東京: 2 assets this week (from 2026-11-16), target 5. "
        "Raise today's activity target 1.5–2×: from 4 to 6–8.",
    ]
    assert Alert.objects.exclude(kind=K.ASSET_SHORTFALL).count() == 0


def test_a_team_that_meets_its_asset_targets_gets_no_alert(frozen, assets):
    """2 leads for tomorrow, 5 this week: exactly on target is not a shortfall."""
    LeadFactory(owner=assets["rep"], next_approach_on=TOMORROW)
    LeadFactory.create_batch(2, owner=assets["rep"], next_approach_on=date(2026, 11, 22))

    assert run(frozen) == AlertChanges(opened=[], resolved=[])
    assert Alert.objects.count() == 0


def test_the_suggested_activity_target_is_never_below_one_and_a_half_times_the_baseline(frozen, is_team, is_rep):
    """1.5 × 3 activities a day is 4.5: the manager is told 5, not 4 (which would be a raise of 1.33×)."""
    asset_target_set(team=is_team, daily=1, weekly=1)
    ActivityFactory.create_batch(3, lead=LeadFactory(owner=is_rep, next_approach_on=TODAY), occurred_at=jst(11, 19, 15))

    run(frozen)

    alert = Alert.objects.get()
    assert (alert.key, alert.params) == (
        f"{is_team.pk}:day:2026-11-21",
        {"period": "day", "on": "2026-11-21", "assets": 0, "target": 1, **boost(3, 5, 6)},
    )
    assert alert.message == (
        "SDR 東京: 0 assets for 2026-11-21, target 1. Raise today's activity target 1.5–2×: from 3 to 5–6."
    )


def test_a_deal_stuck_in_its_phase_and_a_deal_left_idle_get_stagnant_alerts_for_their_owner(frozen, fs_rep):
    stuck, idle = stuck_deal(fs_rep), idle_deal(fs_rep)
    OpportunityFactory(owner=fs_rep, phase_entered_at=jst(11, 2, 10), last_activity_at=jst(11, 7, 10))  # 13 days
    OpportunityFactory(owner=fs_rep, lost=True, phase_entered_at=jst(9, 1, 10))  # closed deals never stagnate

    run(frozen)

    alerts = Alert.objects.order_by("opportunity__name")
    assert [summary(alert) for alert in alerts] == [
        (
            K.STAGNANT,
            str(idle.pk),
            "open",
            fs_rep,
            None,
            None,
            idle,
            {"phase": "01", "days_in_phase": 19, "days_idle": 15},
        ),
        (
            K.STAGNANT,
            str(stuck.pk),
            "open",
            fs_rep,
            None,
            None,
            stuck,
            {"phase": "01", "days_in_phase": 39, "days_idle": 2},
        ),
    ]
    assert [alert.message for alert in alerts] == [
        "株式会社井上 / 給与計算: 19 days in phase 01, 15 days without activity.",
        "株式会社青木 / 勤怠管理: 39 days in phase 01, 2 days without activity.",
    ]


def test_an_open_hot_lead_not_contacted_since_it_turned_hot_gets_a_hot_lead_alert_for_its_owner(frozen, is_rep):
    never = hot_lead(is_rep)
    before = hot_lead(is_rep, name="次郎", company="株式会社みどり", last_activity_at=jst(11, 19, 17))
    hot_lead(is_rep, name="三郎", company="株式会社あおば", last_activity_at=jst(11, 20, 9, 30))  # called since
    lead_disqualify(lead=hot_lead(is_rep, name="四郎", company="株式会社そら"), actor=is_rep, reason="競合導入済み")

    run(frozen)

    alerts = Alert.objects.order_by("lead_id")
    assert [summary(alert) for alert in alerts] == [
        (
            K.HOT_LEAD,
            f"{never.pk}:20261120000000",  # hot since 9:00 in Tokyo, 0:00 UTC
            "open",
            is_rep,
            None,
            never,
            None,
            {"lead": "山田 花子", "company": "株式会社ひかり"},
        ),
        (
            K.HOT_LEAD,
            f"{before.pk}:20261120000000",
            "open",
            is_rep,
            None,
            before,
            None,
            {"lead": "山田 次郎", "company": "株式会社みどり"},
        ),
    ]
    assert [alert.message for alert in alerts] == [
        "Hot lead: 山田 花子 (株式会社ひかり) turned hot and has not been contacted yet.",
        "Hot lead: 山田 次郎 (株式会社みどり) turned hot and has not been contacted yet.",
    ]


# --- one open alert per condition ---------------------------------------------------------------------------


def test_evaluating_again_keeps_exactly_one_open_alert_per_condition(frozen, w, assets, fs_rep, is_rep):
    """The worker evaluates every five minutes: a condition that still holds keeps its one alert, not one per run."""
    sql(w, name="山田")
    sql(w, name="佐藤")
    stuck_deal(fs_rep)
    hot_lead(is_rep)

    first = run(frozen)
    second = run(frozen)
    third = run(frozen)

    open_alerts = Alert.objects.filter(status="open").order_by("id")
    assert sorted(open_alerts.values_list("kind", flat=True)) == [
        K.ASSET_SHORTFALL,
        K.ASSET_SHORTFALL,
        K.CAPACITY,
        K.HOT_LEAD,
        K.STAGNANT,
    ]
    assert (sorted(first.opened), first.resolved, second, third) == (
        list(open_alerts.values_list("pk", flat=True)),
        [],
        AlertChanges(opened=[], resolved=[]),
        AlertChanges(opened=[], resolved=[]),
    )
    assert (Alert.objects.count(), set(open_alerts.values_list("opened_at", flat=True))) == (5, {NOW})


# --- resolved when the condition clears, opened anew when it returns -----------------------------------------


def test_a_rejected_sql_resolves_the_capacity_alert_and_the_next_sql_opens_a_new_one(frozen, w):
    """A rejected SQL does not count against the rep; the alert is kept as resolved, and reaching the limit
    again in the same month is a new alert."""
    rejected = sql(w, name="山田")
    sql(w, name="佐藤")
    run(frozen)

    handoff_reject(handoff=rejected, actor=w["fs_a"], reason="時期未定")
    cleared = run(frozen)
    sql(w, name="高橋")
    reopened = run(frozen)

    key = f"{w['fs_a'].pk}:31-100:2026-11"
    first, second = pks(K.CAPACITY)
    assert history(K.CAPACITY) == [(key, "resolved", NOW, NOW + RUN), (key, "open", NOW + 2 * RUN, None)]
    assert (cleared, reopened) == (
        AlertChanges(opened=[], resolved=[first]),
        AlertChanges(opened=[second], resolved=[]),
    )
    assert Alert.objects.get(pk=second).params == {"size_band": "31-100", "sqls": 2, "limit": 2, "month": "2026-11"}


def test_more_assets_resolve_each_shortfall_and_a_lead_moved_away_opens_new_ones(frozen, assets):
    rep, team = assets["rep"], assets["team"]
    run(frozen)  # tomorrow 1 of 2, this week 2 of 5

    LeadFactory(owner=rep, next_approach_on=TOMORROW)
    run(frozen)  # tomorrow 2 of 2, this week 3 of 5
    LeadFactory.create_batch(2, owner=rep, next_approach_on=date(2026, 11, 22))
    run(frozen)  # this week 5 of 5
    lead_set_next_approach(lead=assets["tomorrow"], actor=rep, next_approach_on=date(2026, 11, 24))
    reopened = run(frozen)  # tomorrow 1 of 2, this week 4 of 5

    day, week = f"{team.pk}:day:2026-11-21", f"{team.pk}:week:2026-11-16"
    assert history(K.ASSET_SHORTFALL) == [
        (day, "resolved", NOW, NOW + RUN),
        (week, "resolved", NOW, NOW + 2 * RUN),
        (day, "open", NOW + 3 * RUN, None),
        (week, "open", NOW + 3 * RUN, None),
    ]
    reopened_alerts = Alert.objects.filter(pk__in=reopened.opened).order_by("key")
    assert [(alert.key, alert.params["assets"]) for alert in reopened_alerts] == [(day, 1), (week, 4)]


def test_a_stuck_deal_that_moves_phase_is_no_longer_stagnant(frozen, fs_rep, phase):
    """Entering phase 02 restarts the days in phase; the deal was worked two days ago, so it is not idle."""
    deal = stuck_deal(fs_rep)
    run(frozen)

    opportunity_move(
        opportunity=deal,
        to_phase=phase("02"),
        actor=fs_rep,
        changes={"first_meeting_on": date(2026, 11, 19), "first_meeting_attendees": 2},
    )
    cleared = run(frozen)

    assert history(K.STAGNANT) == [(str(deal.pk), "resolved", NOW, NOW + RUN)]
    assert cleared == AlertChanges(opened=[], resolved=pks(K.STAGNANT))


def test_an_idle_deal_that_gets_an_activity_is_resolved_and_left_idle_again_opens_a_new_alert(frozen, fs_rep):
    deal = idle_deal(fs_rep)
    run(frozen)

    call(opportunity=deal, actor=fs_rep)  # 20 November, 10:05
    cleared = run(frozen)
    frozen.move_to(jst(12, 4, 10))  # 14 days later, nobody has touched the deal
    reopened = run(frozen, today=date(2026, 12, 4))

    first, second = pks(K.STAGNANT)
    assert history(K.STAGNANT) == [
        (str(deal.pk), "resolved", NOW, NOW + RUN),
        (str(deal.pk), "open", jst(12, 4, 10), None),
    ]
    assert (cleared, reopened) == (
        AlertChanges(opened=[], resolved=[first]),
        AlertChanges(opened=[second], resolved=[]),
    )
    assert Alert.objects.get(pk=second).message == (
        "株式会社井上 / 給与計算: 33 days in phase 01, 14 days without activity."
    )


def test_calling_a_hot_lead_resolves_its_alert_and_turning_hot_again_opens_a_new_one(frozen, is_rep):
    lead = hot_lead(is_rep)
    run(frozen)

    call(lead, actor=is_rep)  # 10:05, after it turned hot at 9:00
    cleared = run(frozen)
    turn_hot(lead, at=jst(11, 20, 14))
    frozen.move_to(jst(11, 20, 14, 5))
    reopened = run(frozen)

    first, second = pks(K.HOT_LEAD)
    assert history(K.HOT_LEAD) == [
        (f"{lead.pk}:20261120000000", "resolved", NOW, NOW + RUN),
        (f"{lead.pk}:20261120050000", "open", jst(11, 20, 14, 5), None),  # 14:00 in Tokyo
    ]
    assert (cleared, reopened) == (
        AlertChanges(opened=[], resolved=[first]),
        AlertChanges(opened=[second], resolved=[]),
    )


# --- Slack ------------------------------------------------------------------------------------------------


@pytest.fixture
def slack(httpserver, settings):
    settings.SLACK_WEBHOOK_URL = httpserver.url_for("/slack")
    return httpserver


def posted(httpserver) -> list[tuple]:
    return [(r.path, r.method, r.headers["Content-Type"], json.loads(r.get_data())) for r, _response in httpserver.log]


def test_a_new_alert_is_posted_to_slack_once(frozen, slack, is_rep, django_capture_on_commit_callbacks):
    """Posted after the evaluation commits, as JSON ``{"text": ...}``, and marked sent so no run posts it again."""
    slack.expect_request("/slack", method="POST").respond_with_data("ok")
    lead = hot_lead(is_rep)

    with django_capture_on_commit_callbacks(execute=True):
        first = alerts_evaluate(today=TODAY)
    frozen.shift(RUN)
    with django_capture_on_commit_callbacks(execute=True) as again:
        second = alerts_evaluate(today=TODAY)

    alert = Alert.objects.get()
    assert (first, second, again) == (AlertChanges(opened=[alert.pk], resolved=[]), AlertChanges([], []), [])
    assert posted(slack) == [
        (
            "/slack",
            "POST",
            "application/json",
            {"text": "[Hot lead] Hot lead: 山田 花子 (株式会社ひかり) turned hot and has not been contacted yet."},
        )
    ]
    assert (alert.lead, alert.notified_at) == (lead, NOW)
    assert alert_notify(alert_id=alert.pk) is False  # already sent: not posted again
    assert len(slack.log) == 1


def test_when_slack_answers_500_the_alert_stays_unsent(frozen, slack, is_rep, django_capture_on_commit_callbacks):
    """The task retries on ``SlackError``; until Slack takes the message the alert is not marked sent."""
    slack.expect_request("/slack", method="POST").respond_with_data("no", status=500)
    hot_lead(is_rep)

    with django_capture_on_commit_callbacks() as queued:
        run(frozen)
    alert = Alert.objects.get()

    with pytest.raises(SlackError, match="Slack answered 500"):
        alert_notify(alert_id=alert.pk)

    alert.refresh_from_db()
    assert (len(queued), len(slack.log), alert.status, alert.notified_at) == (1, 1, "open", None)


def test_without_a_webhook_url_nothing_is_sent(frozen, httpserver, is_rep, django_capture_on_commit_callbacks):
    """Alerts still open in the app; nothing is queued for Slack."""
    hot_lead(is_rep)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        run(frozen)
    alert = Alert.objects.get()

    assert (queued, httpserver.log, alert.notified_at, alert_notify(alert_id=alert.pk)) == ([], [], None, False)
