from django.db.models import Exists, OuterRef, Q, QuerySet

from org.models import User
from org.selectors import managed_team_ids

from .models import Company, Lead


def lead_visibility(*, user: User) -> Q:
    """The one definition of which leads a user may see (see org.selectors for the rules)."""
    from handoffs.models import Handoff
    from opportunities.models import Opportunity

    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything or user.role == User.Role.MARKETING:
        return Q()
    if user.role == User.Role.MANAGER:
        teams = managed_team_ids(user=user)
        return Q(team__in=teams) | Q(owner__team__in=teams)
    if user.role == User.Role.IS:
        mine = Q(owner=user)
        return mine | Q(owner__isnull=True, team_id=user.team_id) if user.team_id else mine
    if user.role == User.Role.FS:
        return Q(Exists(Handoff.objects.filter(lead=OuterRef("pk"), to_user=user))) | Q(
            Exists(Opportunity.objects.filter(origin_lead=OuterRef("pk"), owner=user))
        )
    if user.role == User.Role.CS:
        return Q(Exists(Opportunity.objects.filter(origin_lead=OuterRef("pk"), cs_account__owner=user)))
    return Q(pk__in=[])


def lead_list(*, user: User) -> QuerySet[Lead]:
    return Lead.objects.filter(lead_visibility(user=user)).select_related(
        "company", "source", "campaign", "owner", "team"
    )


def lead_get(*, user: User, pk: int) -> Lead:
    """Raises Lead.DoesNotExist for a lead the user may not see, exactly as for one that does not exist."""
    return lead_list(user=user).get(pk=pk)


def company_list(*, user: User) -> QuerySet[Company]:
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    return Company.objects.select_related("industry")
