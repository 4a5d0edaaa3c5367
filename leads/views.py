"""The IS rep's workspace: the call queue and the lead page with its in-place actions.

Lead-page actions post with htmx and get the page's ``lead-page`` partial back (errors in place,
or the updated lead); without htmx they fall back to a redirect (success) or the full page (errors).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from activities.forms import LogActivityForm
from activities.selectors import lead_activity_list
from handoffs.forms import SqlHandoffForm
from handoffs.selectors import fs_rep_suggestions, lead_handoff_list
from opportunities.selectors import company_opportunity_list
from org.forms import add_service_error, report_unshown_errors
from org.models import User
from org.services import user_set_on_shift

from .filters import QueueFilter
from .forms import BantForm, DisqualifyForm, NurtureForm, RecycleForm
from .models import Lead
from .selectors import (
    QueueScope,
    distribution_teams,
    inbound_distribution,
    lead_get,
    lead_queue,
    lead_queue_counts,
    lead_recycle_list,
    lead_rows_in_order,
    lead_touch_point_list,
)
from .services import lead_disqualify, lead_nurture, lead_recycle, lead_update_bant

QUEUE_PAGE_SIZE = 50
SIDEBAR_SIZE = 8
WORKING_ROLES = (User.Role.IS, User.Role.MANAGER, User.Role.ADMIN)


def can_work_leads(user) -> bool:
    return user.is_superuser or user.role in WORKING_ROLES


def get_lead_or_404(user, pk) -> Lead:
    try:
        return lead_get(user=user, pk=pk)
    except Lead.DoesNotExist:
        raise Http404 from None


def get_workable_lead(request, pk) -> Lead:
    lead = get_lead_or_404(request.user, pk)
    if not can_work_leads(request.user):
        raise PermissionDenied
    return lead


def queue_scope(request) -> str:
    scope = request.GET.get("scope")
    if scope in (QueueScope.MINE, QueueScope.POOL, QueueScope.TEAM):
        return scope
    return QueueScope.MINE if request.user.role == User.Role.IS else QueueScope.TEAM


@login_required
@require_GET
def queue(request):
    today = timezone.localdate()
    scope = queue_scope(request)
    filterset = QueueFilter(request.GET, queryset=lead_queue(user=request.user, today=today, scope=scope))
    page = Paginator(filterset.qs.values_list("pk", flat=True), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = lead_rows_in_order(filterset.qs, page.object_list)
    context = {
        "filter": filterset,
        "page": page,
        "today": today,
        "scope": scope,
        "counts": lead_queue_counts(user=request.user, today=today, scope=scope),
        "query": _query_without_page(request),
    }
    template = "leads/queue.html#queue-list" if request.htmx else "leads/queue.html"
    return render(request, template, context)


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def queue_sidebar_context(user) -> dict:
    today = timezone.localdate()
    scope = QueueScope.MINE if user.role == User.Role.IS else QueueScope.TEAM
    queue = lead_queue(user=user, today=today, scope=scope)
    return {
        "queue_counts": lead_queue_counts(user=user, today=today, scope=scope),
        "queue_next": lead_rows_in_order(queue, queue.values_list("pk", flat=True)[:SIDEBAR_SIZE]),
    }


def lead_panels_context(request, lead: Lead) -> dict:
    """What a logged call changes on the lead page: its header, timeline and the queue beside it."""
    context = {
        "lead": lead,
        "today": timezone.localdate(),
        "workable": can_work_leads(request.user) and lead.is_open,
        "activities": lead_activity_list(lead=lead),
        **queue_sidebar_context(request.user),
    }
    context["next_lead"] = next((other for other in context["queue_next"] if other.pk != lead.pk), None)
    return context


def lead_page_context(request, lead: Lead, **bound_forms) -> dict:
    """Everything the rep reads before a call, and the action forms (one of them possibly bound)."""
    context = lead_panels_context(request, lead)
    workable = context["workable"]
    context.update(
        touch_points=lead_touch_point_list(lead=lead)[:20],
        recycles=lead_recycle_list(lead=lead),
        handoffs=lead_handoff_list(lead=lead),
        deals=company_opportunity_list(company_id=lead.company_id),
    )
    if workable:
        context["log_form"] = bound_forms.get("log_form") or LogActivityForm()
        context["recycle_form"] = bound_forms.get("recycle_form") or RecycleForm(team=lead.team)
        context["bant_form"] = bound_forms.get("bant_form") or BantForm(
            initial={
                "budget": lead.bant_budget,
                "authority": lead.bant_authority,
                "needs": lead.bant_needs,
                "timeframe": lead.bant_timeframe,
                "temperature": lead.temperature,
            }
        )
        context["nurture_form"] = bound_forms.get("nurture_form") or NurtureForm()
        context["disqualify_form"] = bound_forms.get("disqualify_form") or DisqualifyForm()
        if lead.temperature:
            context["handoff_form"] = bound_forms.get("handoff_form") or SqlHandoffForm(
                reps=fs_rep_suggestions(size_band=lead.company.size_band, today=context["today"])
            )
    context["open_tab"] = next(iter(bound_forms), "log_form").removesuffix("_form")
    return context


@login_required
@require_GET
def lead_detail(request, pk):
    lead = get_lead_or_404(request.user, pk)
    return render(request, "leads/lead_detail.html", lead_page_context(request, lead))


def render_lead_page(request, lead: Lead, *, status=200, **bound_forms):
    lead = get_lead_or_404(request.user, lead.pk)
    context = lead_page_context(request, lead, **bound_forms)
    report_unshown_errors(request, context, bound_forms)
    template = "leads/lead_detail.html#lead-page" if request.htmx else "leads/lead_detail.html"
    return render(request, template, context, status=status)


def lead_action_done(request, lead: Lead, message: str):
    """After a successful action: the refreshed lead page in place (htmx) or a redirect to it."""
    messages.success(request, message)
    if request.htmx:
        return render_lead_page(request, lead)
    return HttpResponseRedirect(reverse("leads:detail", args=[lead.pk]))


def lead_action_failed(request, lead: Lead, form_name: str, form, error: ValidationError | None = None):
    """Errors where they belong: on the form's fields, nothing saved. htmx swaps only 2xx answers."""
    if error is not None:
        add_service_error(form, error)
    return render_lead_page(request, lead, status=200 if request.htmx else 400, **{form_name: form})


@login_required
@require_POST
def lead_recycle_view(request, pk):
    lead = get_workable_lead(request, pk)
    form = RecycleForm(request.POST, team=lead.team)
    if not form.is_valid():
        return lead_action_failed(request, lead, "recycle_form", form)
    data = form.cleaned_data
    try:
        lead = lead_recycle(
            lead=lead,
            actor=request.user,
            reason=data["reason"],
            approach_on=data["approach_on"],
            month=data["month"],
            week=data["week"],
            assignee=data["assignee"],
            method=data["method"],
            note=data["note"],
        )
    except ValidationError as error:
        return lead_action_failed(request, lead, "recycle_form", form, error)
    return lead_action_done(
        request, lead, _("Recycled. The lead comes back on %(date)s.") % {"date": lead.next_approach_on}
    )


@login_required
@require_POST
def lead_bant_view(request, pk):
    lead = get_workable_lead(request, pk)
    form = BantForm(request.POST)
    if not form.is_valid():
        return lead_action_failed(request, lead, "bant_form", form)
    data = form.cleaned_data
    try:
        lead = lead_update_bant(
            lead=lead,
            actor=request.user,
            budget=data["budget"],
            authority=data["authority"],
            needs=data["needs"],
            timeframe=data["timeframe"],
            temperature=data["temperature"],
        )
    except ValidationError as error:
        return lead_action_failed(request, lead, "bant_form", form, error)
    return lead_action_done(
        request, lead, _("BANT saved. Temperature: %(t)s.") % {"t": lead.get_temperature_display() or "—"}
    )


@login_required
@require_POST
def lead_nurture_view(request, pk):
    lead = get_workable_lead(request, pk)
    form = NurtureForm(request.POST)
    if not form.is_valid():
        return lead_action_failed(request, lead, "nurture_form", form)
    try:
        lead = lead_nurture(
            lead=lead,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            next_approach_on=form.cleaned_data["next_approach_on"],
        )
    except ValidationError as error:
        return lead_action_failed(request, lead, "nurture_form", form, error)
    return lead_action_done(request, lead, _("Moved to nurturing."))


@login_required
@require_POST
def lead_disqualify_view(request, pk):
    lead = get_workable_lead(request, pk)
    form = DisqualifyForm(request.POST)
    if not form.is_valid():
        return lead_action_failed(request, lead, "disqualify_form", form)
    try:
        lead = lead_disqualify(lead=lead, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        return lead_action_failed(request, lead, "disqualify_form", form, error)
    return lead_action_done(request, lead, _("Disqualified."))


@login_required
@require_GET
def distribution(request):
    """The manager's view of inbound distribution: who is on shift and how many inbound leads each rep of
    their teams received today and this week, beside what waits unassigned in the team pool."""
    if not (request.user.sees_everything or request.user.role == User.Role.MANAGER):
        raise PermissionDenied
    today = timezone.localdate()
    return render(
        request,
        "leads/distribution.html",
        {"teams": inbound_distribution(user=request.user, today=today), "today": today},
    )


@login_required
@require_POST
def rep_shift(request, pk):
    """Puts a rep of the manager's teams on or off shift; answers the rep's row (htmx) or the page."""
    teams = distribution_teams(user=request.user)
    rep = User.objects.filter(pk=pk, team__in=teams).first()
    if rep is None:
        raise Http404
    try:
        user_set_on_shift(user=rep, on_shift=request.POST.get("on_shift") == "1", actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    if not request.htmx:
        return HttpResponseRedirect(reverse("leads:distribution"))
    today = timezone.localdate()
    team = next(team for team in inbound_distribution(user=request.user, today=today) if team.team.pk == rep.team_id)
    row = next(row for row in team.reps if row.rep.pk == rep.pk)
    return render(request, "leads/distribution.html#rep-row", {"row": row})
