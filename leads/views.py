"""The IS rep's workspace: the call queue and the lead page with its in-place actions.

Lead-page actions post with htmx and get the page's ``lead-page`` partial back (errors in place,
or the updated lead); without htmx they fall back to a redirect (success) or the full page (errors).
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.forms import LogActivityForm
from activities.selectors import lead_activity_list
from handoffs.forms import SqlHandoffForm
from handoffs.selectors import fs_rep_suggestions, lead_handoff_list
from opportunities.selectors import company_opportunity_list
from org.forms import add_service_error, report_unshown_errors
from org.models import User
from org.services import user_set_on_shift

from .filters import QueueFilter
from .forms import (
    BantForm,
    DisqualifyForm,
    ImportColumnsForm,
    ImportFileForm,
    ImportRunForm,
    ImportUploadForm,
    NurtureForm,
    RecycleForm,
)
from .geography import PREFECTURE_CHOICES
from .imports import FIELDS_BY_NAME, RowChecker, error_message, write_error_report
from .imports import mapping_errors as imports_mapping_errors
from .models import Campaign, ImportJob, Industry, Lead, LeadSource
from .selectors import (
    QueueScope,
    distribution_teams,
    import_job_get,
    import_job_list,
    import_job_progress,
    inbound_distribution,
    lead_get,
    lead_queue,
    lead_queue_counts,
    lead_recycle_list,
    lead_rows_in_order,
    lead_touch_point_list,
)
from .services import (
    can_import_leads,
    import_job_create,
    import_job_replace_file,
    import_job_set_columns,
    import_job_start,
    lead_disqualify,
    lead_nurture,
    lead_recycle,
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
