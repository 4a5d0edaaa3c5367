"""Outbound webhooks: the outbox row commits or rolls back with the change it reports, requests are signed,
failures are retried with backoff by the sweeper, and a delivery is given up after MAX_ATTEMPTS.

A real HTTP server (pytest-httpserver) receives the requests; nothing of ours is mocked."""

import hashlib
import hmac
import json
import socket
from datetime import timedelta

import factory
import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from factory.django import DjangoModelFactory
from werkzeug import Request, Response

from handoffs.models import Handoff
from handoffs.services import handoff_accept, handoff_create_sql
from opportunities.services import opportunity_move
from org.models import WebhookDelivery, WebhookEndpoint
from org.tasks import deliver_webhook, dispatch_due_webhooks
from org.webhooks import MAX_ATTEMPTS, emit, retry_after, webhook_delivery_retry
from tests.helpers import NOW, TODAY
from tests.opportunities.factories import OpportunityFactory, phase
from tests.worlds import pipeline_world, qualified_lead, sql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

SECRET = "whsec-kakehashi-test-0123456789"
DATA = {"id": 7}
NOW_ISO = "2026-11-20T01:00:00+00:00"  # NOW (10:00 in Tokyo) as sent: UTC


class WebhookEndpointFactory(DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    name = factory.Sequence(lambda n: f"FS system {n}")
    url = "http://127.0.0.1:9/hook"
    secret = SECRET
    events = factory.LazyFunction(lambda: ["handoff.created"])


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture
def hook_url(httpserver):
    return httpserver.url_for("/hook")


def emit_one(capture, event="handoff.created") -> WebhookDelivery:
    with capture(execute=True):
        emit(event, DATA)
    return WebhookDelivery.objects.get()


# --- signing --------------------------------------------------------------------------------------------


def test_the_receiver_can_verify_the_signature_over_timestamp_and_body(
    httpserver, hook_url, django_capture_on_commit_callbacks
):
    received = {}

    def receive(request: Request) -> Response:
        body = request.get_data()
        timestamp = request.headers["X-Kakehashi-Timestamp"]
        expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        received.update(
            valid=hmac.compare_digest(request.headers["X-Kakehashi-Signature"], f"sha256={expected}"),
            timestamp=timestamp,
            event=request.headers["X-Kakehashi-Event"],
            delivery=request.headers["X-Kakehashi-Delivery"],
            content_type=request.headers["Content-Type"],
            body=json.loads(body),
        )
        return Response(status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receive)
    WebhookEndpointFactory(url=hook_url)

    delivery = emit_one(django_capture_on_commit_callbacks)

    assert received == {
        "valid": True,
        "timestamp": str(int(NOW.timestamp())),
        "event": "handoff.created",
        "delivery": str(delivery.event_id),
        "content_type": "application/json",
        "body": {"id": str(delivery.event_id), "event": "handoff.created", "created_at": NOW_ISO, "data": DATA},
    }


# --- the outbox: one row per subscribed endpoint, written with the change --------------------------------


def test_an_sql_handoff_is_delivered_once_to_each_active_subscribed_endpoint(
    httpserver, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/a").respond_with_data("ok")
    httpserver.expect_request("/b").respond_with_data("ok")
    w = pipeline_world()
    first = WebhookEndpointFactory(url=httpserver.url_for("/a"))
    second = WebhookEndpointFactory(url=httpserver.url_for("/b"), events=["opportunity.won", "handoff.created"])
    WebhookEndpointFactory(url=httpserver.url_for("/inactive"), is_active=False)
    WebhookEndpointFactory(url=httpserver.url_for("/unsubscribed"), events=["opportunity.won", "handoff.accepted"])

    with django_capture_on_commit_callbacks(execute=True):
        handoff = sql(w)

    deliveries = WebhookDelivery.objects.order_by("endpoint__name")
    assert [(d.endpoint, d.event, d.status) for d in deliveries] == [
        (first, "handoff.created", "succeeded"),
        (second, "handoff.created", "succeeded"),
    ]
    assert sorted(request.path for request, _ in httpserver.log) == ["/a", "/b"]
    assert deliveries[0].payload == {
        "id": str(deliveries[0].event_id),
        "event": "handoff.created",
        "created_at": NOW_ISO,
        "data": {
            "id": handoff.pk,
            "kind": "is_to_fs",
            "status": "pending",
            "lead_id": handoff.lead_id,
            "opportunity_id": handoff.opportunity_id,
            "from_user": {"id": w["rep"].pk, "username": "rep"},
            "to_user": {"id": w["fs_a"].pk, "username": "fsa"},
            "temperature": "A",
            "created_at": NOW_ISO,
            "updated_at": NOW_ISO,
        },
    }
    assert deliveries[0].event_id != deliveries[1].event_id


def test_a_handoff_that_fails_validation_records_and_sends_nothing(httpserver, django_capture_on_commit_callbacks):
    w = pipeline_world()
    WebhookEndpointFactory(url=httpserver.url_for("/hook"))
    lead = qualified_lead(w)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        handoff_create_sql(
            lead=lead, actor=w["rep"], to_user=w["fs_a"], heard=" ", why_now="", decision_process="", to_confirm=""
        )

    assert (WebhookDelivery.objects.count(), httpserver.log) == (0, [])


def test_a_rolled_back_transaction_takes_its_deliveries_with_it(httpserver, django_capture_on_commit_callbacks):
    w = pipeline_world()
    WebhookEndpointFactory(url=httpserver.url_for("/hook"))

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        sql(w)
        raise RuntimeError("the request failed after the handoff")

    assert (Handoff.objects.count(), WebhookDelivery.objects.count(), callbacks, httpserver.log) == (0, 0, [], [])


def test_accepting_a_handoff_emits_once_and_accepting_it_again_emits_nothing(
    httpserver, hook_url, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    w = pipeline_world()
    handoff = sql(w)
    WebhookEndpointFactory(url=hook_url, events=["handoff.accepted"])

    with django_capture_on_commit_callbacks(execute=True):
        handoff_accept(handoff=handoff, actor=w["fs_a"])
        handoff_accept(handoff=handoff, actor=w["fs_a"])

    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.status, delivery.payload["data"]["status"], len(httpserver.log)) == (
        "handoff.accepted",
        "succeeded",
        "accepted",
        1,
    )


@pytest.mark.parametrize(
    ("from_code", "to_code", "changes", "status", "events"),
    [
        pytest.param(
            "01",
            "02",
            {"first_meeting_on": TODAY, "first_meeting_attendees": 2},
            "open",
            ["opportunity.phase_changed"],
            id="open",
        ),
        pytest.param(
            "04",
            "05W",
            {"amount": 1_200_000, "contract_on": TODAY},
            "won",
            ["opportunity.phase_changed", "opportunity.won"],
            id="won",
        ),
    ],
)
def test_a_phase_change_emits_phase_changed_and_a_win_also_won(
    fs_rep, django_capture_on_commit_callbacks, from_code, to_code, changes, status, events
):
    WebhookEndpointFactory(url=closed_port_url(), events=["opportunity.phase_changed", "opportunity.won"])
    deal = OpportunityFactory(phase_code=from_code, owner=fs_rep, amount=1_200_000)

    with django_capture_on_commit_callbacks():
        opportunity_move(opportunity=deal, to_phase=phase(to_code), actor=fs_rep, changes=changes)

    deliveries = WebhookDelivery.objects.order_by("pk")
    assert [d.event for d in deliveries] == events
    assert [d.payload["data"] for d in deliveries] == [
        {
            "id": deal.pk,
            "name": deal.name,
            "company": {"id": deal.company_id, "name": deal.company.name},
            "phase": to_code,
            "previous_phase": from_code,
            "status": status,
            "amount": 1_200_000,
            "owner": {"id": fs_rep.pk, "username": "fs_rep"},
            "updated_at": NOW_ISO,
        }
    ] * len(events)


# --- sending, retrying, giving up -----------------------------------------------------------------------


def test_a_2xx_answer_marks_the_delivery_succeeded(httpserver, hook_url, django_capture_on_commit_callbacks):
    httpserver.expect_request("/hook").respond_with_data("", status=202)
    WebhookEndpointFactory(url=hook_url)

    delivery = emit_one(django_capture_on_commit_callbacks)

    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "succeeded",
        1,
        202,
        "",
    )
    assert delivery.delivered_at == NOW


def test_a_failed_attempt_waits_for_its_backoff_then_the_sweeper_sends_it_again(
    httpserver, hook_url, frozen, django_capture_on_commit_callbacks
):
    httpserver.expect_oneshot_request("/hook").respond_with_data("maintenance", status=500)
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok")
    WebhookEndpointFactory(url=hook_url)

    delivery = emit_one(django_capture_on_commit_callbacks)

    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "pending",
        1,
        500,
        "HTTP 500: maintenance",
    )
    assert delivery.next_attempt_at == NOW + timedelta(seconds=30)

    frozen.shift(timedelta(seconds=29))
    dispatch_due_webhooks.delay()
    deliver_webhook.delay(delivery.pk)
    assert len(httpserver.log) == 1

    frozen.shift(timedelta(seconds=1))
    dispatch_due_webhooks.delay()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "succeeded",
        2,
        200,
        "",
    )
    assert (delivery.delivered_at, len(httpserver.log)) == (NOW + timedelta(seconds=30), 2)


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (7, 1920), (8, 3600), (12, 3600)])
def test_retries_back_off_exponentially_up_to_an_hour(attempts, seconds):
    assert retry_after(attempts) == timedelta(seconds=seconds)


def test_after_max_attempts_the_delivery_has_failed_and_is_not_retried(
    httpserver, hook_url, frozen, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("down", status=503)
    WebhookEndpointFactory(url=hook_url)
    delivery = emit_one(django_capture_on_commit_callbacks)
    attempted_at = NOW

    for wait in (30, 60, 120, 240, 480, 960, 1920):
        assert delivery.next_attempt_at == attempted_at + timedelta(seconds=wait)
        attempted_at += timedelta(seconds=wait)
        frozen.move_to(attempted_at)
        dispatch_due_webhooks.delay()
        delivery.refresh_from_db()

    assert (delivery.status, delivery.attempts, delivery.last_status_code, len(httpserver.log)) == (
        "failed",
        MAX_ATTEMPTS,
        503,
        MAX_ATTEMPTS,
    )
    frozen.shift(timedelta(days=1))
    dispatch_due_webhooks.delay()
    deliver_webhook.delay(delivery.pk)
    assert len(httpserver.log) == MAX_ATTEMPTS


def test_a_refused_connection_is_recorded_as_an_error_not_raised(django_capture_on_commit_callbacks):
    WebhookEndpointFactory(url=closed_port_url())

    delivery = emit_one(django_capture_on_commit_callbacks)

    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert "Connection refused" in delivery.last_error
    assert delivery.next_attempt_at == NOW + timedelta(seconds=30)


def test_delivering_a_succeeded_delivery_again_sends_nothing(
    httpserver, hook_url, frozen, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    WebhookEndpointFactory(url=hook_url)
    delivery = emit_one(django_capture_on_commit_callbacks)
    frozen.shift(timedelta(days=1))

    deliver_webhook.delay(delivery.pk)
    deliver_webhook.delay(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(httpserver.log)) == ("succeeded", 1, 1)


def test_a_deactivated_endpoint_s_deliveries_wait_until_it_is_active_again(
    httpserver, hook_url, frozen, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint = WebhookEndpointFactory(url=hook_url)
    with django_capture_on_commit_callbacks():
        emit("handoff.created", DATA)
    endpoint.is_active = False
    endpoint.save()

    dispatch_due_webhooks.delay()
    assert (WebhookDelivery.objects.get().status, httpserver.log) == ("pending", [])

    endpoint.is_active = True
    endpoint.save()
    dispatch_due_webhooks.delay()
    assert (WebhookDelivery.objects.get().status, len(httpserver.log)) == ("succeeded", 1)


def test_retry_gives_a_failed_delivery_one_more_attempt(httpserver, hook_url, django_capture_on_commit_callbacks):
    httpserver.expect_request("/hook").respond_with_data("ok")
    delivery = WebhookDelivery.objects.create(
        endpoint=WebhookEndpointFactory(url=hook_url),
        event="handoff.created",
        payload={"event": "handoff.created", "data": DATA},
        status=WebhookDelivery.Status.FAILED,
        attempts=MAX_ATTEMPTS,
        next_attempt_at=NOW - timedelta(hours=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        retried = webhook_delivery_retry(deliveries=WebhookDelivery.objects.all())

    delivery.refresh_from_db()
    assert (retried, delivery.status, delivery.attempts, len(httpserver.log)) == (
        1,
        "succeeded",
        MAX_ATTEMPTS + 1,
        1,
    )


# --- admin ----------------------------------------------------------------------------------------------


def test_the_endpoint_list_masks_the_secret(admin_client):
    WebhookEndpointFactory(secret="whsec-do-not-show-abcd")

    response = admin_client.get(reverse("admin:org_webhookendpoint_changelist"))

    assert (response.status_code, "whsec-do-not-show" in response.text, "••••••••abcd" in response.text) == (
        200,
        False,
        True,
    )


def test_an_admin_subscribes_an_endpoint_to_events_from_the_catalogue(admin_client):
    response = admin_client.post(
        reverse("admin:org_webhookendpoint_add"),
        {
            "name": "Salesforce (FS)",
            "url": "https://fs.example.com/kakehashi",
            "secret": SECRET,
            "events": ["handoff.created", "opportunity.won"],
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert WebhookEndpoint.objects.values_list("events", flat=True).get() == ["handoff.created", "opportunity.won"]


def test_the_retry_action_sends_the_selected_deliveries_now(
    admin_client, httpserver, hook_url, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint = WebhookEndpointFactory(url=hook_url)
    with django_capture_on_commit_callbacks():
        emit("handoff.created", DATA)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=3, next_attempt_at=NOW + timedelta(minutes=4))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:org_webhookdelivery_changelist"),
            {"action": "retry_now", "_selected_action": [delivery.pk]},
        )

    delivery.refresh_from_db()
    assert (response.status_code, delivery.status, delivery.endpoint, len(httpserver.log)) == (
        302,
        "succeeded",
        endpoint,
        1,
    )
