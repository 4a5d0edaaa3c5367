from datetime import date, timedelta

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from org.models import User
from org.selectors import managed_team_ids

from .models import FSCapacityRule, Handoff


def handoff_visibility(*, user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything:
        return Q()
    if user.role == User.Role.MANAGER:
        teams = managed_team_ids(user=user)
        return Q(from_user__team__in=teams) | Q(to_user__team__in=teams) | Q(to_team__in=teams)
    if user.role in (User.Role.FS, User.Role.CS):
        return Q(to_user=user) | Q(from_user=user)
    if user.role == User.Role.IS:
        mine = Q(from_user=user) | Q(to_user=user)
        return mine | Q(to_team_id=user.team_id, to_user__isnull=True) if user.team_id else mine
    return Q(pk__in=[])


# A handoff of a lead or deal in the trash is gone with it (lists, inboxes, the API, FS capacity).
LIVE_HANDOFF = Q(lead__deleted_at__isnull=True, opportunity__deleted_at__isnull=True)


def handoff_list(*, user: User) -> QuerySet[Handoff]:
    return Handoff.objects.filter(LIVE_HANDOFF, handoff_visibility(user=user)).select_related(
        "lead", "lead__company", "opportunity", "from_user", "to_user"
    )


def handoff_get(*, user: User, pk: int) -> Handoff:
    return handoff_list(user=user).get(pk=pk)


def fs_monthly_capacity(*, user: User, size_band: str) -> int | None:
    """The rep's own limit for the segment if set, else the segment default; None when unlimited."""
    rules = FSCapacityRule.objects.filter(Q(user=user) | Q(user__isnull=True), size_band=size_band)
    rule = rules.order_by(F("user_id").asc(nulls_last=True)).first()
    return rule.monthly_limit if rule else None


def fs_sql_count(*, user: User, size_band: str, month: date | None = None) -> int:
    """SQLs handed to the rep in the segment during the month (company time zone), rejected ones excluded."""
    start, end = _month_bounds(month or timezone.localdate())
    return (
        Handoff.objects.filter(
            LIVE_HANDOFF,
            kind=Handoff.Kind.IS_TO_FS,
            to_user=user,
            lead__company__size_band=size_band,
            created_at__date__gte=start,
            created_at__date__lt=end,
        )
        .exclude(status=Handoff.Status.REJECTED)
        .count()
    )


def _month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    return start, (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def fs_rep_suggestions(*, size_band: str, today: date) -> list[User]:
    """Active FS reps for an SQL in ``size_band``: reps of that segment first, then by room left.

    Each rep carries ``sql_count`` (this month, the band, rejected excluded), ``capacity`` (None =
    no limit), ``remaining`` and ``at_capacity``. Two queries, whatever the number of reps.
    """
    start, end = _month_bounds(today)
    own_limit = FSCapacityRule.objects.filter(user=OuterRef("pk"), size_band=size_band).values("monthly_limit")[:1]
    default_limit = FSCapacityRule.objects.filter(user__isnull=True, size_band=size_band).values("monthly_limit")[:1]
    reps = list(
        User.objects.filter(role=User.Role.FS, is_active=True)
        .select_related("team")
        .annotate(
            sql_count=Count(
                "handoffs_received",
                filter=Q(
                    handoffs_received__kind=Handoff.Kind.IS_TO_FS,
                    handoffs_received__lead__company__size_band=size_band,
                    handoffs_received__created_at__date__gte=start,
                    handoffs_received__created_at__date__lt=end,
                    handoffs_received__lead__deleted_at__isnull=True,
                    handoffs_received__opportunity__deleted_at__isnull=True,
                )
                & ~Q(handoffs_received__status=Handoff.Status.REJECTED),
            ),
            capacity=Coalesce(Subquery(own_limit), Subquery(default_limit)),
        )
    )
    for rep in reps:
        rep.remaining = None if rep.capacity is None else rep.capacity - rep.sql_count
        rep.at_capacity = rep.remaining is not None and rep.remaining <= 0
        rep.in_segment = rep.team is not None and rep.team.segment == size_band
    return sorted(
        reps,
        key=lambda r: (not r.in_segment, r.at_capacity, -(r.remaining if r.remaining is not None else 10**6), r.pk),
    )


def lead_handoff_list(*, lead) -> QuerySet[Handoff]:
    return lead.handoffs.select_related("from_user", "to_user", "opportunity", "opportunity__phase")


def opportunity_handoff_list(*, opportunity) -> QuerySet[Handoff]:
    return opportunity.handoffs.select_related("from_user", "to_user", "to_team")


def handoff_inbox(*, user: User) -> QuerySet[Handoff]:
    """Handoffs addressed to the user; a manager's inbox holds those addressed to their teams."""
    qs = handoff_list(user=user).select_related("opportunity__phase", "lead__source", "to_team")
    if user.role == User.Role.MANAGER or user.sees_everything:
        return qs
    return qs.filter(Q(to_user=user) | Q(to_user__isnull=True, to_team_id=user.team_id))


def sent_sql_list(*, user: User) -> QuerySet[Handoff]:
    return (
        handoff_list(user=user).filter(kind=Handoff.Kind.IS_TO_FS, from_user=user).select_related("opportunity__phase")
    )
