"""Scoring rules at their boundaries (count, window, URL), what a firing rule does to the lead and its queue,
and the owner's notification: the hot-lead alert in the app and one Slack message, sent by a task after commit."""

import json
from datetime import timedelta
from itertools import count

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dashboards.models import Alert
from dashboards.services import SlackError, alerts_evaluate, hot_lead_notify
from leads.models import Lead, LeadEvent, ScoringRule, TouchPoint
from leads.selectors import lead_queue
from leads.touchpoints import touch_point_receive
from tests.helpers import NOW, TODAY
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

EVENT_IDS = count(1)


@pytest.fixture
def rules():
    """The seeds' examples, in place of the defaults the data migration sets up."""
    ScoringRule.objects.all().delete()
    return {
        "views": ScoringRule.objects.create(
            name="5+ page views in 7 days", kind="page_view", min_count=5, window_days=7, points=10, makes_hot=True
        ),
        "demo": ScoringRule.objects.create(
            name="Demo page viewed", kind="page_view", url_contains="/demo", points=20, makes_hot=True
        ),
        "trial": ScoringRule.objects.create(name="Trial requested", kind="trial", points=30, makes_hot=True),
        "mail": ScoringRule.objects.create(name="Mail link clicked", kind="email_click", points=5),
    }


@pytest.fixture
def lead(is_rep):
    return LeadFactory(
        owner=is_rep, email="hanako@hikari.example.jp", first_name="花子", company__name="株式会社ひかり"
    )


def touch(lead, kind="page_view", *, at=None, url="https://kakehashi.example.com/pricing"):
    """One MA event through the service the webhook calls."""
    n = next(EVENT_IDS)
    receipt = touch_point_receive(
        event_id=f"ev-{n}", kind=kind, occurred_at=at or timezone.now(), email=lead.email, url=url, payload={"n": n}
    )
    lead.refresh_from_db()
    return receipt.touch_point


def hot_events(lead):
    return list(LeadEvent.objects.filter(lead=lead, kind="hot").values_list("note", flat=True))


# --- the count and the window -----------------------------------------------------------------------------


def test_four_page_views_in_seven_days_are_not_enough_and_the_fifth_makes_the_lead_hot(frozen, rules, lead):
    for days_ago in (6, 4, 2, 1):
        touch(lead, at=NOW - timedelta(days=days_ago))
    assert (lead.is_hot, lead.score, hot_events(lead)) == (False, 0, [])

    touch(lead)

    assert (lead.is_hot, lead.hot_since, lead.score, hot_events(lead)) == (True, NOW, 10, ["5+ page views in 7 days"])


@pytest.mark.parametrize(
    ("oldest", "hot"),
    [
        (timedelta(days=7), True),  # exactly seven days ago: inside the window
        (timedelta(days=7, seconds=1), False),  # a second earlier: outside
    ],
)
def test_the_window_is_seven_times_24_hours_back_from_now(frozen, rules, lead, oldest, hot):
    touch(lead, at=NOW - oldest)
    for minutes_ago in (40, 30, 20):
        touch(lead, at=NOW - timedelta(minutes=minutes_ago))

    touch(lead)

    assert lead.is_hot is hot


def test_more_views_in_the_same_window_do_not_fire_the_rule_again(frozen, rules, lead):
    for _ in range(8):
        touch(lead)

    assert (lead.score, TouchPoint.objects.filter(lead=lead).count()) == (10, 8)


def test_an_old_event_arriving_late_fires_nothing(frozen, rules, lead):
    for _ in range(4):
        touch(lead)

    touch(lead, at=NOW - timedelta(days=8))

    assert (lead.is_hot, lead.score) == (False, 0)


@pytest.mark.parametrize(
    ("url", "hot"),
    [
        ("https://kakehashi.example.com/demo/", True),
        ("https://kakehashi.example.com/DEMO?utm_source=mail", True),
        ("https://kakehashi.example.com/pricing", False),
        ("", False),
    ],
)
def test_a_rule_with_a_url_counts_only_pages_whose_url_contains_it(frozen, rules, lead, url, hot):
    touch(lead, url=url)

    assert (lead.is_hot, lead.score) == (hot, 20 if hot else 0)


def test_a_points_only_rule_scores_once_per_window_and_never_makes_hot(frozen, rules, lead):
    touch(lead, "email_click")
    touch(lead, "email_click")
    assert (lead.score, lead.is_hot) == (5, False)

    frozen.shift(timedelta(days=8))
    touch(lead, "email_click")

    assert (lead.score, lead.is_hot) == (10, False)


def test_an_inactive_rule_does_nothing(frozen, rules, lead):
    ScoringRule.objects.filter(pk=rules["trial"].pk).update(is_active=False)

    touch(lead, "trial")

    assert (lead.is_hot, lead.score) == (False, 0)


def test_two_rules_firing_at_once_add_both_and_are_both_named(frozen, rules, lead):
    for _ in range(4):
        touch(lead)

    touch(lead, url="https://kakehashi.example.com/demo")

    assert (lead.score, hot_events(lead)) == (30, ["Demo page viewed, 5+ page views in 7 days"])


def test_a_lead_already_hot_keeps_its_hot_since_and_nobody_is_told_again(
    frozen, rules, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as first:
        touch(lead, "trial")
    frozen.shift(timedelta(hours=1))

    with django_capture_on_commit_callbacks() as second:
        touch(lead, url="https://kakehashi.example.com/demo")

    assert (lead.hot_since, lead.score, len(hot_events(lead))) == (NOW, 50, 1)
    assert (len(first), len(second)) == (1, 0)


def test_a_closed_lead_scores_but_does_not_turn_hot(frozen, rules, is_rep):
    lead = LeadFactory(
        owner=is_rep, email="x@example.jp", status="disqualified", status_reason="競合導入済み", next_approach_on=None
    )

    touch(lead, "trial")

    assert (lead.is_hot, lead.score) == (False, 30)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"min_count": 0, "points": 1}, "min_count"),
        ({"window_days": 0, "points": 1}, "window_days"),
        ({"window_days": 366, "points": 1}, "window_days"),
    ],
)
def test_a_rule_needs_a_count_of_one_or_more_and_a_window_of_1_to_365_days(fields, field):
    with pytest.raises(ValidationError) as caught:
        ScoringRule(name="rule", kind="page_view", **fields).full_clean()

    assert list(caught.value.message_dict) == [field]


def test_a_rule_must_do_something():
    with pytest.raises(ValidationError) as caught:
        ScoringRule(name="rule", kind="page_view").full_clean()

    assert caught.value.messages == ["A rule must add points, make the lead hot, or both."]


# --- the queue and the notification -------------------------------------------------------------------------


def test_a_hot_lead_jumps_to_the_top_of_its_owners_queue(frozen, rules, is_rep, lead):
    older = LeadFactory(owner=is_rep, next_approach_on=TODAY - timedelta(days=3))
    assert [row.pk for row in lead_queue(user=is_rep, today=TODAY)] == [older.pk, lead.pk]

    touch(lead, "trial")

    assert [row.pk for row in lead_queue(user=is_rep, today=TODAY)] == [lead.pk, older.pk]


def test_turning_hot_queues_one_notification_that_runs_after_commit(
    frozen, rules, lead, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        touch(lead, "trial")
        assert Alert.objects.count() == 0  # nothing is told before the lead's change commits

    assert len(queued) == 1
    queued[0]()

    alert = Alert.objects.get()
    assert (alert.kind, alert.lead, alert.user, alert.status, alert.notified_at) == (
        "hot_lead",
        lead,
        lead.owner,
        "open",
        None,  # no Slack configured: the alert is the app's
    )


@pytest.fixture
def slack(httpserver, settings):
    settings.SLACK_WEBHOOK_URL = httpserver.url_for("/slack")
    return httpserver


def test_the_owner_is_told_in_the_app_and_on_slack_at_once(
    frozen, rules, lead, slack, django_capture_on_commit_callbacks
):
    """The real task, run eagerly as without a broker, posts to a local HTTP server standing in for Slack;
    the periodic evaluation afterwards finds the alert open and neither opens nor posts another."""
    slack.expect_request("/slack", method="POST").respond_with_data("ok")

    with django_capture_on_commit_callbacks(execute=True):
        touch(lead, "trial")

    alert = Alert.objects.get()
    assert (alert.kind, alert.key, alert.user, alert.opened_at, alert.notified_at) == (
        "hot_lead",
        f"{lead.pk}:20261120010000",
        lead.owner,
        NOW,
        NOW,
    )
    assert [json.loads(request.get_data()) for request, _response in slack.log] == [
        {"text": "[Hot lead] Hot lead: 山田 花子 (株式会社ひかり) turned hot and has not been contacted yet."}
    ]
    with django_capture_on_commit_callbacks(execute=True):
        changes = alerts_evaluate(today=TODAY)
    assert (changes.opened, changes.resolved, Alert.objects.count(), len(slack.log)) == ([], [], 1, 1)


def test_when_slack_fails_the_alert_stays_open_in_the_app_and_unsent_for_a_retry(frozen, rules, lead, slack):
    slack.expect_request("/slack", method="POST").respond_with_data("no", status=500)
    lead.is_hot, lead.hot_since = True, NOW
    lead.save()

    with pytest.raises(SlackError):
        hot_lead_notify(lead_id=lead.pk)
    slack.clear_all_handlers()
    slack.expect_request("/slack", method="POST").respond_with_data("ok")
    retried = hot_lead_notify(lead_id=lead.pk)

    alert = Alert.objects.get()
    assert (retried, alert.notified_at, len(slack.log)) == (alert, NOW, 2)


def test_a_lead_called_before_the_task_ran_gets_no_alert(frozen, rules, lead):
    Lead.objects.filter(pk=lead.pk).update(is_hot=True, hot_since=NOW, last_activity_at=NOW + timedelta(minutes=1))

    assert (hot_lead_notify(lead_id=lead.pk), Alert.objects.count()) == (None, 0)
