from datetime import date

from django.db.models import F, Q, QuerySet
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


def handoff_list(*, user: User) -> QuerySet[Handoff]:
    return Handoff.objects.filter(handoff_visibility(user=user)).select_related(
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
    month = (month or timezone.localdate()).replace(day=1)
    return (
        Handoff.objects.filter(
            kind=Handoff.Kind.IS_TO_FS,
            to_user=user,
            lead__company__size_band=size_band,
            created_at__date__gte=month,
            created_at__date__lt=(month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1),
        )
        .exclude(status=Handoff.Status.REJECTED)
        .count()
    )
