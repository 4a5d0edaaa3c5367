"""Periodic work of the metrics engine (schedules in ``CELERY_BEAT_SCHEDULE``). Every task is safe to run
twice or at once with itself: the rollup runs under its lock in one transaction, alerts are keyed."""

from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from . import services

RETRY = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def rollup_dirty_days() -> int:
    """Recomputes what changed since the last run (newest days first), then re-evaluates the alerts."""
    result = services.metrics_rollup_dirty()
    if result.more:
        rollup_dirty_days.apply_async(countdown=1)
    evaluate_alerts.delay()
    return len(result.days)


@shared_task(**RETRY)
def close_day() -> int:
    """After midnight: yesterday is recomputed whatever was marked, so writes that bypass the marks
    (bulk loads) are caught within a day, and yesterday's snapshot is final."""
    yesterday = timezone.localdate() - timedelta(days=1)
    services.metrics_mark_dirty(days=[yesterday])
    return rollup_dirty_days()


@shared_task(**RETRY)
def evaluate_alerts() -> int:
    return len(services.alerts_evaluate().opened)


@shared_task(**{**RETRY, "autoretry_for": (services.SlackError, DatabaseError), "max_retries": 6})
def notify_alert(alert_id: int) -> bool:
    return services.alert_notify(alert_id=alert_id)


@shared_task(**{**RETRY, "autoretry_for": (services.SlackError, DatabaseError), "max_retries": 6})
def notify_hot_lead(lead_id: int) -> int | None:
    """Queued when a scoring rule makes a lead hot: the owner sees the alert in the app and on Slack."""
    alert = services.hot_lead_notify(lead_id=lead_id)
    return alert.pk if alert is not None else None
