from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.models import Lead, RecycleReason
from leads.services import lead_qualify, lead_recycle, lead_start_working
from opportunities.models import CSAccount, LostReason, Opportunity, Service
from opportunities.selectors import opportunity_is_stagnant
from opportunities.services import (
    opportunity_close_lost,
    opportunity_create,
    opportunity_move,
    won_phase,
)
from org import webhooks
from org.errors import field_error
from org.history import records_actor
from org.models import Team, User

from .models import Handoff
from .selectors import fs_monthly_capacity, fs_sql_count

SQL_REJECTED_REASON = "sql_rejected"
SENT_BACK_REASON = "sent_back"


def fs_capacity_status(*, user: User, size_band: str) -> tuple[int, int | None]:
    """(SQLs this month, monthly limit) for the rep in the segment."""
    return fs_sql_count(user=user, size_band=size_band), fs_monthly_capacity(user=user, size_band=size_band)


@records_actor
@transaction.atomic
def handoff_create_sql(
    *,
    lead: Lead,
    actor: User,
    to_user: User,
    heard: str,
    why_now: str,
    decision_process: str,
    to_confirm: str,
    service: Service | None = None,
    capacity_override_reason: str = "",
) -> Handoff:
    """Hands a qualified lead to FS: the handoff, the deal in its first phase and the lead's qualified
    status are written together or not at all. A repeated request returns the pending handoff."""
    lead = Lead.objects.select_for_update().select_related("company").get(pk=lead.pk)
    existing = Handoff.objects.filter(lead=lead, kind=Handoff.Kind.IS_TO_FS, status=Handoff.Status.PENDING).first()
    if existing is not None:
        return existing
    if to_user.role != User.Role.FS or not to_user.is_active:
        raise field_error("to_user", _("Choose an active field-sales rep."), code="not_fs")
    if not heard.strip():
        raise field_error("heard", _("Write down what was heard."), code="required")
    size_band = lead.company.size_band
    count, limit = fs_capacity_status(user=to_user, size_band=size_band)
    if limit is not None and count >= limit and not capacity_override_reason.strip():
        raise ValidationError(
            {
                "to_user": ValidationError(
                    _("%(rep)s already has %(count)s of %(limit)s SQLs this month; give a reason to override."),
                    code="over_capacity",
                    params={"rep": to_user, "count": count, "limit": limit},
                )
            }
        )
    revived_from = (
        Opportunity.objects.filter(origin_lead=lead, status=Opportunity.Status.LOST).order_by("-closed_at").first()
    )
    lead_qualify(lead=lead, actor=actor)
    opportunity = opportunity_create(
        actor=actor,
        company=lead.company,
        owner=to_user,
        origin=Opportunity.Origin.SQL,
        name=f"{lead.company.name} / {lead.full_name}",
        next_action_on=timezone.localdate() + timedelta(days=3),
        origin_lead=lead,
        service=service,
        revived_from=revived_from,
        bant={
            "bant_budget": lead.bant_budget,
            "bant_authority": lead.bant_authority,
            "bant_needs": lead.bant_needs,
            "bant_timeframe": lead.bant_timeframe,
        },
    )
    handoff = Handoff(
        kind=Handoff.Kind.IS_TO_FS,
        lead=lead,
        opportunity=opportunity,
        from_user=actor,
        to_user=to_user,
        temperature=lead.temperature,
        bant_budget=lead.bant_budget,
        bant_authority=lead.bant_authority,
        bant_needs=lead.bant_needs,
        bant_timeframe=lead.bant_timeframe,
        heard=heard.strip(),
        why_now=why_now.strip(),
        decision_process=decision_process.strip(),
        to_confirm=to_confirm.strip(),
        capacity_override_reason=capacity_override_reason.strip(),
    )
    handoff.full_clean()
    handoff.save()
    webhooks.emit("handoff.created", webhooks.handoff_data(handoff))
    return handoff


def _locked_pending(handoff: Handoff, actor: User) -> Handoff | None:
    handoff = Handoff.objects.select_for_update().get(pk=handoff.pk)
    if handoff.to_user_id != actor.pk and not actor.sees_everything:
        raise ValidationError(_("Only the recipient can answer this handoff."), code="not_recipient")
    if handoff.status != Handoff.Status.PENDING:
        return handoff
    return None


@records_actor
@transaction.atomic
def handoff_accept(*, handoff: Handoff, actor: User) -> Handoff:
    """Idempotent: accepting an accepted handoff changes nothing; a rejected one cannot be accepted."""
    done = _locked_pending(handoff, actor)
    if done is not None:
        if done.status == Handoff.Status.REJECTED:
            raise ValidationError(_("This handoff was already rejected."), code="already_rejected")
        return done
    handoff = Handoff.objects.get(pk=handoff.pk)
    handoff.status = Handoff.Status.ACCEPTED
    handoff.responded_at = timezone.now()
    handoff.full_clean()
    handoff.save(update_fields=["status", "responded_at", "updated_at"])
    webhooks.emit("handoff.accepted", webhooks.handoff_data(handoff))
    return handoff


@records_actor
@transaction.atomic
def handoff_reject(*, handoff: Handoff, actor: User, reason: str) -> Handoff:
    """FS turns an SQL down: the deal closes as lost and the lead goes back to its IS rep's queue."""
    if not reason.strip():
        raise field_error("reason", _("Say why the SQL is rejected."), code="reason_required")
    done = _locked_pending(handoff, actor)
    if done is not None:
        if done.status == Handoff.Status.ACCEPTED:
            raise ValidationError(_("This handoff was already accepted."), code="already_accepted")
        return done
    handoff = Handoff.objects.select_related("opportunity", "lead").get(pk=handoff.pk)
    handoff.status = Handoff.Status.REJECTED
    handoff.reason = reason.strip()
    handoff.responded_at = timezone.now()
    handoff.full_clean()
    handoff.save(update_fields=["status", "reason", "responded_at", "updated_at"])
    if handoff.kind == Handoff.Kind.IS_TO_FS:
        opportunity_close_lost(
            opportunity=handoff.opportunity,
            actor=actor,
            reason=LostReason.objects.get(code=SQL_REJECTED_REASON),
            note=reason,
        )
        lead_start_working(lead=handoff.lead, actor=actor, note=reason)
    return handoff


@records_actor
@transaction.atomic
def handoff_feedback(*, handoff: Handoff, actor: User, feedback: str, reason: str = "") -> Handoff:
    """FS says, after the first meeting, whether it went as the handoff note promised. It can be revised."""
    handoff = Handoff.objects.select_for_update().select_related("opportunity").get(pk=handoff.pk)
    if handoff.to_user_id != actor.pk and not actor.sees_everything:
        raise PermissionDenied
    if handoff.kind != Handoff.Kind.IS_TO_FS or handoff.status != Handoff.Status.ACCEPTED:
        raise ValidationError(_("Feedback is given on an accepted SQL."), code="not_accepted_sql")
    if handoff.opportunity.first_meeting_on is None:
        raise ValidationError(_("Give feedback after the first meeting (set its date on the deal)."), code="no_meeting")
    if feedback not in Handoff.Feedback.values:
        raise field_error("feedback", _("Choose yes, partly or no."), code="invalid")
    if feedback != Handoff.Feedback.YES and not reason.strip():
        raise field_error("feedback_reason", _("Say what differed from the note."), code="reason_required")
    handoff.feedback = feedback
    handoff.feedback_reason = reason.strip()
    handoff.feedback_at = timezone.now()
    handoff.full_clean(exclude=["lead", "opportunity", "from_user", "to_user", "to_team"])
    handoff.save(update_fields=["feedback", "feedback_reason", "feedback_at", "updated_at"])
    return handoff


def recycle_team() -> Team:
    team = Team.objects.filter(kind=Team.Kind.RECYCLE).order_by("pk").first()
    if team is None:
        raise ValidationError(_("No recycle team is set up: add an IS team of kind Recycle."), code="no_recycle_team")
    return team


@records_actor
@transaction.atomic
def opportunity_send_back(
    *,
    opportunity: Opportunity,
    actor: User,
    reason: str,
    recycle_reason: RecycleReason,
    approach_on: date | None = None,
    month: int | None = None,
    week: int | None = None,
) -> Handoff:
    """Sends a stalled deal back to Inside Sales: the deal closes as lost ("sent back") with the reason,
    an FS→IS handoff records why, and the lead goes to the recycle group's pool for the date given. An
    SQL handoff still waiting for FS's answer is closed as rejected with the same reason.

    Its FS owner may send a deal back at any time; a manager only once it is stagnant."""
    opportunity = (
        Opportunity.objects.select_for_update(of=("self",)).select_related("origin_lead").get(pk=opportunity.pk)
    )
    allowed = actor.pk == opportunity.owner_id or actor.sees_everything
    if not allowed and actor.role == User.Role.MANAGER:
        allowed = opportunity_is_stagnant(opportunity=opportunity, today=timezone.localdate())
    if not allowed:
        raise PermissionDenied
    if not reason.strip():
        raise field_error("reason", _("Say why the deal goes back to Inside Sales."), code="reason_required")
    if opportunity.origin_lead is None:
        raise ValidationError(_("A sales-generated deal has no lead to send back."), code="no_lead")
    team = recycle_team()
    # An SQL FS never answered is answered now: left pending, it would hold the lead's one open SQL
    # handoff and the lead could never be handed off again.
    unanswered = Handoff.objects.select_for_update().filter(
        opportunity=opportunity, kind=Handoff.Kind.IS_TO_FS, status=Handoff.Status.PENDING
    )
    for sql_handoff in unanswered:
        sql_handoff.status = Handoff.Status.REJECTED
        sql_handoff.reason = reason.strip()
        sql_handoff.responded_at = timezone.now()
        sql_handoff.full_clean(exclude=["lead", "opportunity", "from_user", "to_user", "to_team"])
        sql_handoff.save(update_fields=["status", "reason", "responded_at", "updated_at"])
    opportunity_close_lost(
        opportunity=opportunity,
        actor=actor,
        reason=LostReason.objects.get(code=SENT_BACK_REASON),
        note=reason.strip(),
    )
    handoff = Handoff(
        kind=Handoff.Kind.FS_TO_IS,
        lead=opportunity.origin_lead,
        opportunity=opportunity,
        from_user=actor,
        to_team=team,
        reason=reason.strip(),
        temperature=opportunity.origin_lead.temperature,
    )
    handoff.full_clean(exclude=["lead", "opportunity", "from_user", "to_team"])
    handoff.save()
    lead_recycle(
        lead=opportunity.origin_lead,
        actor=actor,
        reason=recycle_reason,
        approach_on=approach_on,
        month=month,
        week=week,
        note=reason.strip(),
        team=team,
    )
    return handoff


@records_actor
@transaction.atomic
def opportunity_win(
    *,
    opportunity: Opportunity,
    actor: User,
    amount: int,
    contract_on: date,
    cs_owner: User,
    renewal_on: date | None = None,
) -> CSAccount:
    """Wins the deal, opens the customer's CS account and hands it to the CS rep, all or nothing."""
    if cs_owner.role != User.Role.CS or not cs_owner.is_active:
        raise field_error("cs_owner", _("Choose an active customer-success rep."), code="not_cs")
    opportunity = opportunity_move(
        opportunity=opportunity,
        to_phase=won_phase(),
        actor=actor,
        changes={"amount": amount, "contract_on": contract_on},
        cs_owner=cs_owner,
        renewal_on=renewal_on or _one_year_after(contract_on),
    )
    account = opportunity.cs_account
    handoff = Handoff(
        kind=Handoff.Kind.FS_TO_CS,
        lead=opportunity.origin_lead,
        opportunity=opportunity,
        from_user=actor,
        to_user=cs_owner,
    )
    handoff.full_clean(exclude=["lead", "opportunity", "from_user", "to_user"])
    handoff.save()
    return account


def _one_year_after(day: date) -> date:
    if day.year == date.max.year:
        raise field_error("contract_on", _("The contract date is too far in the future."), code="date_out_of_range")
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def handoffs_purge(*, lead_id: int | None = None, opportunity_id: int | None = None) -> None:
    """Deletes the handoffs of a lead or deal the trash purges, except those of a live deal (the lead's
    delete is then refused and it stays in the trash)."""
    qs = Handoff.objects.filter(lead_id=lead_id) if lead_id else Handoff.objects.filter(opportunity_id=opportunity_id)
    qs.filter(opportunity__deleted_at__isnull=False).delete()
