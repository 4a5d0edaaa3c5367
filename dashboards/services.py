"""Writes of the metrics engine: marking days dirty, the incremental rollup, the full rebuild, alerts."""

import json
import operator
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from org.outbox import outbox_enqueue_once

from .models import Alert, AssetTarget, DirtyDay, KpiPlan, MetricValue, RollupState, validate_rate
from .planning import back_calculate
from .rollup import contiguous_ranges, recompute, recompute_snapshots

# Days recomputed per run at most, newest first, so one run stays short after a large backfill.
ROLLUP_BATCH_DAYS = 62
SLACK_TIMEOUT_SECONDS = 10
# An alert Slack never got is offered again by later evaluations for this long, then left to the app.
SLACK_RESEND_WITHIN = timedelta(days=1)


def metrics_mark_dirty(*, days: Iterable[date]) -> None:
    """Marks company-time-zone days whose facts changed. Runs in the caller's transaction, so the mark
    commits with the change (or not at all); each mark bumps the day's version."""
    days = sorted(set(days))
    if not days:
        return
    table = DirtyDay._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values = ", ".join(["(%s, 1, %s)"] * len(days))
    params = [value for day in days for value in (connection.ops.adapt_datefield_value(day), now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, version, marked_at) VALUES {values} "
            f"ON CONFLICT (day) DO UPDATE SET version = {table}.version + 1, marked_at = excluded.marked_at",
            params,
        )


def metrics_mark_records_dirty(
    *, lead_ids: Iterable[int] = (), opportunity_ids: Iterable[int] = (), company_ids: Iterable[int] = ()
) -> None:
    """Marks every day a fact of these leads, deals or companies sits on (their own days, and those of
    their activities, touch points, recycles, SQLs and phase moves): what putting them in the trash or
    taking them out changes. The days are read in SQL, distinct, in the company's time zone."""
    from activities.models import Activity
    from handoffs.models import Handoff
    from leads.models import Lead, LeadRecycle, TouchPoint
    from opportunities.models import Opportunity, PhaseHistory

    lead_ids, opportunity_ids, company_ids = set(lead_ids), set(opportunity_ids), set(company_ids)
    tz = timezone.get_current_timezone()
    origin_leads = Opportunity.all_objects.filter(pk__in=opportunity_ids, origin_lead__isnull=False)
    recycled_leads = lead_ids | set(origin_leads.values_list("origin_lead_id", flat=True))
    sources = [
        (Lead.all_objects.filter(pk__in=lead_ids), "created_at"),
        (Lead.all_objects.filter(pk__in=lead_ids, next_approach_on__isnull=False), "next_approach_on"),
        (TouchPoint.objects.filter(lead_id__in=lead_ids), "occurred_at"),
        (LeadRecycle.objects.filter(lead_id__in=recycled_leads), "created_at"),
        (
            Activity.objects.filter(
                Q(lead_id__in=lead_ids) | Q(opportunity_id__in=opportunity_ids) | Q(company_id__in=company_ids)
            ),
            "occurred_at",
        ),
        (Handoff.objects.filter(Q(lead_id__in=lead_ids) | Q(opportunity_id__in=opportunity_ids)), "created_at"),
        (Opportunity.all_objects.filter(pk__in=opportunity_ids), "phase_entered_at"),
        (Opportunity.all_objects.filter(pk__in=opportunity_ids, closed_at__isnull=False), "closed_at"),
        (PhaseHistory.objects.filter(opportunity_id__in=opportunity_ids), "at"),
    ]
    days: set[date] = set()
    for queryset, field in sources:
        if field == "next_approach_on":
            values = queryset.values_list(field, flat=True).distinct()
        else:
            values = queryset.annotate(day=TruncDate(field, tzinfo=tz)).values_list("day", flat=True).distinct()
        days.update(values.order_by())
    metrics_mark_dirty(days=days)


@dataclass(frozen=True)
class RollupResult:
    days: list[date]
    today: date
    more: bool = False  # dirty days are left for another run


def _locked_state() -> tuple[RollupState, datetime]:
    """Takes the rollup lock (the single state row) and a stamp later than any row written before."""
    RollupState.objects.get_or_create(id=1)
    state = RollupState.objects.select_for_update().get(id=1)
    stamp = timezone.now()
    if state.last_rollup_at and stamp <= state.last_rollup_at:
        stamp = state.last_rollup_at + timedelta(microseconds=1)
    if state.last_rebuild_at and stamp <= state.last_rebuild_at:
        stamp = state.last_rebuild_at + timedelta(microseconds=1)
    return state, stamp


def metrics_rollup_dirty(*, today: date | None = None, batch: int = ROLLUP_BATCH_DAYS) -> RollupResult:
    """Recomputes the dirty days (newest first, at most ``batch``), their weeks and months, and today's
    snapshots, in one transaction under the rollup lock: a run that dies leaves the days dirty and the
    rows as they were. A day changed while the run computed stays dirty for the next run."""
    today = today or timezone.localdate()
    with transaction.atomic():
        state, stamp = _locked_state()
        # Newest first: today's figures are what people are looking at; a backlog of past days (a call
        # also marks its lead's creation day) waits for the next runs instead of holding today back.
        claimed = list(DirtyDay.objects.order_by("-day").values_list("day", "version")[:batch])
        days = sorted(day for day, _version in claimed)
        if days:
            recompute(day_ranges=contiguous_ranges(days), stamp=stamp, today=today)
        recompute_snapshots(today=today, stamp=stamp)
        _clear_marks(claimed)
        state.last_rollup_at, state.last_rollup_days = stamp, len(days)
        state.save(update_fields=["last_rollup_at", "last_rollup_days"])
        more = len(claimed) == batch and DirtyDay.objects.exists()
    return RollupResult(days=days, today=today, more=more)


def _clear_marks(marks: list[tuple[date, int]]) -> None:
    """Deletes the marks as read; a day marked again meanwhile has a higher version and stays dirty."""
    if marks:
        DirtyDay.objects.filter(reduce(operator.or_, (Q(day=day, version=version) for day, version in marks))).delete()


def metrics_rebuild(*, first_day: date, last_day: date, today: date | None = None) -> RollupResult:
    """Recomputes every metric for the days from ``first_day`` to ``last_day`` (and their whole weeks and
    months) from the facts, whatever is marked dirty; clears the marks it covered. Same rows as the
    incremental rollup would write."""
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    today = today or timezone.localdate()
    with transaction.atomic():
        state, stamp = _locked_state()
        marks = list(DirtyDay.objects.filter(day__gte=first_day, day__lte=last_day).values_list("day", "version"))
        recompute(day_ranges=[(first_day, last_day)], stamp=stamp, today=today)
        recompute_snapshots(today=today, stamp=stamp)
        _clear_marks(marks)
        state.last_rebuild_at, state.last_rebuild_range = stamp, f"{first_day}..{last_day}"
        state.save(update_fields=["last_rebuild_at", "last_rebuild_range"])
    return RollupResult(days=[first_day, last_day], today=today)


@dataclass(frozen=True)
class AlertChanges:
    opened: list[int]
    resolved: list[int]


def alerts_evaluate(*, today: date | None = None) -> AlertChanges:
    """Opens an alert for each condition that holds and has none open, resolves open alerts whose
    condition no longer holds, and queues the new ones for Slack. The partial unique index (one open
    alert per kind and key) keeps two evaluations at once from opening the same alert twice."""
    from .alerts import CONDITIONS

    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        current = {(alert.kind, alert.key): alert for condition in CONDITIONS for alert in condition(today=today)}
        open_alerts = {
            (kind, key): pk
            for kind, key, pk in Alert.objects.filter(status=Alert.Status.OPEN).values_list("kind", "key", "pk")
        }
        new = [alert for condition_key, alert in current.items() if condition_key not in open_alerts]
        for alert in new:
            alert.opened_at = now
        Alert.objects.bulk_create(new, ignore_conflicts=True)
        opened = (
            list(
                Alert.objects.filter(status=Alert.Status.OPEN)
                .filter(reduce(operator.or_, (Q(kind=alert.kind, key=alert.key) for alert in new)))
                .values_list("pk", flat=True)
            )
            if new
            else []
        )
        cleared = [pk for condition_key, pk in open_alerts.items() if condition_key not in current]
        Alert.objects.filter(pk__in=cleared, status=Alert.Status.OPEN).update(
            status=Alert.Status.RESOLVED, resolved_at=now
        )
        if settings.SLACK_WEBHOOK_URL:
            # New alerts, and recent ones left unsent; one waiting message per alert is enough.
            unsent = Alert.objects.filter(
                status=Alert.Status.OPEN, notified_at__isnull=True, opened_at__gte=now - SLACK_RESEND_WITHIN
            ).exclude(pk__in=cleared)
            for pk in sorted({*opened, *unsent.values_list("pk", flat=True)}):
                outbox_enqueue_once("dashboards.tasks.notify_alert", pk)
    return AlertChanges(opened=opened, resolved=cleared)


class SlackError(Exception):
    """Slack did not take the message; the task retries with backoff."""


def alert_notify(*, alert_id: int) -> bool:
    """Posts an open alert to the Slack incoming webhook once; True when sent now. The alert's row is
    held while posting (with a short timeout), so two tasks for the same alert post once: the other
    skips it, and an alert already sent, resolved or gone is skipped too."""
    url = settings.SLACK_WEBHOOK_URL
    if not url:
        return False
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "team", "opportunity")
            .filter(pk=alert_id, status=Alert.Status.OPEN, notified_at__isnull=True)
            .first()
        )
        if alert is None:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            text = f"[{alert.get_kind_display()}] {alert.message}"
        _post_to_slack(url, text)
        alert.notified_at = timezone.now()
        alert.save(update_fields=["notified_at"])
    return True


def hot_lead_notify(*, lead_id: int) -> Alert | None:
    """Tells the owner of a lead that just turned hot: opens its hot-lead alert now (the very alert the
    periodic evaluation would open, so that one finds it open and opens no other) and posts it to Slack.
    Safe to run twice: the open alert is reused and Slack gets it once. Nothing when the lead has been
    worked, closed or cooled meanwhile; raises ``SlackError`` (for a retry) when Slack does not take it."""
    from .alerts import hot_lead_alerts

    conditions = hot_lead_alerts(today=timezone.localdate(), lead_ids=[lead_id])
    if not conditions:
        return None
    condition = conditions[0]
    with transaction.atomic():
        condition.opened_at = timezone.now()
        Alert.objects.bulk_create([condition], ignore_conflicts=True)
        alert = Alert.objects.get(kind=condition.kind, key=condition.key, status=Alert.Status.OPEN)
    alert_notify(alert_id=alert.pk)
    return alert


def _post_to_slack(url: str, text: str) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=SLACK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        raise SlackError(f"Slack answered {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise SlackError(f"Slack unreachable: {error}") from error
    if not 200 <= status < 300:
        raise SlackError(f"Slack answered {status}")


def metrics_reset() -> None:
    """Forgets every figure, mark and alert: for a wipe of the facts (``seed_demo --reset``)."""
    with transaction.atomic():
        MetricValue.objects.all().delete()
        DirtyDay.objects.all().delete()
        Alert.objects.all().delete()
        RollupState.objects.all().delete()


def asset_target_set(*, team, daily: int, weekly: int) -> AssetTarget:
    """A team's asset target: a week's target must cover at least one day's."""
    target = AssetTarget.objects.filter(team=team).first() or AssetTarget(team=team)
    target.daily, target.weekly = daily, weekly
    target.full_clean()
    target.save()
    return target


def kpi_plan_save(
    *,
    actor,
    month: date,
    revenue_budget: int,
    deal_size: int,
    win_rate: Decimal,
    meeting_rate: Decimal,
    opportunity_rate: Decimal,
    lead_rate: Decimal,
) -> KpiPlan:
    """Saves the month's plan (one per month: saving again replaces it) with the stage counts its inputs
    give. Rates are fractions of 1, above 0; a rate out of range is an error on that field."""
    rates = {
        "win_rate": win_rate,
        "meeting_rate": meeting_rate,
        "opportunity_rate": opportunity_rate,
        "lead_rate": lead_rate,
    }
    errors = {}
    for name, rate in rates.items():
        try:
            validate_rate(rate)
        except ValidationError as error:
            errors[name] = error
    if deal_size <= 0:
        errors["deal_size"] = ValidationError(_("The average deal size must be above ¥0."), code="min_value")
    if errors:
        raise ValidationError(errors)
    funnel = back_calculate(revenue_budget=revenue_budget, deal_size=deal_size, **rates)
    with transaction.atomic():
        plan = KpiPlan.objects.select_for_update().filter(month=month.replace(day=1)).first()
        plan = plan or KpiPlan(month=month.replace(day=1))
        plan.revenue_budget, plan.deal_size, plan.created_by = revenue_budget, deal_size, actor
        for name, rate in rates.items():
            setattr(plan, name, rate)
        for stage in ("wins", "meetings", "opportunities", "leads", "visitors"):
            setattr(plan, stage, getattr(funnel, stage))
        plan.full_clean()
        plan.save()
    return plan
