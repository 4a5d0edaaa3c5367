from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.models import Lead
from leads.services import lead_set_next_approach, lead_start_working, lead_touch
from opportunities.models import Opportunity
from org.errors import field_error
from org.history import records_actor
from org.models import User

from .models import Activity, CallOutcome


@records_actor
@transaction.atomic
def activity_log(
    *,
    actor: User,
    kind: str,
    direction: str,
    occurred_at: datetime | None = None,
    lead: Lead | None = None,
    opportunity: Opportunity | None = None,
    connected: bool | None = None,
    effective_conversation: bool = False,
    outcome: CallOutcome | None = None,
    duration_seconds: int | None = None,
    note: str = "",
    next_approach_on: date | None = None,
) -> Activity:
    """Logs what happened and, for a lead, when to approach next, together or not at all.

    Working a new, nurturing or recycled lead makes it a lead being worked."""
    occurred_at = occurred_at or timezone.now()
    if occurred_at > timezone.now() + timezone.timedelta(minutes=5):
        raise field_error("occurred_at", _("An activity cannot happen in the future."), code="future")
    if lead is None and opportunity is None:
        raise ValidationError(_("Log the activity on a lead or a deal."), code="no_subject")
    if kind != Activity.Kind.CALL:
        connected = None if kind == Activity.Kind.MAIL else True
    company = lead.company if lead is not None else opportunity.company
    activity = Activity(
        kind=kind,
        direction=direction,
        connected=connected,
        effective_conversation=effective_conversation,
        outcome=outcome,
        duration_seconds=duration_seconds,
        note=note,
        occurred_at=occurred_at,
        actor=actor,
        team_id=actor.team_id,
        company=company,
        lead=lead,
        opportunity=opportunity,
    )
    activity.full_clean(exclude=["actor", "team", "company", "lead", "opportunity", "outcome"])
    activity.save()
    if lead is not None:
        lead_touch(lead=lead, at=occurred_at)
        # The stored status decides, not the caller's copy: a stale one would put a handed-off lead back to work.
        waiting = (Lead.Status.NEW, Lead.Status.NURTURING, Lead.Status.RECYCLED)
        if Lead.objects.filter(pk=lead.pk, status__in=waiting).exists():
            lead_start_working(lead=lead, actor=actor)
        if next_approach_on is not None:
            lead_set_next_approach(lead=lead, actor=actor, next_approach_on=next_approach_on)
    if opportunity is not None:
        # Saved on the locked row, not update()d, so that the deal's change history keeps up with it.
        deal = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if deal.last_activity_at is None or deal.last_activity_at < occurred_at:
            deal.last_activity_at = occurred_at
            deal.save(update_fields=["last_activity_at", "updated_at"])
    return activity


def activities_purge(*, lead_id: int | None = None, opportunity_id: int | None = None, company_id=None) -> None:
    """Deletes the activities of a record the trash purges, except those also on a live deal: the
    record's delete is then refused and it stays in the trash."""
    if lead_id:
        qs = Activity.objects.filter(lead_id=lead_id)
    elif opportunity_id:
        qs = Activity.objects.filter(opportunity_id=opportunity_id)
    else:
        qs = Activity.objects.filter(company_id=company_id)
    qs.filter(Q(opportunity__isnull=True) | Q(opportunity__deleted_at__isnull=False)).delete()
