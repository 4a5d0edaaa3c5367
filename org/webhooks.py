"""Outbound webhooks, built as a transactional outbox.

``emit`` writes one WebhookDelivery per subscribed endpoint in the transaction of the change it reports and
enqueues its sending once that transaction commits; ``dispatch_due_webhooks`` re-enqueues whatever a lost
message, a broker outage or a dead worker left behind. Delivery is therefore at least once: receivers
deduplicate on the X-Kakehashi-Delivery header.
"""

import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import User, WebhookDelivery, WebhookEndpoint, WebhookEvent

if TYPE_CHECKING:
    from handoffs.models import Handoff
    from opportunities.models import Opportunity, Phase

EVENTS = WebhookEvent.values
MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 5
FIRST_RETRY_AFTER = timedelta(seconds=30)
LONGEST_RETRY_AFTER = timedelta(hours=1)
# Deliveries left over are due the next minute; a bounded batch keeps one sweep from flooding the queue.
SWEEP_BATCH = 500
ERROR_EXCERPT_CHARS = 1000
RETRYABLE = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED)


# --- payloads: small and stable, since other companies' systems parse them -------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _user(user: User | None) -> dict | None:
    return {"id": user.pk, "username": user.username} if user is not None else None


def handoff_data(handoff: "Handoff") -> dict:
    return {
        "id": handoff.pk,
        "kind": handoff.kind,
        "status": handoff.status,
        "lead_id": handoff.lead_id,
        "opportunity_id": handoff.opportunity_id,
        "from_user": _user(handoff.from_user),
        "to_user": _user(handoff.to_user),
        "temperature": handoff.temperature,
        "created_at": _iso(handoff.created_at),
        "updated_at": _iso(handoff.updated_at),
    }


def opportunity_data(opportunity: "Opportunity", *, previous_phase: "Phase | None") -> dict:
    return {
        "id": opportunity.pk,
        "name": opportunity.name,
        "company": {"id": opportunity.company_id, "name": opportunity.company.name},
        "phase": opportunity.phase.code,
        "previous_phase": previous_phase.code if previous_phase is not None else None,
        "status": opportunity.status,
        "amount": opportunity.amount,
        "owner": _user(opportunity.owner),
        "updated_at": _iso(opportunity.updated_at),
    }


# --- the outbox -----------------------------------------------------------------------------------------


def emit(event: str, data: dict) -> None:
    """Records ``event`` for every active endpoint subscribed to it and sends it after commit.

    Call it inside the transaction of the change it reports: the deliveries then exist exactly when the
    change does, and nothing is sent for a change that rolled back."""
    if event not in EVENTS:
        raise ValueError(f"{event!r} is not in the webhook event catalogue")
    created_at = timezone.now()
    for endpoint in WebhookEndpoint.objects.filter(is_active=True):
        # JSON lookups on a list differ between SQLite and PostgreSQL, and endpoints are a handful of rows.
        if event not in endpoint.events:
            continue
        event_id = uuid.uuid4()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            event_id=event_id,
            payload={"id": str(event_id), "event": event, "created_at": _iso(created_at), "data": data},
        )
        _deliver_after_commit(delivery.pk)


def _deliver_after_commit(delivery_id: int) -> None:
    from .tasks import deliver_webhook  # the tasks module imports this one

    # Robust: once the change has committed, a broker outage must not turn the user's request into an
    # error (the publish gives up within seconds, see the broker settings); the sweeper sends it instead.
    transaction.on_commit(lambda: deliver_webhook.delay(delivery_id), robust=True)


def due_delivery_ids(*, now: datetime | None = None) -> list[int]:
    """Pending deliveries whose next attempt is due, oldest first; an inactive endpoint's wait."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now or timezone.now(),
            endpoint__is_active=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def webhook_delivery_retry(*, deliveries: QuerySet[WebhookDelivery]) -> int:
    """Makes the pending and failed ``deliveries`` due now and enqueues them. A failed delivery has used up
    its attempts, so it gets exactly one more; succeeded deliveries are left alone."""
    with transaction.atomic():
        ids = list(deliveries.filter(status__in=RETRYABLE).values_list("pk", flat=True))
        WebhookDelivery.objects.filter(pk__in=ids, status__in=RETRYABLE).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
        )
        for delivery_id in ids:
            _deliver_after_commit(delivery_id)
    return len(ids)


# --- sending --------------------------------------------------------------------------------------------


def lease() -> timedelta:
    """Longer than one request can last, so no second worker sends a delivery that is still in flight; if the
    worker dies mid-request, the sweeper sends the delivery again once the lease has run out."""
    return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body``; the timestamp is signed so a captured request cannot be
    replayed later with a fresh one."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def retry_after(attempts: int) -> timedelta:
    return min(FIRST_RETRY_AFTER * 2 ** (attempts - 1), LONGEST_RETRY_AFTER)


def deliver(delivery_id: int) -> None:
    """Sends a pending, due delivery once and records the outcome: 2xx succeeds, anything else is retried
    with exponential backoff until MAX_ATTEMPTS, then the delivery has failed.

    Safe to call twice or concurrently, and never raises for HTTP or network errors. No transaction is open
    during the request: the row is leased in one short transaction and the outcome recorded in another."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return
    status_code, error = _post(delivery)
    _record(delivery, status_code=status_code, error=error)


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(
                pk=delivery_id,
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
            )
            .first()
        )
        if delivery is None:
            return None
        # Counted before sending, so a request that kills its worker still uses up an attempt.
        delivery.attempts += 1
        delivery.next_attempt_at = now + lease()
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a redirect of a POST as a GET without the body, and count the answer as delivered.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener() -> urllib.request.OpenerDirector:
    """HTTP(S) only: the URL is typed in by an admin, and urllib would otherwise also open file: URLs."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _RefuseRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """(HTTP status or None when no answer came, error text) of one request."""
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Kakehashi-Webhooks/1",
        "X-Kakehashi-Event": delivery.event,
        "X-Kakehashi-Delivery": str(delivery.event_id),
        "X-Kakehashi-Timestamp": str(timestamp),
        "X-Kakehashi-Signature": f"sha256={sign(delivery.endpoint.secret, timestamp, body)}",
    }
    try:
        request = urllib.request.Request(delivery.endpoint.url, data=body, headers=headers, method="POST")
        with _opener().open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, f"HTTP {exc.code}: {_excerpt(exc)}"
    except urllib.error.URLError as exc:
        return None, str(exc.reason)
    except (http.client.HTTPException, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def _excerpt(response) -> str:
    try:
        return response.read(ERROR_EXCERPT_CHARS).decode("utf-8", errors="replace")
    except (http.client.HTTPException, OSError):
        return ""


def _record(claimed: WebhookDelivery, *, status_code: int | None, error: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=claimed.pk, status=WebhookDelivery.Status.PENDING, attempts=claimed.attempts)
            .first()
        )
        if delivery is None:
            # The lease ran out and another worker claimed the delivery again; its outcome is the one kept.
            return
        delivery.last_status_code = status_code
        delivery.last_error = error
        if status_code is not None and 200 <= status_code < 300:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = now
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.next_attempt_at = now + retry_after(delivery.attempts)
        delivery.save(update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"])
