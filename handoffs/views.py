from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from activities.selectors import lead_activity_list
from leads.views import get_workable_lead, lead_action_done, lead_action_failed
from org.forms import add_service_error, report_unshown_errors
from org.history import history_limit, record_history
from org.models import User

from .forms import FeedbackForm, RejectForm, SqlHandoffForm
from .models import Handoff
from .selectors import fs_rep_suggestions, handoff_get, handoff_inbox, sent_sql_list
from .services import handoff_accept, handoff_create_sql, handoff_feedback, handoff_reject

PAGE_SIZE = 50


@login_required
@require_POST
def lead_handoff(request, pk):
    """Hands the lead to FS as an SQL. A double click returns the handoff the first click made."""
    lead = get_workable_lead(request, pk)
    reps = fs_rep_suggestions(size_band=lead.company.size_band, today=timezone.localdate())
    form = SqlHandoffForm(request.POST, reps=reps)
    if not form.is_valid():
        return lead_action_failed(request, lead, "handoff_form", form)
    data = form.cleaned_data
    try:
        handoff = handoff_create_sql(
            lead=lead,
            actor=request.user,
            to_user=User.objects.get(pk=data["to_user"]),
            heard=data["heard"],
            why_now=data["why_now"],
            decision_process=data["decision_process"],
            to_confirm=data["to_confirm"],
            service=data["service"],
            capacity_override_reason=data["capacity_override_reason"],
        )
    except ValidationError as error:
        return lead_action_failed(request, lead, "handoff_form", form, error)
    return lead_action_done(request, lead, _("Handed to %(rep)s as an SQL.") % {"rep": handoff.to_user})


def get_handoff_or_404(user, pk) -> Handoff:
    try:
        return handoff_get(user=user, pk=pk)
    except Handoff.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def inbox(request):
    """Handoffs addressed to me (FS: SQLs to accept; CS: won accounts), newest first, by status."""
    status = request.GET.get("status", Handoff.Status.PENDING)
    if status not in Handoff.Status.values:
        status = Handoff.Status.PENDING
    handoffs = handoff_inbox(user=request.user).filter(status=status)
    page = Paginator(handoffs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": Handoff.Status.choices}
    return render(request, "handoffs/inbox.html", context)


def handoff_page_context(request, handoff: Handoff, **bound_forms) -> dict:
    user = request.user
    is_recipient = handoff.to_user_id == user.pk or user.sees_everything
    context = {
        "handoff": handoff,
        "activities": lead_activity_list(lead=handoff.lead) if handoff.lead_id else [],
        "is_recipient": is_recipient,
        "record_changes": record_history(handoff, limit=history_limit(request)),
    }
    if is_recipient and handoff.status == Handoff.Status.PENDING:
        context["reject_form"] = bound_forms.get("reject_form") or RejectForm()
    if (
        is_recipient
        and handoff.kind == Handoff.Kind.IS_TO_FS
        and handoff.status == Handoff.Status.ACCEPTED
        and handoff.opportunity.first_meeting_on is not None
    ):
        context["feedback_form"] = bound_forms.get("feedback_form") or FeedbackForm(
            initial={"feedback": handoff.feedback, "feedback_reason": handoff.feedback_reason}
        )
    return context


@login_required
@require_GET
def handoff_detail(request, pk):
    handoff = get_handoff_or_404(request.user, pk)
    return render(request, "handoffs/detail.html", handoff_page_context(request, handoff))


def _handoff_done(request, handoff, message):
    messages.success(request, message)
    return HttpResponseRedirect(reverse("handoffs:detail", args=[handoff.pk]))


def _handoff_failed(request, handoff, form_name, form, error=None):
    if error is not None:
        add_service_error(form, error)
    handoff = get_handoff_or_404(request.user, handoff.pk)
    context = handoff_page_context(request, handoff, **{form_name: form})
    report_unshown_errors(request, context, {form_name: form})
    return render(request, "handoffs/detail.html", context, status=400)


@login_required
@require_POST
def handoff_accept_view(request, pk):
    handoff = get_handoff_or_404(request.user, pk)
    try:
        handoff = handoff_accept(handoff=handoff, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("handoffs:detail", args=[handoff.pk]))
    return _handoff_done(request, handoff, _("Accepted. The deal is yours."))


@login_required
@require_POST
def handoff_reject_view(request, pk):
    handoff = get_handoff_or_404(request.user, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _handoff_failed(request, handoff, "reject_form", form)
    try:
        handoff = handoff_reject(handoff=handoff, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        return _handoff_failed(request, handoff, "reject_form", form, error)
    return _handoff_done(request, handoff, _("Rejected. The lead is back with its IS rep."))


@login_required
@require_POST
def handoff_feedback_view(request, pk):
    handoff = get_handoff_or_404(request.user, pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _handoff_failed(request, handoff, "feedback_form", form)
    try:
        handoff = handoff_feedback(
            handoff=handoff,
            actor=request.user,
            feedback=form.cleaned_data["feedback"],
            reason=form.cleaned_data["feedback_reason"],
        )
    except ValidationError as error:
        return _handoff_failed(request, handoff, "feedback_form", form, error)
    return _handoff_done(request, handoff, _("Thank you: the IS rep sees your feedback."))


@login_required
@require_GET
def sql_feedback_list(request):
    """The SQLs I handed off and what FS said of them after the first meeting."""
    handoffs = sent_sql_list(user=request.user)
    page = Paginator(handoffs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "handoffs/feedback_list.html", {"page": page})
