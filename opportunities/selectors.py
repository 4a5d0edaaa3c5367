from datetime import date, datetime, time, timedelta

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from org.models import User
from org.selectors import managed_team_ids

from .models import CSAccount, Opportunity, Phase


def opportunity_visibility(*, user: User) -> Q:
    from handoffs.models import Handoff

    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything:
        return Q()
    if user.role == User.Role.MANAGER:
        teams = managed_team_ids(user=user)
        return Q(owner__team__in=teams) | Q(origin_lead__team__in=teams)
    if user.role == User.Role.FS:
        return Q(owner=user)
    if user.role == User.Role.IS:
        return Q(Exists(Handoff.objects.filter(opportunity=OuterRef("pk"), from_user=user))) | Q(
            origin_lead__owner=user
        )
    if user.role == User.Role.CS:
        return Q(cs_account__owner=user)
    return Q(pk__in=[])


def opportunity_list(*, user: User) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(opportunity_visibility(user=user)).select_related(
        "company", "owner", "phase", "service", "origin_lead"
    )


def opportunity_get(*, user: User, pk: int) -> Opportunity:
    return opportunity_list(user=user).get(pk=pk)


def cs_account_list(*, user: User) -> QuerySet[CSAccount]:
    if not user.is_authenticated or not user.is_active:
        return CSAccount.objects.none()
    qs = CSAccount.objects.select_related("company", "owner", "opportunity")
    if user.sees_everything:
        return qs
    if user.role == User.Role.MANAGER:
        teams = managed_team_ids(user=user)
        return qs.filter(Q(owner__team__in=teams) | Q(opportunity__owner__team__in=teams))
    if user.role == User.Role.CS:
        return qs.filter(owner=user)
    if user.role == User.Role.FS:
        return qs.filter(opportunity__owner=user)
    return qs.none()


def company_opportunity_list(*, company_id: int) -> QuerySet[Opportunity]:
    """The company's deals in summary, shown on a lead so nobody calls a company mid-negotiation blind."""
    return (
        Opportunity.objects.filter(company_id=company_id)
        .select_related("phase", "owner", "lost_reason")
        .order_by("-created_at")
    )


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def stagnant_q(*, today: date) -> Q:
    """Open deals that have spent their phase's threshold of days in it (default 30), or gone that
    phase's threshold without activity (default 14), counted in company-time-zone days.

    Needs the ``last_touch`` annotation (see ``with_stagnation``)."""
    terms = Q(pk__in=[])
    for phase in Phase.objects.filter(outcome=Phase.Outcome.OPEN):
        entered_cutoff = _start_of_day(today - timedelta(days=phase.stagnant_after_days - 1))
        idle_cutoff = _start_of_day(today - timedelta(days=phase.inactive_after_days - 1))
        terms |= Q(phase=phase) & (Q(phase_entered_at__lt=entered_cutoff) | Q(last_touch__lt=idle_cutoff))
    return Q(status=Opportunity.Status.OPEN) & terms


def with_stagnation(qs: QuerySet[Opportunity], *, today: date) -> QuerySet[Opportunity]:
    return qs.annotate(last_touch=Coalesce("last_activity_at", "created_at")).annotate(
        is_stagnant=Case(
            When(stagnant_q(today=today), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def opportunity_is_stagnant(*, opportunity: Opportunity, today: date) -> bool:
    return with_stagnation(Opportunity.objects.filter(pk=opportunity.pk), today=today).filter(is_stagnant=True).exists()


def phase_history_list(*, opportunity: Opportunity) -> QuerySet:
    return opportunity.phase_history.select_related("from_phase", "to_phase", "actor")
