"""Redis stops while reps work: every page and the API keep answering at once, and what their changes set off (the
hot-lead notification, the webhook to Field Sales' system, the metrics) is kept in PostgreSQL and happens,
once, when Redis is back and beat's relays run.

The test process publishes to a private redis-server it stops and starts; a real worker runs the tasks."""

import json
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from werkzeug import Response

from activities.models import Activity
from dashboards.models import Alert, DirtyDay, MetricValue, RollupState
from dashboards.tasks import rollup_dirty_days
from handoffs.models import Handoff
from leads.models import Lead, LeadSource
from leads.services import company_create, lead_create, lead_update_bant
from leads.touchpoints import touch_point_signature
from org.models import OutboxMessage, Team, WebhookDelivery, WebhookEndpoint
from org.services import api_token_create, user_create
from org.tasks import dispatch_due_webhooks

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]

HX = {"HTTP_HX_REQUEST": "true"}
NOTIFY = "org.tasks.run_outbox_message"
# Far above what any of these requests takes; a request waiting on the dead broker would pass it.
HANGING = 5.0


def timed(request) -> tuple:
    started = time.monotonic()
    response = request()
    return response.status_code, time.monotonic() - started < HANGING


def signed_touch_point(event: dict, secret: str):
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    signature = "sha256=" + touch_point_signature(secret=secret, timestamp=stamp, body=body)
    return Client().post(
        "/api/v1/touchpoints/",
        body,
        content_type="application/json",
        headers={"X-Kakehashi-Timestamp": stamp, "X-Kakehashi-Signature": signature},
    )


def test_with_redis_down_pages_answer_and_the_side_effects_happen_once_when_it_is_back(
    workers, private_redis, httpserver, client, settings
):
    slack, hooks = [], []
    httpserver.expect_request("/slack", method="POST").respond_with_handler(
        lambda request: slack.append(request.get_json()["text"]) or _ok()
    )
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        lambda request: hooks.append(request.headers["X-Kakehashi-Delivery"]) or _ok()
    )
    workers.env["SLACK_WEBHOOK_URL"] = httpserver.url_for("/slack")
    WebhookEndpoint.objects.create(
        name="FS system", url=httpserver.url_for("/hook"), secret="s" * 24, events=["handoff.created"]
    )
    sdr = Team.objects.create(name="SDR", kind=Team.Kind.SDR)
    rep = user_create(username="rep", password=None, role="is", team=sdr)
    fs = user_create(
        username="fs",
        password=None,
        role="fs",
        team=Team.objects.create(name="FS", kind="fs_segment", segment="31-100"),
    )
    source = LeadSource.objects.get(code="web_inquiry")
    called, hot = (
        lead_create(
            actor=None,
            company=company_create(name=f"株式会社{name}", employee_count=50, prefecture="13"),
            last_name=name,
            email=f"{name}@example.jp",
            source=source,
            origin="inbound",
            owner=rep,
            next_approach_on=timezone.localdate(),
        )
        for name in ("yamada", "suzuki")
    )
    lead_update_bant(lead=called, actor=rep, budget="300万円", authority="部長", needs="勤怠集計", timeframe="4月")
    DirtyDay.objects.all().delete()
    client.force_login(rep)
    # The cache (API throttle counts) on the same Redis, as in production.
    settings.CACHES = {"default": {**settings.REDIS_CACHE, "LOCATION": private_redis.url}}
    _token, key = api_token_create(user=fs, name="FS system")
    api = {"HTTP_AUTHORIZATION": f"Token {key}"}
    next_week = (timezone.localdate() + timedelta(days=7)).isoformat()

    private_redis.stop()
    answers = [
        timed(lambda: client.get(reverse("leads:queue"))),
        timed(
            lambda: client.post(
                reverse("leads:log", args=[called.pk]),
                {
                    "kind": "call",
                    "direction": "outbound",
                    "connected": "1",
                    "note": "部長と会話",
                    "next_approach_on": next_week,
                },
                **HX,
            )
        ),
        timed(
            lambda: client.post(
                reverse("leads:handoff", args=[called.pk]),
                {
                    "to_user": fs.pk,
                    "heard": "予算300万",
                    "why_now": "法改正",
                    "decision_process": "部長決裁",
                    "to_confirm": "連携先",
                },
                **HX,
            )
        ),
        timed(
            lambda: signed_touch_point(
                {
                    "event_id": "ma-redis-down-1",
                    "kind": "trial",
                    "occurred_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
                    "email": hot.email,
                },
                settings.TOUCHPOINT_WEBHOOK_SECRET,
            )
        ),
        timed(lambda: client.get(reverse("leads:detail", args=[called.pk]))),
        timed(lambda: Client().get("/api/v1/handoffs/", **api)),
    ]

    assert answers == [(200, True), (200, True), (200, True), (201, True), (200, True), (200, True)]
    assert (Activity.objects.count(), Handoff.objects.count(), Lead.objects.get(pk=hot.pk).is_hot) == (1, 1, True)
    [message] = OutboxMessage.objects.all()
    assert (message.task, message.args, message.sent_at, message.done_at) == (
        "dashboards.tasks.notify_hot_lead",
        [hot.pk],
        None,
        None,
    )
    assert message.last_error.startswith("publish: OperationalError")
    assert WebhookDelivery.objects.get().status == "pending"
    assert DirtyDay.objects.exists()

    private_redis.start()
    worker = workers.start()
    assert (call_command_output("outbox_relay"), dispatch_due_webhooks()) == ("Published 1 outbox messages.", 1)
    rollup_dirty_days.delay()  # beat's next rollup
    workers.wait("the rollup and the alerts after it", lambda: worker.succeeded("dashboards.tasks.evaluate_alerts"))
    workers.wait("the outbox to be done", lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists())
    assert Alert.objects.get(kind="hot_lead").notified_at is not None
    assert (WebhookDelivery.objects.get().status, DirtyDay.objects.exists()) == ("succeeded", False)
    # Beat's relays and rollup run again: nothing is left to send or to roll up.
    assert (call_command_output("outbox_relay"), dispatch_due_webhooks()) == ("Published 0 outbox messages.", 0)
    rollup_dirty_days.delay()
    workers.wait("the second rollup", lambda: worker.succeeded("dashboards.tasks.evaluate_alerts") == 2)
    workers.wait("the outbox to be done", lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists())

    today = timezone.localdate()
    assert Alert.objects.filter(kind="hot_lead").count() == 1
    assert len(slack) == Alert.objects.filter(notified_at__isnull=False).count() == len(set(slack))
    assert hooks == [str(WebhookDelivery.objects.get().event_id)]
    assert OutboxMessage.objects.filter(task="dashboards.tasks.notify_hot_lead").count() == 1
    counted = MetricValue.objects.filter(grain="day", period_start=today, dimension="", metric__in=["calls", "sqls"])
    assert dict(counted.values_list("metric", "numerator")) == {"calls": 1, "sqls": 1}
    assert RollupState.objects.get().last_rollup_days == 0


def call_command_output(name: str) -> str:
    out = StringIO()
    call_command(name, stdout=out)
    return out.getvalue().strip()


def _ok() -> Response:
    return Response(status=200)
