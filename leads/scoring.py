"""Scoring: after each touch point, the active rules of its kind are counted (in SQL, one query) and the ones
it fires add their points and may make the lead hot. A hot lead tops its owner's queue, and the owner is
told at once, in the app and on Slack, by a task the transaction writes to the outbox."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from org.outbox import outbox_enqueue

from .models import Lead, LeadEvent, ScoringRule, TouchPoint
from .services import _locked


def _window_q(rule: ScoringRule, now: datetime) -> Q:
    q = Q(kind=rule.kind, occurred_at__gte=now - timedelta(days=rule.window_days))
    if rule.url_contains:
        q &= Q(url__icontains=rule.url_contains)
    return q


def _counts_toward(rule: ScoringRule, touch_point: TouchPoint, now: datetime) -> bool:
    return (
        rule.kind == touch_point.kind
        and touch_point.occurred_at >= now - timedelta(days=rule.window_days)
        and rule.url_contains.lower() in touch_point.url.lower()
    )


def scoring_rules_fired(*, touch_point: TouchPoint, now: datetime | None = None) -> list[ScoringRule]:
    """The active rules this touch point fires: it counts toward the rule, and with it the lead has exactly
    the rule's minimum of such touch points within the window (``occurred_at`` at or after now minus the
    window's days). Further touch points in the same window do not fire the rule again; once older ones
    have left the window, reaching the minimum again fires it again."""
    now = now or timezone.now()
    rules = [
        rule
        for rule in ScoringRule.objects.filter(is_active=True, kind=touch_point.kind)
        if _counts_toward(rule, touch_point, now)
    ]
    if not rules:
        return []
    counts = TouchPoint.objects.filter(lead_id=touch_point.lead_id).aggregate(
        **{f"rule_{rule.pk}": Count("pk", filter=_window_q(rule, now)) for rule in rules}
    )
    return [rule for rule in rules if counts[f"rule_{rule.pk}"] == rule.min_count]


@transaction.atomic
def touch_point_score(*, touch_point: TouchPoint, now: datetime | None = None) -> list[ScoringRule]:
    """Applies the rules the touch point fires: their points go to the lead's score, and a rule that makes
    hot makes the lead hot. Returns the rules that fired."""
    now = now or timezone.now()
    fired = scoring_rules_fired(touch_point=touch_point, now=now)
    if not fired:
        return []
    points = sum(rule.points for rule in fired)
    if points:
        # On the locked row rather than update(score=F(...)), so that the change history keeps up with it.
        lead = _locked(touch_point.lead)
        lead.score += points
        lead.save(update_fields=["score", "updated_at"])
    hot = [rule for rule in fired if rule.makes_hot]
    if hot:
        lead_make_hot(lead=touch_point.lead, reason=", ".join(rule.name for rule in hot), at=now)
    return fired


@transaction.atomic
def lead_make_hot(*, lead: Lead, reason: str, at: datetime | None = None) -> bool:
    """Makes an open lead hot: it goes to the top of its owner's queue, the change is recorded, and once
    the transaction commits a task tells the owner (in the app and on Slack). Idempotent: a lead already
    hot keeps its ``hot_since`` and nobody is told twice; a closed lead does not turn hot."""
    lead = _locked(lead)
    if lead.is_hot or not lead.is_open:
        return False
    lead.is_hot, lead.hot_since = True, at or timezone.now()
    lead.save(update_fields=["is_hot", "hot_since", "updated_at"])
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.HOT, note=reason[:500])
    outbox_enqueue("dashboards.tasks.notify_hot_lead", lead.pk)
    return True
