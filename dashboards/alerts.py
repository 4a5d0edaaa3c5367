"""The conditions alerts stand for (PRODUCT.md, "Alerts"): each function returns the conditions that hold
now, as unsaved ``Alert`` rows keyed so the same condition always has the same key. ``alerts_evaluate``
(dashboards.services) opens the new ones and resolves the ones that no longer hold."""

from datetime import date

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from leads.models import Lead
from opportunities.models import Opportunity
from opportunities.selectors import stagnant_q

from .models import Alert
from .selectors import asset_outlook, fs_allocation


def capacity_alerts(*, today: date) -> list[Alert]:
    """FS reps at or over their monthly SQL limit in a company-size segment."""
    month = today.replace(day=1)
    return [
        Alert(
            kind=Alert.Kind.CAPACITY,
            key=f"{allocation.fs_rep_id}:{allocation.size_band}:{month:%Y-%m}",
            user_id=allocation.fs_rep_id,
            params={
                "size_band": allocation.size_band,
                "sqls": allocation.sqls,
                "limit": allocation.limit,
                "month": f"{month:%Y-%m}",
            },
        )
        for allocation in fs_allocation(month=month)
        if allocation.at_capacity
    ]


def asset_alerts(*, today: date) -> list[Alert]:
    """Teams whose assets for tomorrow, or for this ISO week, are below their target."""
    alerts = []
    for outlook in asset_outlook(today=today):
        boost = {"activity_baseline": outlook.baseline, "activity_low": outlook.low, "activity_high": outlook.high}
        for period, short, have, want, when in (
            ("day", outlook.short_tomorrow, outlook.tomorrow_assets, outlook.daily_target, outlook.tomorrow),
            ("week", outlook.short_this_week, outlook.week_assets, outlook.weekly_target, outlook.week),
        ):
            if short:
                alerts.append(
                    Alert(
                        kind=Alert.Kind.ASSET_SHORTFALL,
                        key=f"{outlook.team.pk}:{period}:{when}",
                        team_id=outlook.team.pk,
                        user_id=outlook.team.manager_id,
                        params={"period": period, "on": str(when), "assets": have, "target": want, **boost},
                    )
                )
    return alerts


def stagnant_alerts(*, today: date) -> list[Alert]:
    deals = (
        Opportunity.objects.annotate(last_touch=Coalesce("last_activity_at", "created_at"))
        .filter(stagnant_q(today=today))
        .values("pk", "owner_id", "phase__code", "phase_entered_at", "last_touch")
    )
    return [
        Alert(
            kind=Alert.Kind.STAGNANT,
            key=str(deal["pk"]),
            opportunity_id=deal["pk"],
            user_id=deal["owner_id"],
            params={
                "phase": deal["phase__code"],
                "days_in_phase": (today - timezone.localtime(deal["phase_entered_at"]).date()).days,
                "days_idle": (today - timezone.localtime(deal["last_touch"]).date()).days,
            },
        )
        for deal in deals
    ]


def hot_lead_alerts(*, today: date, lead_ids: list[int] | None = None) -> list[Alert]:
    """Open hot leads nobody has worked since they turned hot (of ``lead_ids`` only, when given)."""
    leads = Lead.objects.filter(pk__in=lead_ids) if lead_ids is not None else Lead.objects.all()
    leads = (
        leads.filter(status__in=Lead.OPEN_STATUSES, is_hot=True, hot_since__isnull=False)
        .filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=F("hot_since")))
        .values("pk", "owner_id", "hot_since", "last_name", "first_name", "company__name")
    )
    return [
        Alert(
            kind=Alert.Kind.HOT_LEAD,
            key=f"{lead['pk']}:{lead['hot_since']:%Y%m%d%H%M%S}",
            lead_id=lead["pk"],
            user_id=lead["owner_id"],
            params={"lead": f"{lead['last_name']} {lead['first_name']}".strip(), "company": lead["company__name"]},
        )
        for lead in leads
    ]


CONDITIONS = (capacity_alerts, asset_alerts, stagnant_alerts, hot_lead_alerts)
