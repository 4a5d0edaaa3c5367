from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.models import Company, Lead
from org import webhooks
from org.errors import field_error
from org.history import history_snapshot_rows, records_actor
from org.models import User

from .gates import GATE_RULES, GateFailed, gate_failures
from .models import CSAccount, LostReason, Opportunity, Phase, PhaseHistory, Service

# Fields a deal's owner may edit directly; owner, phase and status move only through transitions.
EDITABLE_FIELDS = (
    "name",
    "amount",
    "service",
    "quantity",
    "first_meeting_on",
    "first_meeting_attendees",
    "decision_maker",
    "expected_close_on",
    "contract_on",
    "next_action_on",
    "next_action",
    "bant_budget",
    "bant_authority",
    "bant_needs",
    "bant_timeframe",
)


def check_can_change(opportunity: Opportunity, actor: User) -> None:
    """A deal is changed by its FS owner, a manager or an admin; others may only read it."""
    if actor.pk != opportunity.owner_id and not actor.sees_everything and actor.role != User.Role.MANAGER:
        raise PermissionDenied


def first_phase() -> Phase:
    phase = Phase.objects.filter(is_active=True, outcome=Phase.Outcome.OPEN).order_by("sort_order").first()
    if phase is None:
        raise ValidationError(_("No open phase is configured."), code="no_phase")
    return phase


@records_actor
@transaction.atomic
def opportunity_create(
    *,
    actor: User,
    company: Company,
    owner: User,
    origin: str,
    name: str,
    next_action_on: date,
    origin_lead: Lead | None = None,
    service: Service | None = None,
    amount: int | None = None,
    revived_from: Opportunity | None = None,
    bant: dict[str, str] | None = None,
) -> Opportunity:
    """A deal starts in the first open phase, owned by an FS rep, with a next action date."""
    if owner.role != User.Role.FS:
        raise field_error("owner", _("Deals are owned by field-sales reps."), code="owner_not_fs")
    phase = first_phase()
    opportunity = Opportunity(
        name=name,
        company=company,
        origin=origin,
        origin_lead=origin_lead,
        owner=owner,
        phase=phase,
        phase_entered_at=timezone.now(),
        service=service,
        amount=amount,
        next_action_on=next_action_on,
        revived_from=revived_from,
        created_by=actor,
        **(bant or {}),
    )
    opportunity.full_clean()
    opportunity.save()
    PhaseHistory.objects.create(opportunity=opportunity, from_phase=None, to_phase=phase, actor=actor)
    return opportunity


@records_actor
@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, actor: User, data: dict) -> Opportunity:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {
                field: ValidationError(_("This field cannot be changed here."), code="not_editable")
                for field in sorted(unknown)
            }
        )
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    check_can_change(opportunity, actor)
    if not opportunity.is_open:
        raise ValidationError(_("A closed deal cannot be edited."), code="closed")
    for field, value in data.items():
        setattr(opportunity, field, value)
    opportunity.full_clean()
    opportunity.save(update_fields=[*data.keys(), "updated_at"])
    return opportunity


def _check_order(current: Phase, target: Phase) -> None:
    if target.sort_order < current.sort_order and not target.may_move_back_into:
        raise field_error(
            "phase", _("A deal cannot move back to %(phase)s."), code="no_move_back", params={"phase": target}
        )
    skipped = Phase.objects.filter(
        is_active=True,
        outcome=Phase.Outcome.OPEN,
        sort_order__gt=current.sort_order,
        sort_order__lt=target.sort_order,
    ).exists()
    if skipped and not target.may_skip_into:
        raise field_error(
            "phase", _("A deal cannot skip phases to enter %(phase)s."), code="no_skip", params={"phase": target}
        )


@records_actor
@transaction.atomic
def opportunity_move(
    *,
    opportunity: Opportunity,
    to_phase: Phase,
    actor: User,
    changes: dict | None = None,
    lost_reason: LostReason | None = None,
    note: str = "",
    cs_owner: User | None = None,
    renewal_on: date | None = None,
) -> Opportunity:
    """Moves a deal into ``to_phase`` if its gate holds, applying ``changes`` first; all or nothing.

    A failed gate raises one ValidationError naming every missing field and broken rule (code
    ``gate_failed``). Closed deals do not move. Moving to the current phase does nothing.

    A won deal is always a Customer Success account: entering a won phase opens it, for ``cs_owner``
    (``opportunity_win`` names the CS rep and hands it over; a move without one leaves the account for a
    manager to assign). A deal whose SQL handoff FS has not answered yet does not close: rejecting the
    handoff closes it, with the feedback Inside Sales needs.
    """
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    check_can_change(opportunity, actor)
    if not opportunity.is_open:
        raise ValidationError(_("A closed deal cannot change phase."), code="closed")
    if not to_phase.is_active:
        raise field_error("phase", _("This phase is not in use."), code="phase_inactive")
    if to_phase.pk == opportunity.phase_id:
        return opportunity
    if to_phase.is_closed and opportunity.handoffs.filter(kind="is_to_fs", status="pending").exists():
        raise ValidationError(
            _("Accept or reject the SQL handoff before closing the deal."), code="sql_handoff_pending"
        )
    _check_order(opportunity.phase, to_phase)
    for field, value in (changes or {}).items():
        if field not in EDITABLE_FIELDS:
            raise field_error(field, _("This field cannot be changed here."), code="not_editable")
        setattr(opportunity, field, value)
    if lost_reason is not None:
        opportunity.lost_reason = lost_reason
        opportunity.lost_note = note
    missing, broken = gate_failures(to_phase, opportunity)
    if missing or broken:
        errors = {field: [ValidationError(_("Required to enter this phase."), code="required")] for field in missing}
        if broken:
            errors[NON_FIELD_ERRORS] = [ValidationError(GATE_RULES[rule][0], code=rule) for rule in broken]
        raise GateFailed(errors)
    from_phase = opportunity.phase
    opportunity.phase = to_phase
    opportunity.phase_entered_at = timezone.now()
    opportunity.status = {
        Phase.Outcome.OPEN: Opportunity.Status.OPEN,
        Phase.Outcome.WON: Opportunity.Status.WON,
        Phase.Outcome.LOST: Opportunity.Status.LOST,
    }[to_phase.outcome]
    if to_phase.is_closed:
        opportunity.closed_at = timezone.now()
    opportunity.full_clean()
    opportunity.save()
    PhaseHistory.objects.create(
        opportunity=opportunity, from_phase=from_phase, to_phase=to_phase, actor=actor, note=note
    )
    if opportunity.status == Opportunity.Status.WON:
        cs_account_create(opportunity=opportunity, owner=cs_owner, renewal_on=renewal_on, actor=actor)
    data = webhooks.opportunity_data(opportunity, previous_phase=from_phase)
    webhooks.emit("opportunity.phase_changed", data)
    if opportunity.status == Opportunity.Status.WON:
        webhooks.emit("opportunity.won", data)
    return opportunity


def lost_phase() -> Phase:
    return Phase.objects.get(outcome=Phase.Outcome.LOST, is_active=True)


def won_phase() -> Phase:
    return Phase.objects.get(outcome=Phase.Outcome.WON, is_active=True)


@records_actor
@transaction.atomic
def opportunity_close_lost(*, opportunity: Opportunity, actor: User, reason: LostReason, note: str = "") -> Opportunity:
    return opportunity_move(opportunity=opportunity, to_phase=lost_phase(), actor=actor, lost_reason=reason, note=note)


@records_actor
@transaction.atomic
def cs_account_create(
    *, opportunity: Opportunity, owner: User | None, renewal_on: date | None = None, actor: User | None = None
) -> CSAccount:
    """One account per won deal; calling again returns the same account."""
    existing = CSAccount.objects.filter(opportunity=opportunity).first()
    if existing is not None:
        return existing
    if opportunity.status != Opportunity.Status.WON:
        raise ValidationError(_("Only a won deal becomes a customer account."), code="not_won")
    if owner is not None and owner.role != User.Role.CS:
        raise field_error("owner", _("Accounts are owned by customer-success reps."), code="owner_not_cs")
    account = CSAccount(
        opportunity=opportunity,
        company=opportunity.company,
        owner=owner,
        contract_on=opportunity.contract_on,
        contract_amount=opportunity.amount,
        renewal_on=renewal_on,
    )
    account.full_clean()
    account.save()
    return account


CS_EDITABLE_FIELDS = ("success_definition", "health", "renewal_on", "expansion_notes")


@records_actor
@transaction.atomic
def cs_account_update(*, account: CSAccount, actor: User, data: dict) -> CSAccount:
    """CS keeps the customer's definition of success, health, renewal and expansion chances current."""
    if not (actor.pk == account.owner_id or actor.sees_everything or actor.role == User.Role.MANAGER):
        raise PermissionDenied
    unknown = set(data) - set(CS_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {
                field: ValidationError(_("This field cannot be changed here."), code="not_editable")
                for field in sorted(unknown)
            }
        )
    account = CSAccount.objects.select_for_update().get(pk=account.pk)
    for field, value in data.items():
        setattr(account, field, value)
    account.full_clean()
    account.save(update_fields=[*data.keys(), "updated_at"])
    return account


# --- Trash (see leads.services: TRASH_DAYS, who may delete, the purge) -------------------------------------


def _check_no_customer(deals) -> None:
    if CSAccount.objects.filter(opportunity__in=deals).exists():
        raise ValidationError(
            _("A won deal with a customer account cannot be deleted: the customer is served from it."),
            code="deal_has_customer_account",
        )


def trash_deals(*, company: Company, lead_ids: list[int], actor: User, at) -> list[int]:
    """Trashes the live deals of the company (and of its leads) with the company's stamp. The caller holds
    the company's lock and checks who acts."""
    deals = Opportunity.objects.select_for_update().filter(Q(company=company) | Q(origin_lead_id__in=lead_ids))
    ids = list(deals.order_by("pk").values_list("pk", flat=True))
    _check_no_customer(ids)
    Opportunity.all_objects.filter(pk__in=ids).update(deleted_at=at, deleted_by=actor)
    history_snapshot_rows(Opportunity, ids, user=actor, reason="trash", history_type="~")
    return ids


def restore_deals(*, company: Company, at, actor: User | None = None) -> list[int]:
    """Restores the deals trashed with the company (the same stamp), its leads' deals elsewhere too."""
    deals = Opportunity.all_objects.select_for_update(of=("self",)).filter(
        Q(company=company) | Q(origin_lead__company=company), deleted_at=at
    )
    ids = list(deals.order_by("pk").values_list("pk", flat=True))
    Opportunity.all_objects.filter(pk__in=ids).update(deleted_at=None, deleted_by=None)
    history_snapshot_rows(Opportunity, ids, user=actor, reason="restore", history_type="~")
    return ids


@transaction.atomic
def opportunity_delete(*, opportunity: Opportunity, actor: User) -> Opportunity:
    """Moves the deal, its SQL handoff, phase moves and activities out of every list and figure; its lead
    stays. Refused for a won deal with a customer account. Idempotent."""
    from leads.services import _mark_trash_days, check_can_manage_trash

    check_can_manage_trash(actor)
    opportunity = Opportunity.all_objects.select_for_update().get(pk=opportunity.pk)
    if opportunity.is_trashed:
        return opportunity
    _check_no_customer([opportunity.pk])
    opportunity.deleted_at, opportunity.deleted_by = timezone.now(), actor
    opportunity.save(update_fields=["deleted_at", "deleted_by"])
    _mark_trash_days(opportunity_ids=[opportunity.pk])
    return opportunity


@transaction.atomic
def opportunity_restore(*, opportunity: Opportunity, actor: User) -> Opportunity:
    """Brings the deal back; refused while its company or origin lead is in the trash (restore that
    first). Idempotent."""
    from leads.services import _mark_trash_days, check_can_manage_trash

    check_can_manage_trash(actor)
    opportunity = (
        Opportunity.all_objects.select_for_update(of=("self",))
        .select_related("company", "origin_lead")
        .get(pk=opportunity.pk)
    )
    if not opportunity.is_trashed:
        return opportunity
    if opportunity.company.is_trashed:
        raise ValidationError(
            _("Its company %(company)s is in the trash: restore the company."),
            code="company_in_trash",
            params={"company": opportunity.company.name},
        )
    if opportunity.origin_lead_id and opportunity.origin_lead.is_trashed:
        raise ValidationError(
            _("Its lead %(lead)s is in the trash: restore the lead first."),
            code="lead_in_trash",
            params={"lead": opportunity.origin_lead.full_name},
        )
    opportunity.deleted_at, opportunity.deleted_by = None, None
    opportunity.save(update_fields=["deleted_at", "deleted_by"])
    _mark_trash_days(opportunity_ids=[opportunity.pk])
    return opportunity
