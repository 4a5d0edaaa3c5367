"""The IS rep's workspace: the call queue and the lead page with its in-place actions.

Lead-page actions post with htmx and get the page's ``lead-page`` partial back (errors in place,
or the updated lead); without htmx they fall back to a redirect (success) or the full page (errors).
"""

from datetime import date, datetime, time, timedelta
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.forms import LogActivityForm
from activities.selectors import lead_activity_list
from handoffs.forms import SqlHandoffForm
from handoffs.selectors import fs_rep_suggestions, lead_handoff_list
from opportunities.selectors import company_opportunity_list
from org.forms import add_service_error, report_unshown_errors
from org.history import history_limit, record_history
from org.models import User
from org.services import user_set_on_shift
from org.spreadsheet import SafeWriter

from .filters import QueueFilter
from .forms import (
    BantForm,
    CampaignEmailRequestForm,
    DisqualifyForm,
    EmailRequestDeclineForm,
    EmailRequestScheduleForm,
    ImportColumnsForm,
    ImportFileForm,
    ImportRunForm,
    ImportUploadForm,
    MqlReviewForm,
    NurtureForm,
    QualityPeriodForm,
    RecycleForm,
)
from .geography import PREFECTURE_CHOICES
from .imports import FIELDS_BY_NAME, RowChecker, error_message, write_error_report
from .imports import mapping_errors as imports_mapping_errors
from .models import (
    Campaign,
    CampaignEmailRequest,
    Company,
    ImportJob,
    Industry,
    Lead,
    LeadCheckpoint,
    LeadSource,
    Origin,
)
from .selectors import (
    QueueScope,
    campaign_email_request_event_list,
    campaign_email_request_get,
    campaign_email_request_list,
    distribution_teams,
    import_job_get,
    import_job_list,
    import_job_progress,
    inbound_distribution,
    lead_get,
    lead_mql_review_get,
    lead_nurturing_steps,
    lead_queue,
    lead_queue_counts,
    lead_recycle_list,
    lead_rows_in_order,
    lead_touch_point_list,
    mql_quality,
    nurturing_checkpoint_get,
    suggested_step,
    trash_list,
    trash_rows,
)
from .services import (
    EMAIL_REQUEST_TRANSITIONS,
    TRASH_DAYS,
    campaign_email_request_accept,
    campaign_email_request_create,
    campaign_email_request_decline,
    campaign_email_request_mark_sent,
    campaign_email_request_schedule,
    can_handle_email_requests,
    can_import_leads,
    can_manage_trash,
    can_request_emails,
    check_can_manage_trash,
    company_delete,
    company_restore,
    import_job_create,
    import_job_replace_file,
    import_job_set_columns,
    import_job_start,
    lead_checkpoint_mark,
    lead_checkpoint_unmark,
    lead_delete,
    lead_disqualify,
    lead_mql_review,
    lead_nurture,
    lead_recycle,
    lead_restore,
    lead_update_bant,
)

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
        nurturing_steps=lead_nurturing_steps(lead=lead),
        record_changes=record_history(lead, limit=history_limit(request)),
    )
    context["can_delete"] = can_manage_trash(request.user)
    context["suggested_step"] = suggested_step(context["nurturing_steps"]) if lead.is_open else None
    if lead.origin == Origin.INBOUND:
        review = context["mql_review"] = lead_mql_review_get(lead=lead)
        if can_work_leads(request.user):
            context["mql_form"] = bound_forms.get("mql_form") or MqlReviewForm(
                initial={"verdict": review.verdict, "reason": review.reason_id, "note": review.note} if review else None
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


# -- lead import (Marketing, managers, administrators) ----------------------------------------------------

PREVIEW_ROWS = 10
REPORT_ROWS_SHOWN = 200


def _importer(request):
    if not can_import_leads(request.user):
        raise PermissionDenied
    return request.user


def _import_job_or_404(request, pk) -> ImportJob:
    _importer(request)
    try:
        return import_job_get(user=request.user, pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    """Past imports and the upload form; an upload reads the file and goes on to its column mapping."""
    user = _importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = import_job_create(
                actor=user,
                file_name=data["file"].name,
                data=data["file"].read(),
                source=data["source"],
                mapping=data["mapping"],
                team=data["team"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return HttpResponseRedirect(reverse("leads:import_detail", args=[job.pk]))
    context = {"form": form, "jobs": import_job_list(user=user)[:30]}
    return render(request, "leads/import_list.html", context, status=400 if form.errors else 200)


def _preview(job: ImportJob) -> list:
    """The first rows as they would be imported with the current mapping (formats and picklists checked,
    duplicates not: those need the whole file)."""
    if not job.rows or not job.columns:
        return []
    checker = RowChecker(headers=job.headers, columns=job.columns, source=job.source, origin=job.origin)
    rows = [checker.check_row(number, cells) for number, cells in job.rows[:PREVIEW_ROWS]]
    ids = {name: {row.values[f"{name}_id"] for row in rows} for name in ("industry", "source", "campaign")}
    labels = {
        "industry": Industry.objects.in_bulk(ids["industry"] - {None}),
        "source": LeadSource.objects.in_bulk(ids["source"] - {None}),
        "campaign": Campaign.objects.in_bulk(ids["campaign"] - {None}),
    }
    prefectures = dict(PREFECTURE_CHOICES)
    for row in rows:
        row.labels = {name: labels[name].get(row.values[f"{name}_id"], "") for name in labels}
        row.labels["prefecture"] = prefectures.get(row.values["prefecture"], "")
    return rows


def _job_context(request, job: ImportJob, **forms) -> dict:
    report = [
        {"row": entry["row"], "messages": [error_message(error) for error in entry["errors"]]}
        for entry in job.report[:REPORT_ROWS_SHOWN]
    ]
    done = import_job_progress(job=job)
    return {
        "job": job,
        "done": done,
        "percent": round(100 * done / job.total_rows) if job.total_rows else 0,
        "report": report,
        "report_more": max(0, len(job.report) - REPORT_ROWS_SHOWN),
        "preview": _preview(job) if job.status in (ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATED) else [],
        "columns_form": forms.get("columns_form")
        or ImportColumnsForm(headers=job.headers, initial=ImportColumnsForm.initial_for(job)),
        "file_form": forms.get("file_form") or ImportFileForm(),
        "run_error": forms.get("run_error"),
    }


def _render_job(request, job: ImportJob, *, status=200, **forms):
    template = "leads/import_job.html#job-body" if request.htmx else "leads/import_job.html"
    return render(request, template, _job_context(request, job, **forms), status=status)


@login_required
@require_GET
def import_detail(request, pk):
    return _render_job(request, _import_job_or_404(request, pk))


@login_required
@require_GET
def import_progress(request, pk):
    """Polled by the page every second while a job validates or imports; the answer stops the polling once
    the job is no longer running (it carries no trigger)."""
    return render(request, "leads/import_job.html#job-body", _job_context(request, _import_job_or_404(request, pk)))


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


@login_required
@require_POST
def import_columns(request, pk):
    job = _import_job_or_404(request, pk)
    form = ImportColumnsForm(request.POST, headers=job.headers)
    if form.is_valid():
        data = form.cleaned_data
        try:
            import_job_set_columns(
                job=job,
                actor=request.user,
                columns=form.columns(),
                origin=data["origin"],
                team=data["team"],
                save_as=data["save_as"],
            )
        except ValidationError as error:
            add_service_error(
                form,
                ValidationError(
                    {
                        (f"col_{field}" if field in FIELDS_BY_NAME else field): errors
                        for field, errors in error.error_dict.items()
                    }
                )
                if hasattr(error, "error_dict")
                else error,
            )
        else:
            return HttpResponseRedirect(reverse("leads:import_detail", args=[job.pk]))
    job.refresh_from_db()
    return _render_job(request, job, status=400, columns_form=form)


@login_required
@require_POST
def import_file(request, pk):
    """The corrected file for the same import: mapped and validated again as before."""
    job = _import_job_or_404(request, pk)
    form = ImportFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_replace_file(job=job, actor=request.user, file_name=upload.name, data=upload.read())
            if not imports_mapping_errors(job.columns, job.headers):
                import_job_set_columns(
                    job=job, actor=request.user, columns=job.columns, origin=job.origin, team=job.team
                )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return HttpResponseRedirect(reverse("leads:import_detail", args=[job.pk]))
    job.refresh_from_db()
    return _render_job(request, job, status=400, file_form=form)


@login_required
@require_POST
def import_run(request, pk):
    job = _import_job_or_404(request, pk)
    form = ImportRunForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose what to import."), code="mode_invalid")
        import_job_start(job=job, actor=request.user, mode=form.cleaned_data["mode"])
    except ValidationError as error:
        job.refresh_from_db()
        return _render_job(request, job, status=400, run_error=" ".join(error.messages))
    return HttpResponseRedirect(reverse("leads:import_detail", args=[job.pk]))


@login_required
@require_GET
def import_errors_csv(request, pk):
    """The rows that were not imported, with their original cells and what is wrong, for fixing in Excel
    (UTF-8 with a byte-order mark so that Excel opens Japanese text correctly)."""
    job = _import_job_or_404(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stem = job.file_name.rsplit(".", 1)[0] or "import"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stem)}-errors.csv"
    response.write("\ufeff")
    write_error_report(response, job)
    return response


# --- Nurturing checkpoints and MQL review on the lead page -------------------------------------------------

CHECKPOINT_MESSAGES = {
    LeadCheckpoint.Outcome.DONE: _lazy("Step done: %(step)s."),
    LeadCheckpoint.Outcome.SKIPPED: _lazy("Step skipped: %(step)s."),
    "undo": _lazy("Mark taken back: %(step)s."),
}


@login_required
@require_POST
def lead_checkpoint_view(request, pk, checkpoint_pk):
    """Marks a nurturing step done or skipped (``outcome``), or takes the mark back (``outcome=undo``)."""
    lead = get_workable_lead(request, pk)
    checkpoint = nurturing_checkpoint_get(pk=checkpoint_pk)
    if checkpoint is None:
        raise Http404
    outcome = request.POST.get("outcome") or LeadCheckpoint.Outcome.DONE
    try:
        if outcome == "undo":
            lead_checkpoint_unmark(lead=lead, checkpoint=checkpoint, actor=request.user)
        else:
            lead_checkpoint_mark(lead=lead, checkpoint=checkpoint, actor=request.user, outcome=outcome)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return render_lead_page(request, lead, status=200 if request.htmx else 400)
    return lead_action_done(request, lead, CHECKPOINT_MESSAGES[outcome] % {"step": checkpoint.title})


@login_required
@require_POST
def lead_mql_review_view(request, pk):
    lead = get_workable_lead(request, pk)
    form = MqlReviewForm(request.POST)
    if not form.is_valid():
        return lead_action_failed(request, lead, "mql_form", form)
    try:
        review = lead_mql_review(
            lead=lead,
            actor=request.user,
            verdict=form.cleaned_data["verdict"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        return lead_action_failed(request, lead, "mql_form", form, error)
    return lead_action_done(
        request, lead, _("MQL review saved: %(verdict)s.") % {"verdict": review.get_verdict_display()}
    )


# --- Marketing: MQL quality by source and campaign ---------------------------------------------------------

QUALITY_ROLES = (User.Role.MARKETING, User.Role.MANAGER, User.Role.ADMIN)


def can_read_mql_quality(user) -> bool:
    return user.is_active and (user.is_superuser or user.role in QUALITY_ROLES)


def _month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    next_first = (first + timedelta(days=32)).replace(day=1)
    return first, next_first - timedelta(days=1)


def quality_presets(today: date) -> list[tuple[str, date, date]]:
    this_first, this_last = _month_bounds(today)
    last_first, last_last = _month_bounds(this_first - timedelta(days=1))
    quarter_first = _month_bounds(last_first - timedelta(days=1))[0]
    return [
        (_("This month"), this_first, this_last),
        (_("Last month"), last_first, last_last),
        (_("Last 3 months"), quarter_first, this_last),
        (_("Last 12 months"), (this_first - timedelta(days=335)).replace(day=1), this_last),
    ]


def quality_csv(quality, *, by: str) -> HttpResponse:
    """One table of the page as CSV (UTF-8 with a byte-order mark, so Excel reads the Japanese)."""
    rows = quality.by_campaign if by == "campaign" else quality.by_source
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mql-quality-{by}-{quality.since}-{quality.until}.csv"'
    response.write("\ufeff")
    writer = SafeWriter(response)
    head = [_("Source")] + ([_("Campaign")] if by == "campaign" else [])
    writer.writerow(
        [*head, _("MQLs"), _("Accepted"), _("Not a fit"), _("Not reviewed"), _("Acceptance rate")]
        + [reason.name for reason in quality.reasons]
    )
    for row in [*rows, quality.total]:
        label = [row.source or _("Total")] + ([row.campaign] if by == "campaign" else [])
        rate = "" if row.acceptance_rate is None else f"{row.acceptance_rate:.4f}"
        writer.writerow(
            [*label, row.mqls, row.accepted, row.not_a_fit, row.not_reviewed, rate]
            + [row.reasons.get(reason.pk, 0) for reason in quality.reasons]
        )
    return response


@login_required
@require_GET
def mql_quality_view(request):
    """For Marketing: how Inside Sales judged the MQLs of a period, per source and campaign."""
    if not can_read_mql_quality(request.user):
        raise PermissionDenied(_("The lead quality page is for Marketing, managers and administrators."))
    today = timezone.localdate()
    default_since, default_until = _month_bounds(today)
    form = QualityPeriodForm(request.GET if "since" in request.GET or "until" in request.GET else None)
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    else:
        since, until = default_since, default_until
        if not form.is_bound:
            form = QualityPeriodForm(initial={"since": since, "until": until})
    quality = mql_quality(since=since, until=until)
    if request.GET.get("csv") in ("source", "campaign"):
        return quality_csv(quality, by=request.GET["csv"])
    context = {
        "form": form,
        "quality": quality,
        "by_source": [(row, quality.top_reasons(row)) for row in quality.by_source],
        "by_campaign": [(row, quality.top_reasons(row)) for row in quality.by_campaign],
        "total_reasons": quality.top_reasons(quality.total),
        "presets": [
            (
                label,
                f"?{urlencode({'since': first.isoformat(), 'until': last.isoformat()})}",
                (first, last) == (since, until),
            )
            for label, first, last in quality_presets(today)
        ],
        "query": urlencode({"since": since.isoformat(), "until": until.isoformat()}),
    }
    template = "leads/mql_quality.html#quality" if request.htmx else "leads/mql_quality.html"
    return render(request, template, context)


# --- Campaign email requests -------------------------------------------------------------------------------

EMAIL_REQUEST_TABS = {
    "open": (_lazy("Open"), CampaignEmailRequest.OPEN_STATUSES),
    "sent": (_lazy("Sent"), (CampaignEmailRequest.Status.SENT,)),
    "declined": (_lazy("Declined"), (CampaignEmailRequest.Status.DECLINED,)),
    "all": (_lazy("All"), tuple(CampaignEmailRequest.Status.values)),
}


def _email_pages_allowed(user) -> None:
    if not (can_request_emails(user) or can_handle_email_requests(user)):
        raise PermissionDenied(_("Mail requests are between Inside Sales and Marketing."))


def get_email_request_or_404(user, pk) -> CampaignEmailRequest:
    try:
        return campaign_email_request_get(user=user, pk=pk)
    except CampaignEmailRequest.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def email_request_list(request):
    """Marketing's worklist of mail requests (open ones by desired send date); IS see their own."""
    _email_pages_allowed(request.user)
    tab = request.GET.get("status") if request.GET.get("status") in EMAIL_REQUEST_TABS else "open"
    requests = campaign_email_request_list(user=request.user).filter(status__in=EMAIL_REQUEST_TABS[tab][1])
    page = Paginator(requests, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "tab": tab,
        "tabs": [(key, label) for key, (label, _statuses) in EMAIL_REQUEST_TABS.items()],
        "can_request": can_request_emails(request.user),
        "query": urlencode({"status": tab}),
    }
    return render(request, "leads/email_request_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def email_request_create(request):
    if not can_request_emails(request.user):
        raise PermissionDenied(_("Inside Sales and their managers file mail requests."))
    form = CampaignEmailRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            email_request = campaign_email_request_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Sent to Marketing. You will see its status here."))
            return HttpResponseRedirect(reverse("leads:email_request", args=[email_request.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "leads/email_request_form.html", {"form": form}, status=status)


def email_request_context(request, email_request, **bound_forms) -> dict:
    handler = can_handle_email_requests(request.user)
    allowed = EMAIL_REQUEST_TRANSITIONS[email_request.status] if handler else frozenset()
    S = CampaignEmailRequest.Status
    context = {
        "email_request": email_request,
        "events": campaign_email_request_event_list(email_request=email_request),
        "can_accept": S.ACCEPTED in allowed,
        "can_mark_sent": S.SENT in allowed,
    }
    if S.SCHEDULED in allowed:
        context["schedule_form"] = bound_forms.get("schedule_form") or EmailRequestScheduleForm(
            initial={"scheduled_for": _default_send_at(email_request)}
        )
    if S.DECLINED in allowed:
        context["decline_form"] = bound_forms.get("decline_form") or EmailRequestDeclineForm()
    return context


def _default_send_at(email_request):
    if email_request.scheduled_for:
        return timezone.localtime(email_request.scheduled_for)
    return datetime.combine(email_request.desired_send_on, email_request.desired_send_time or time(10, 0))


@login_required
@require_GET
def email_request_detail(request, pk):
    email_request = get_email_request_or_404(request.user, pk)
    return render(request, "leads/email_request_detail.html", email_request_context(request, email_request))


def _render_email_request(request, email_request, *, status=200, **bound_forms):
    email_request = get_email_request_or_404(request.user, email_request.pk)
    context = email_request_context(request, email_request, **bound_forms)
    report_unshown_errors(request, context, bound_forms)
    template = "leads/email_request_detail.html#email-request" if request.htmx else "leads/email_request_detail.html"
    return render(request, template, context, status=status)


# What each of Marketing's buttons does: its form (if it asks for anything), its service and what it says.
EMAIL_REQUEST_ACTIONS = {
    "accept": (
        None,
        lambda email_request, actor, data: campaign_email_request_accept(email_request=email_request, actor=actor),
        _lazy("Accepted."),
    ),
    "schedule": (
        EmailRequestScheduleForm,
        lambda email_request, actor, data: campaign_email_request_schedule(
            email_request=email_request, actor=actor, scheduled_for=data["scheduled_for"]
        ),
        _lazy("Scheduled."),
    ),
    "sent": (
        None,
        lambda email_request, actor, data: campaign_email_request_mark_sent(email_request=email_request, actor=actor),
        _lazy("Marked as sent."),
    ),
    "decline": (
        EmailRequestDeclineForm,
        lambda email_request, actor, data: campaign_email_request_decline(
            email_request=email_request, actor=actor, reason=data["reason"]
        ),
        _lazy("Declined. The requester sees your reason."),
    ),
}


@login_required
@require_POST
def email_request_action(request, pk, action):
    """Marketing moves a request on: accept, schedule (a send time), sent, decline (a reason)."""
    if action not in EMAIL_REQUEST_ACTIONS:
        raise Http404
    email_request = get_email_request_or_404(request.user, pk)
    if not can_handle_email_requests(request.user):
        raise PermissionDenied(_("Marketing handles mail requests."))
    form_class, call, done = EMAIL_REQUEST_ACTIONS[action]
    form = form_class(request.POST) if form_class else None
    bound = {f"{action}_form": form} if form is not None else {}
    failed_status = 200 if request.htmx else 400
    if form is not None and not form.is_valid():
        return _render_email_request(request, email_request, status=failed_status, **bound)
    try:
        email_request = call(email_request, request.user, form.cleaned_data if form else {})
    except ValidationError as error:
        if form is None:
            for message in error.messages:
                messages.error(request, message)
        else:
            add_service_error(form, error)
        return _render_email_request(request, email_request, status=failed_status, **bound)
    messages.success(request, str(done))
    if request.htmx:
        return _render_email_request(request, email_request)
    return HttpResponseRedirect(reverse("leads:email_request", args=[email_request.pk]))


# --- Trash ----------------------------------------------------------------------------------------------
TRASH_PAGE_SIZE = 50


def trash_confirm(request, *, title, name, consequences, cancel_url, error=None):
    context = {
        "title": title,
        "name": name,
        "consequences": consequences,
        "cancel_url": cancel_url,
        "error": error,
        "trash_days": TRASH_DAYS,
    }
    return render(request, "leads/trash_confirm.html", context, status=400 if error else 200)


def first_message(error: ValidationError) -> str:
    return error.messages[0] if error.messages else _("The record could not be deleted.")


@login_required
@require_http_methods(["GET", "POST"])
def lead_delete_view(request, pk):
    check_can_manage_trash(request.user)
    lead = get_lead_or_404(request.user, pk)
    page = {
        "title": _("Delete this lead?"),
        "name": str(lead),
        "consequences": [
            _("Its activities, touch points, recycles and SQLs leave the queues, lists, the API and the figures.")
        ],
        "cancel_url": reverse("leads:detail", args=[lead.pk]),
    }
    if request.method == "GET":
        return trash_confirm(request, **page)
    try:
        lead_delete(lead=lead, actor=request.user)
    except ValidationError as error:
        return trash_confirm(request, **page, error=first_message(error))
    messages.success(request, _("The lead was moved to the trash."))
    return HttpResponseRedirect(reverse("leads:trash"))


@login_required
@require_http_methods(["GET", "POST"])
def company_delete_view(request, pk):
    check_can_manage_trash(request.user)
    try:
        company = Company.objects.get(pk=pk)
    except Company.DoesNotExist:
        raise Http404 from None
    page = {
        "title": _("Delete this company?"),
        "name": company.name,
        "consequences": [
            _("Its %(leads)s leads and %(deals)s deals go to the trash with it, and come back when it is restored.")
            % {"leads": company.leads.count(), "deals": company.opportunities.count()}
        ],
        "cancel_url": request.GET.get("next") or reverse("leads:trash"),
    }
    if not page["cancel_url"].startswith("/"):
        page["cancel_url"] = reverse("leads:trash")
    if request.method == "GET":
        return trash_confirm(request, **page)
    try:
        company_delete(company=company, actor=request.user)
    except ValidationError as error:
        return trash_confirm(request, **page, error=first_message(error))
    messages.success(request, _("The company was moved to the trash."))
    return HttpResponseRedirect(reverse("leads:trash"))


@login_required
@require_GET
def trash(request):
    if not can_manage_trash(request.user):
        raise PermissionDenied
    page = Paginator(trash_list(), TRASH_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = trash_rows(page.object_list)
    return render(request, "leads/trash.html", {"page": page, "trash_days": TRASH_DAYS})


@login_required
@require_POST
def trash_restore(request, kind, pk):
    from opportunities.models import Opportunity
    from opportunities.services import opportunity_restore

    check_can_manage_trash(request.user)
    restorers = {
        "company": (Company, company_restore, "company"),
        "lead": (Lead, lead_restore, "lead"),
        "deal": (Opportunity, opportunity_restore, "opportunity"),
    }
    if kind not in restorers:
        raise Http404
    model, restore, argument = restorers[kind]
    try:
        record = model.all_objects.get(pk=pk)
    except model.DoesNotExist:
        raise Http404 from None
    try:
        restore(**{argument: record, "actor": request.user})
    except ValidationError as error:
        messages.error(request, first_message(error))
    else:
        messages.success(request, _("%(name)s was restored.") % {"name": record})
    return HttpResponseRedirect(reverse("leads:trash"))
