"""Field Sales' pipeline (list, board, deal page with gated moves) and Customer Success' accounts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.selectors import opportunity_activity_list
from activities.services import activity_log
from handoffs.selectors import opportunity_handoff_list
from handoffs.services import opportunity_send_back, opportunity_win
from leads.models import Company
from leads.services import can_manage_trash, check_can_manage_trash, company_create
from leads.views import first_message, trash_confirm
from org.forms import add_service_error, report_unshown_errors
from org.history import history_limit, record_history
from org.models import User

from .filters import OpportunityFilter
from .forms import (
    CSAccountForm,
    DealActivityForm,
    DealForm,
    ExpansionDealForm,
    LoseForm,
    SendBackForm,
    SglForm,
    WinForm,
)
from .gates import GATE_FIELDS
from .models import CSAccount, Opportunity, Phase
from .selectors import cs_account_list, opportunity_list, phase_history_list, with_stagnation
from .services import (
    cs_account_update,
    opportunity_close_lost,
    opportunity_create,
    opportunity_delete,
    opportunity_move,
    opportunity_update,
)

PAGE_SIZE = 50
BOARD_CARDS = 30


def _deals(user, today):
    return with_stagnation(opportunity_list(user=user), today=today)


def get_deal_or_404(user, pk) -> Opportunity:
    try:
        return _deals(user, timezone.localdate()).get(pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def deal_list(request):
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("status", Opportunity.Status.OPEN)
    filterset = OpportunityFilter(data, queryset=_deals(request.user, today).order_by("next_action_on", "id"))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    context = {"filter": filterset, "page": page, "today": today, "query": query.urlencode()}
    template = "opportunities/list.html#deal-list" if request.htmx else "opportunities/list.html"
    return render(request, template, context)


@login_required
@require_GET
def deal_board(request):
    """Open deals by phase: per-phase counts and amounts in one query, then the first cards of each."""
    today = timezone.localdate()
    deals = _deals(request.user, today).filter(status=Opportunity.Status.OPEN)
    phases = list(Phase.objects.filter(is_active=True, outcome=Phase.Outcome.OPEN))
    totals = {
        row["phase"]: row
        for row in deals.values("phase").annotate(count=Count("pk"), stagnant=Count("pk", filter=Q(is_stagnant=True)))
    }
    columns = [
        {
            "phase": phase,
            "count": totals.get(phase.pk, {}).get("count", 0),
            "stagnant": totals.get(phase.pk, {}).get("stagnant", 0),
            "cards": deals.filter(phase=phase).order_by("-is_stagnant", "next_action_on", "id")[:BOARD_CARDS],
        }
        for phase in phases
    ]
    return render(request, "opportunities/board.html", {"columns": columns, "today": today})


def deal_page_context(request, deal: Opportunity, **bound_forms) -> dict:
    user = request.user
    can_change = deal.is_open and (user.pk == deal.owner_id or user.sees_everything or user.role == User.Role.MANAGER)
    context = {
        "deal": deal,
        "today": timezone.localdate(),
        "can_change": can_change,
        "history": phase_history_list(opportunity=deal),
        "activities": opportunity_activity_list(opportunity=deal),
        "handoffs": opportunity_handoff_list(opportunity=deal),
        "record_changes": record_history(deal, limit=history_limit(request)),
        "can_delete": can_manage_trash(user),
        "can_send_back": deal.is_open
        and deal.origin_lead_id is not None
        and (user.pk == deal.owner_id or user.sees_everything or (user.role == User.Role.MANAGER and deal.is_stagnant)),
    }
    if can_change:
        context.update(
            deal_form=bound_forms.get("deal_form") or DealForm(opportunity=deal),
            lose_form=bound_forms.get("lose_form") or LoseForm(),
            win_form=bound_forms.get("win_form")
            or WinForm(initial={"amount": deal.amount, "contract_on": deal.contract_on or timezone.localdate()}),
            activity_form=bound_forms.get("activity_form") or DealActivityForm(),
        )
    if context["can_send_back"]:
        context["send_back_form"] = bound_forms.get("send_back_form") or SendBackForm()
    context["open_tab"] = next(iter(bound_forms), "deal_form").removesuffix("_form")
    return context


@login_required
@require_GET
def deal_detail(request, pk):
    deal = get_deal_or_404(request.user, pk)
    return render(request, "opportunities/detail.html", deal_page_context(request, deal))


def _render_deal(request, deal, *, status=200, **bound_forms):
    deal = get_deal_or_404(request.user, deal.pk)
    context = deal_page_context(request, deal, **bound_forms)
    report_unshown_errors(request, context, bound_forms)
    template = "opportunities/detail.html#deal-page" if request.htmx else "opportunities/detail.html"
    return render(request, template, context, status=status)


def _done(request, deal, message):
    messages.success(request, message)
    if request.htmx:
        return _render_deal(request, deal)
    return HttpResponseRedirect(reverse("opportunities:detail", args=[deal.pk]))


def _failed(request, deal, form_name, form, error=None):
    if error is not None:
        add_service_error(form, error, labels={"phase": gettext_lazy("phase"), **GATE_FIELDS})
    return _render_deal(request, deal, status=200 if request.htmx else 400, **{form_name: form})


@login_required
@require_POST
def deal_update(request, pk):
    """Saves the fields and, if asked, moves the deal through the target phase's gate — all or nothing."""
    deal = get_deal_or_404(request.user, pk)
    form = DealForm(request.POST, opportunity=deal)
    if not form.is_valid():
        return _failed(request, deal, "deal_form", form)
    target = form.cleaned_data["to_phase"]
    try:
        with transaction.atomic():
            if target is None:
                opportunity_update(opportunity=deal, actor=request.user, data=form.changes())
            else:
                opportunity_move(opportunity=deal, to_phase=target, actor=request.user, changes=form.changes())
    except ValidationError as error:
        return _failed(request, deal, "deal_form", form, error)
    if target is None:
        return _done(request, deal, _("Saved."))
    return _done(request, deal, _("Moved to %(phase)s.") % {"phase": target})


@login_required
@require_POST
def deal_lose(request, pk):
    deal = get_deal_or_404(request.user, pk)
    form = LoseForm(request.POST)
    if not form.is_valid():
        return _failed(request, deal, "lose_form", form)
    try:
        opportunity_close_lost(
            opportunity=deal,
            actor=request.user,
            reason=form.cleaned_data["lost_reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        return _failed(request, deal, "lose_form", form, error)
    return _done(request, deal, _("Closed as lost."))


@login_required
@require_POST
def deal_win(request, pk):
    deal = get_deal_or_404(request.user, pk)
    form = WinForm(request.POST)
    if not form.is_valid():
        return _failed(request, deal, "win_form", form)
    data = form.cleaned_data
    try:
        account = opportunity_win(
            opportunity=deal,
            actor=request.user,
            amount=data["amount"],
            contract_on=data["contract_on"],
            cs_owner=data["cs_owner"],
            renewal_on=data["renewal_on"],
        )
    except ValidationError as error:
        return _failed(request, deal, "win_form", form, error)
    return _done(request, deal, _("Won. %(rep)s takes over the account.") % {"rep": account.owner})


@login_required
@require_POST
def deal_send_back(request, pk):
    deal = get_deal_or_404(request.user, pk)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        return _failed(request, deal, "send_back_form", form)
    data = form.cleaned_data
    try:
        handoff = opportunity_send_back(
            opportunity=deal,
            actor=request.user,
            reason=data["reason"],
            recycle_reason=data["recycle_reason"],
            approach_on=data["approach_on"],
            month=data["month"],
            week=data["week"],
        )
    except ValidationError as error:
        return _failed(request, deal, "send_back_form", form, error)
    return _done(request, deal, _("Sent back to %(team)s.") % {"team": handoff.to_team})


@login_required
@require_POST
def deal_log_activity(request, pk):
    deal = get_deal_or_404(request.user, pk)
    if not (request.user.pk == deal.owner_id or request.user.sees_everything or request.user.role == User.Role.MANAGER):
        raise PermissionDenied
    form = DealActivityForm(request.POST)
    if not form.is_valid():
        return _failed(request, deal, "activity_form", form)
    data = form.cleaned_data
    try:
        activity_log(
            actor=request.user,
            opportunity=deal,
            kind=data["kind"],
            direction=data["direction"],
            connected=data["connected"],
            effective_conversation=data["effective_conversation"],
            outcome=data["outcome"],
            note=data["note"],
        )
    except ValidationError as error:
        return _failed(request, deal, "activity_form", form, error)
    return _done(request, deal, _("Logged."))


@login_required
@require_http_methods(["GET", "POST"])
def deal_create_sgl(request):
    """A deal FS found without Inside Sales: marked SGL everywhere, because its win rate differs."""
    if request.user.role != User.Role.FS:
        raise PermissionDenied
    form = SglForm(request.POST or None, initial={"next_action_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                company = Company.objects.filter(name=data["company_name"].strip()).first() or company_create(
                    name=data["company_name"], employee_count=data["employee_count"], prefecture=data["prefecture"]
                )
                deal = opportunity_create(
                    actor=request.user,
                    company=company,
                    owner=request.user,
                    origin=Opportunity.Origin.SGL,
                    name=data["name"],
                    next_action_on=data["next_action_on"],
                    service=data["service"],
                    amount=data["amount"],
                )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("SGL deal created."))
            return HttpResponseRedirect(reverse("opportunities:detail", args=[deal.pk]))
    return render(request, "opportunities/create.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def cs_account_index(request):
    accounts = cs_account_list(user=request.user).order_by("renewal_on", "id")
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "opportunities/cs_list.html", {"page": page, "today": timezone.localdate()})


def get_account_or_404(user, pk) -> CSAccount:
    try:
        return cs_account_list(user=user).get(pk=pk)
    except CSAccount.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def cs_account_detail(request, pk):
    account = get_account_or_404(request.user, pk)
    form = CSAccountForm(request.POST or None, instance=account)
    expansion_form = ExpansionDealForm(initial={"next_action_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            cs_account_update(
                account=account,
                actor=request.user,
                data={name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Account saved."))
            return HttpResponseRedirect(reverse("opportunities:cs_detail", args=[account.pk]))
    return _render_account(request, account, form, expansion_form, status=400 if form.errors else 200)


def _render_account(request, account, form, expansion_form, *, status=200):
    context = {
        "account": account,
        "form": form,
        "expansion_form": expansion_form,
        "handoffs": opportunity_handoff_list(opportunity=account.opportunity),
        "record_changes": record_history(account, limit=history_limit(request)),
        "expansions": opportunity_list(user=request.user).filter(
            company=account.company, origin=Opportunity.Origin.SGL, created_at__gt=account.created_at
        ),
    }
    return render(request, "opportunities/cs_detail.html", context, status=status)


@login_required
@require_POST
def cs_account_expand(request, pk):
    """CS starts an upsell / cross-sell deal for an FS rep: a sales-generated deal of the same company."""
    account = get_account_or_404(request.user, pk)
    if not (request.user.pk == account.owner_id or request.user.sees_everything):
        raise PermissionDenied
    form = ExpansionDealForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            opportunity_create(
                actor=request.user,
                company=account.company,
                owner=data["owner"],
                origin=Opportunity.Origin.SGL,
                name=data["name"],
                next_action_on=data["next_action_on"],
                service=data["service"],
                amount=data["amount"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Expansion deal started for %(rep)s.") % {"rep": data["owner"]})
            return HttpResponseRedirect(reverse("opportunities:cs_detail", args=[account.pk]))
    return _render_account(request, account, CSAccountForm(instance=account), form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def deal_delete(request, pk):
    check_can_manage_trash(request.user)
    deal = get_deal_or_404(request.user, pk)
    page = {
        "title": _("Delete this deal?"),
        "name": deal.name,
        "consequences": [_("Its SQL, phase moves and activities leave the lists, the API and the figures.")],
        "cancel_url": reverse("opportunities:detail", args=[deal.pk]),
    }
    if request.method == "GET":
        return trash_confirm(request, **page)
    try:
        opportunity_delete(opportunity=deal, actor=request.user)
    except ValidationError as error:
        return trash_confirm(request, **page, error=first_message(error))
    messages.success(request, _("The deal was moved to the trash."))
    return HttpResponseRedirect(reverse("leads:trash"))
