"""Which days a changed fact makes dirty. Connected in ``DashboardsConfig.ready``.

Every save or delete of a fact the catalogue counts (activity, lead, recycle, touch point, handoff,
deal, phase move) marks the days it sits on, before and after the
change (an activity moved from Monday to Tuesday dirties both), plus the days whose figures read it
indirectly: an SQL revives the recycles of the six months before it; a deal's amount and service
break down the SQL that created it. The mark is written in the same transaction as the change.

Writes that bypass ``save()`` (``QuerySet.update``, bulk loads) must mark their days themselves; the
only ``update()`` calls on facts today set ``last_activity_at``, which only the stagnant-deal snapshot
reads, and that snapshot is recomputed on every run.
"""

from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from activities.models import Activity
from handoffs.models import Handoff
from leads.models import Lead, LeadRecycle, TouchPoint
from opportunities.models import Opportunity, PhaseHistory

from .metrics import REVIVAL_DAYS
from .services import metrics_mark_dirty

# Per fact model: the fields that place it on days, and fields whose change no metric reads.
DAY_FIELDS: dict[type, tuple[str, ...]] = {
    Activity: ("occurred_at",),
    Lead: ("created_at", "next_approach_on"),
    LeadRecycle: ("created_at",),
    TouchPoint: ("occurred_at",),
    Handoff: ("created_at",),
    Opportunity: ("phase_entered_at", "closed_at"),
    PhaseHistory: ("at",),
}
UNREAD_FIELDS: dict[type, frozenset[str]] = {
    Lead: frozenset({"last_activity_at", "score", "is_hot", "hot_since", "updated_at", "status_reason"}),
    Activity: frozenset({"note", "duration_seconds", "updated_at"}),
    Opportunity: frozenset({"last_activity_at", "next_action", "next_action_on", "updated_at"}),
}


def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


def _days(instance) -> set[date]:
    return {day for name in DAY_FIELDS[type(instance)] if (day := _day(getattr(instance, name))) is not None}


def _reads_nothing(sender, update_fields) -> bool:
    return update_fields is not None and set(update_fields) <= UNREAD_FIELDS.get(sender, frozenset())


def _remember_old_days(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._metric_days_before = set()
    if raw or instance.pk is None or _reads_nothing(sender, update_fields):
        return
    fields = DAY_FIELDS[sender]
    if update_fields is not None and not set(update_fields) & set(fields):
        return  # the days cannot have moved: the new ones are the old ones
    old = sender._base_manager.filter(pk=instance.pk).values(*fields).first()
    if old:
        instance._metric_days_before = {day for value in old.values() if (day := _day(value)) is not None}


def _mark_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or _reads_nothing(sender, update_fields):
        return
    days = _days(instance) | getattr(instance, "_metric_days_before", set()) | _dependent_days(instance)
    metrics_mark_dirty(days=days)


def _mark_deleted(sender, instance, **kwargs):
    metrics_mark_dirty(days=_days(instance) | _dependent_days(instance))


def _dependent_days(instance) -> set[date]:
    if isinstance(instance, Handoff) and instance.kind == Handoff.Kind.IS_TO_FS and instance.lead_id:
        since = instance.created_at - timedelta(days=REVIVAL_DAYS)
        recycled = LeadRecycle.objects.filter(
            lead_id=instance.lead_id, created_at__gte=since, created_at__lt=instance.created_at
        ).values_list("created_at", flat=True)
        return {_day(at) for at in recycled}
    if isinstance(instance, Opportunity) and instance.pk:
        handed = Handoff.objects.filter(opportunity_id=instance.pk, kind=Handoff.Kind.IS_TO_FS)
        return {_day(at) for at in handed.values_list("created_at", flat=True)}
    return set()


HANDLERS = (
    (pre_save, _remember_old_days, "pre"),
    (post_save, _mark_saved, "post"),
    (post_delete, _mark_deleted, "delete"),
)


def connect() -> None:
    for model in DAY_FIELDS:
        for signal, handler, suffix in HANDLERS:
            signal.connect(handler, sender=model, dispatch_uid=f"dashboards.metrics.{model._meta.label}.{suffix}")


def disconnect() -> None:
    for model in DAY_FIELDS:
        for signal, _handler, suffix in HANDLERS:
            signal.disconnect(sender=model, dispatch_uid=f"dashboards.metrics.{model._meta.label}.{suffix}")


@contextmanager
def marks_paused():
    """For bulk loads and wipes that rebuild the metrics afterwards (the demo company): no per-row marks,
    and deletes stay set-based. Not for request code: it applies to the whole process."""
    disconnect()
    try:
        yield
    finally:
        connect()
