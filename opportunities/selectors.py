from django.db.models import Exists, OuterRef, Q, QuerySet

from org.models import User
from org.selectors import managed_team_ids

from .models import CSAccount, Opportunity


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
