from django.db.models import Q, QuerySet

from leads.models import Lead
from leads.selectors import lead_visibility
from opportunities.models import Opportunity
from opportunities.selectors import opportunity_visibility
from org.models import User

from .models import Activity


def activity_list(*, user: User) -> QuerySet[Activity]:
    """Activities the user did, or on a lead or deal the user may see."""
    if not user.is_authenticated or not user.is_active:
        return Activity.objects.none()
    # Activities on a lead, deal or company in the trash are gone with it.
    qs = Activity.objects.filter(
        company__deleted_at__isnull=True, lead__deleted_at__isnull=True, opportunity__deleted_at__isnull=True
    ).select_related("actor", "outcome", "company")
    if user.sees_everything:
        return qs
    return qs.filter(
        Q(actor=user)
        | Q(lead__in=Lead.objects.filter(lead_visibility(user=user)).values("pk"))
        | Q(opportunity__in=Opportunity.objects.filter(opportunity_visibility(user=user)).values("pk"))
    )


def lead_activity_list(*, lead) -> QuerySet[Activity]:
    return lead.activities.select_related("actor", "outcome").order_by("-occurred_at", "-id")


def opportunity_activity_list(*, opportunity) -> QuerySet[Activity]:
    return opportunity.activities.select_related("actor", "outcome").order_by("-occurred_at", "-id")
