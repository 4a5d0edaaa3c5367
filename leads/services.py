"""Every write to companies and leads. Lead status moves only through ``_transition``."""

import logging
from datetime import date, timedelta

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.bulk import copy_insert
from org.errors import field_error
from org.history import history_snapshot_rows, records_actor
from org.models import Team, User
from org.outbox import outbox_enqueue

from . import imports
from .dates import week_of_month_end, week_of_month_start, weeks_in_month
from .models import (
    Campaign,
    CampaignEmailRequest,
    CampaignEmailRequestEvent,
    Company,
    ImportJob,
    ImportMapping,
    Industry,
    Lead,
    LeadCheckpoint,
    LeadEvent,
    LeadRecycle,
    LeadSource,
    MqlRejectReason,
    MqlReview,
    NurturingCheckpoint,
    Origin,
    RecycleReason,
    Temperature,
)

logger = logging.getLogger(__name__)

S = Lead.Status

# Which status a lead may move to from each status. Re-recycling a recycled lead is a new plan.
LEAD_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.WORKING, S.NURTURING, S.RECYCLED, S.QUALIFIED, S.DISQUALIFIED}),
    S.WORKING: frozenset({S.NURTURING, S.RECYCLED, S.QUALIFIED, S.DISQUALIFIED}),
    S.NURTURING: frozenset({S.WORKING, S.RECYCLED, S.QUALIFIED, S.DISQUALIFIED}),
    S.RECYCLED: frozenset({S.WORKING, S.RECYCLED, S.NURTURING, S.QUALIFIED, S.DISQUALIFIED}),
    # FS rejected the SQL (back to working) or sent the deal back (recycled).
    S.QUALIFIED: frozenset({S.WORKING, S.RECYCLED}),
    S.DISQUALIFIED: frozenset({S.WORKING}),
}


# Relations a transition never changes to a row that might not exist (the callers pass instances).
LEAD_RELATIONS = ["company", "source", "campaign", "team", "owner", "recycle_reason"]


@transaction.atomic
def company_create(
    *,
    name: str,
    industry: Industry | None = None,
    employee_count: int | None = None,
    prefecture: str = "",
    website: str = "",
    phone: str = "",
) -> Company:
    company = Company(
        name=name.strip(),
        industry=industry,
        employee_count=employee_count,
        prefecture=prefecture,
        website=website,
        phone=phone,
    )
    company.full_clean()
    company.save()
    return company


@records_actor
@transaction.atomic
def lead_create(
    *,
    actor: User | None,
    company: Company,
    last_name: str,
    source: LeadSource,
    origin: str,
    first_name: str = "",
    department: str = "",
    title: str = "",
    email: str = "",
    phone: str = "",
    campaign: Campaign | None = None,
    team: Team | None = None,
    owner: User | None = None,
    next_approach_on: date | None = None,
) -> Lead:
    """A new lead is an asset from the day it arrives unless another day is given."""
    if campaign is not None and campaign.source_id != source.pk:
        raise field_error("campaign", _("The campaign belongs to another lead source."), code="campaign_source")
    lead = Lead(
        company=company,
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        department=department,
        title=title,
        email=email.strip().lower(),
        phone=phone,
        source=source,
        campaign=campaign,
        origin=origin,
        team=team or (owner.team if owner else None),
        owner=owner,
        status=S.NEW,
        next_approach_on=next_approach_on or timezone.localdate(),
    )
    lead.full_clean()
    lead.save()
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.CREATED, to_status=S.NEW, to_owner=owner, actor=actor)
    return lead


def _locked(lead: Lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _transition(lead: Lead, *, to: str, actor: User | None, note: str = "", **changes) -> Lead:
    """Moves a locked lead to ``to``, applying ``changes``; records the move. Callers hold the lock."""
    if to not in LEAD_TRANSITIONS[lead.status]:
        raise ValidationError(
            _("A %(from)s lead cannot become %(to)s."),
            code="illegal_transition",
            params={"from": S(lead.status).label, "to": S(to).label},
        )
    if lead.status == S.QUALIFIED and lead.opportunities.filter(status="open").exists():
        # Only rejecting the SQL or closing its deal gives the lead back to Inside Sales.
        raise ValidationError(
            _("The lead is with Field Sales: its deal must be closed or the SQL rejected first."), code="sql_open"
        )
    from_status = lead.status
    lead.status = to
    for field, value in changes.items():
        setattr(lead, field, value)
    if to != S.RECYCLED:
        lead.recycle_reason = None
    if to not in (S.NURTURING, S.DISQUALIFIED):
        lead.status_reason = ""
    if to not in Lead.OPEN_STATUSES:
        lead.next_approach_on = None
    # The table above and the callers' checks keep the lead's constraints; the database enforces them
    # again on save, so re-validating each one here would only cost a round trip per constraint.
    lead.full_clean(exclude=LEAD_RELATIONS, validate_constraints=False)
    lead.save(
        update_fields=[
            "status",
            "status_reason",
            "next_approach_on",
            "recycle_reason",
            *changes.keys(),
            "updated_at",
        ]
    )
    event = LeadEvent(
        lead=lead, kind=LeadEvent.Kind.STATUS, from_status=from_status, to_status=to, actor=actor, note=note
    )
    # The note is free text from the caller: checked like any field before anything is written.
    event.full_clean(exclude=["lead", "actor", "from_owner", "to_owner"], validate_constraints=False)
    event.save()
    return lead


@records_actor
@transaction.atomic
def lead_start_working(*, lead: Lead, actor: User | None, note: str = "") -> Lead:
    """Idempotent: a lead already being worked stays as it is."""
    lead = _locked(lead)
    if lead.status == S.WORKING:
        return lead
    next_on = lead.next_approach_on or timezone.localdate()
    return _transition(lead, to=S.WORKING, actor=actor, note=note, next_approach_on=next_on)


@records_actor
@transaction.atomic
def lead_set_next_approach(*, lead: Lead, actor: User | None, next_approach_on: date) -> Lead:
    lead = _locked(lead)
    if not lead.is_open:
        raise field_error("next_approach_on", _("Only an open lead has a next approach date."), code="lead_closed")
    if next_approach_on < timezone.localdate():
        raise field_error("next_approach_on", _("The date is in the past."), code="date_in_past")
    lead.next_approach_on = next_approach_on
    lead.save(update_fields=["next_approach_on", "updated_at"])
    return lead


def recycle_approach_date(
    *,
    today: date,
    approach_on: date | None = None,
    year: int | None = None,
    month: int | None = None,
    week: int | None = None,
) -> tuple[str, date]:
    """The precision and first day of a re-approach plan; raises with the field that is wrong."""
    if approach_on is not None:
        if approach_on <= today:
            raise field_error("approach_on", _("Choose a day after today."), code="date_not_future")
        return LeadRecycle.Precision.DAY, approach_on
    if month is None or week is None:
        raise field_error(
            "approach_on", _("Give a re-approach date, or at least the month and the week."), code="approach_missing"
        )
    if not 1 <= month <= 12:
        raise field_error("month", _("Month must be between 1 and 12."), code="month_range")
    if year is None:
        year = today.year if month >= today.month else today.year + 1
    if not 1 <= week <= weeks_in_month(year, month):
        raise field_error(
            "week",
            _("%(year)s/%(month)s has weeks 1 to %(weeks)s."),
            code="week_range",
            params={"year": year, "month": month, "weeks": weeks_in_month(year, month)},
        )
    if week_of_month_end(year, month, week) <= today:
        raise field_error("week", _("That week is already over."), code="week_past")
    return LeadRecycle.Precision.WEEK, max(week_of_month_start(year, month, week), today + timedelta(days=1))


@records_actor
@transaction.atomic
def lead_recycle(
    *,
    lead: Lead,
    actor: User,
    reason: RecycleReason,
    approach_on: date | None = None,
    year: int | None = None,
    month: int | None = None,
    week: int | None = None,
    assignee: User | None = None,
    method: str = LeadRecycle.Method.CALL,
    note: str = "",
    team: Team | None = None,
) -> Lead:
    """A recycled lead always has a reason and a day it comes back; it leaves today's queue until then.

    ``team`` moves it to another IS team's pool (e.g. a deal sent back goes to the recycle group).
    """
    if not reason.is_active:
        raise field_error("reason", _("This reason is no longer in use."), code="reason_inactive")
    if assignee is not None and assignee.role != User.Role.IS:
        raise field_error("assignee", _("Leads are owned by inside-sales reps."), code="owner_not_is")
    today = timezone.localdate()
    precision, first_day = recycle_approach_date(
        today=today, approach_on=approach_on, year=year, month=month, week=week
    )
    lead = _locked(lead)
    changes = {"next_approach_on": first_day, "recycle_reason": reason}
    if team is not None and team.pk != lead.team_id:
        changes["team"] = team
    new_owner = assignee if assignee is not None else (None if "team" in changes else lead.owner)
    owner_changed = new_owner != lead.owner
    previous_owner = lead.owner
    if owner_changed:
        changes["owner"] = new_owner
    _transition(lead, to=S.RECYCLED, actor=actor, note=note, **changes)
    if owner_changed:
        LeadEvent.objects.create(
            lead=lead, kind=LeadEvent.Kind.OWNER, from_owner=previous_owner, to_owner=new_owner, actor=actor
        )
    week_fields = (
        {"year": first_day.year if year is None else year, "month": month, "week": week}
        if precision == LeadRecycle.Precision.WEEK
        else {}
    )
    plan = LeadRecycle(
        lead=lead,
        reason=reason,
        precision=precision,
        approach_on=first_day,
        assignee=assignee,
        method=method,
        note=note,
        created_by=actor,
        **week_fields,
    )
    plan.full_clean()
    plan.save()
    return lead


@records_actor
@transaction.atomic
def lead_nurture(*, lead: Lead, actor: User, reason: str, next_approach_on: date) -> Lead:
    if not reason.strip():
        raise field_error("reason", _("Say why the lead goes to nurturing."), code="reason_required")
    if next_approach_on <= timezone.localdate():
        raise field_error("next_approach_on", _("Choose a day after today."), code="date_not_future")
    lead = _locked(lead)
    if lead.status == S.NURTURING:
        return lead
    return _transition(
        lead, to=S.NURTURING, actor=actor, note=reason, status_reason=reason.strip(), next_approach_on=next_approach_on
    )


@records_actor
@transaction.atomic
def lead_disqualify(*, lead: Lead, actor: User, reason: str) -> Lead:
    if not reason.strip():
        raise field_error("reason", _("Say why the lead is disqualified."), code="reason_required")
    lead = _locked(lead)
    if lead.status == S.DISQUALIFIED:
        return lead
    return _transition(lead, to=S.DISQUALIFIED, actor=actor, note=reason, status_reason=reason.strip())


@records_actor
@transaction.atomic
def lead_qualify(*, lead: Lead, actor: User) -> Lead:
    """Marks the lead as an SQL. Only the SQL handoff calls this, inside its own transaction."""
    lead = _locked(lead)
    if lead.status == S.QUALIFIED:
        return lead
    if not lead.temperature:
        raise field_error(
            "temperature", _("Hear BANT (or the meeting agreement) before qualifying."), code="temperature_missing"
        )
    return _transition(lead, to=S.QUALIFIED, actor=actor)


TEMPERATURE_MISMATCH = {
    Temperature.A: _("All four BANT items were heard, so the temperature is A, not %(chosen)s."),
    Temperature.B: _(
        "Authority and needs were heard but budget or timeframe is missing, so the temperature is B, not %(chosen)s."
    ),
    "": _(
        "%(chosen)s does not fit what was heard: A needs all four BANT items, B needs authority and needs, "
        "C needs the customer's agreement to a meeting."
    ),
}


def temperature_for(*, budget: str, authority: str, needs: str, timeframe: str, meeting_agreed: bool) -> str:
    """A = BANT complete; B = authority and needs heard, budget or timeframe missing; C = the customer
    agreed to a sales meeting (set by hand). Anything less has no temperature yet."""
    heard = [bool(v.strip()) for v in (budget, authority, needs, timeframe)]
    if all(heard):
        return Temperature.A
    if heard[1] and heard[2]:
        return Temperature.B
    if meeting_agreed:
        return Temperature.C
    return ""


@records_actor
@transaction.atomic
def lead_update_bant(
    *,
    lead: Lead,
    actor: User,
    budget: str,
    authority: str,
    needs: str,
    timeframe: str,
    meeting_agreed: bool = False,
    temperature: str | None = None,
) -> Lead:
    """Stores what was heard; the temperature follows from it. A ``temperature`` the rep chose must be
    the one the BANT supports (choosing C states the meeting agreement); blank means "work it out"."""
    temperature = temperature or None
    if temperature is not None:
        meeting_agreed = temperature == Temperature.C
    supported = temperature_for(
        budget=budget, authority=authority, needs=needs, timeframe=timeframe, meeting_agreed=meeting_agreed
    )
    if temperature is not None and temperature != supported:
        raise field_error(
            "temperature",
            TEMPERATURE_MISMATCH[supported],
            code="temperature_inconsistent",
            params={"chosen": temperature or "-"},
        )
    lead = _locked(lead)
    if not lead.is_open:
        raise ValidationError(_("Only an open lead can be qualified."), code="lead_closed")
    lead.bant_budget, lead.bant_authority = budget.strip(), authority.strip()
    lead.bant_needs, lead.bant_timeframe = needs.strip(), timeframe.strip()
    lead.temperature = supported
    lead.full_clean()
    lead.save(
        update_fields=["bant_budget", "bant_authority", "bant_needs", "bant_timeframe", "temperature", "updated_at"]
    )
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.BANT, actor=actor, note=lead.temperature)
    return lead


@records_actor
@transaction.atomic
def lead_assign(*, lead: Lead, owner: User | None, actor: User | None, note: str = "") -> Lead:
    """Gives the lead to an IS rep (or back to the team pool); idempotent."""
    lead = _locked(lead)
    if owner is not None and owner.role != User.Role.IS:
        raise field_error("owner", _("Leads are owned by inside-sales reps."), code="owner_not_is")
    if lead.owner_id == (owner.pk if owner else None):
        return lead
    previous = lead.owner
    lead.owner = owner
    if owner is not None and owner.team_id:
        lead.team_id = owner.team_id
    lead.save(update_fields=["owner", "team", "updated_at"])
    LeadEvent.objects.create(
        lead=lead, kind=LeadEvent.Kind.OWNER, from_owner=previous, to_owner=owner, actor=actor, note=note
    )
    return lead


@transaction.atomic
def lead_touch(*, lead: Lead, at) -> None:
    """Records that someone worked the lead at ``at``; the mark only ever moves forward. Saved on the locked
    row (not ``update()``) so that the change history keeps up with it."""
    lead = _locked(lead)
    if lead.last_activity_at is not None and lead.last_activity_at >= at:
        return
    lead.last_activity_at = at
    lead.save(update_fields=["last_activity_at", "updated_at"])


# -- lead import ------------------------------------------------------------------------------------------

IMPORT_BATCH = 2000
ANALYZE_AFTER_ROWS = 10_000
IMPORT_PROGRESS_TIMEOUT = 24 * 3600


def import_progress_key(job_id: int) -> str:
    return f"leads:import:{job_id}:rows-done"


def _import_progress(job_id: int, done: int) -> None:
    """Progress goes to the cache (Redis with a worker), not the job row: the import writes in one
    transaction that the page polling for progress cannot see into until it commits."""
    cache.set(import_progress_key(job_id), done, IMPORT_PROGRESS_TIMEOUT)


def _file_error(error: imports.FileError) -> ValidationError:
    return field_error("file", error.message, code=error.code, params=error.params)


@records_actor
@transaction.atomic
def import_mapping_save(
    *, source: LeadSource, name: str, columns: dict, origin: str = "", team: Team | None = None, actor: User
) -> ImportMapping:
    """A source's mapping by name: saving under an existing name replaces it."""
    mapping = ImportMapping.objects.select_for_update().filter(source=source, name=name.strip()).first()
    mapping = mapping or ImportMapping(source=source, name=name.strip())
    mapping.columns = {field: heading for field, heading in columns.items() if heading}
    mapping.origin, mapping.team, mapping.updated_by = origin, team, actor
    mapping.full_clean()
    mapping.save()
    return mapping


def _check_importer(actor: User) -> None:
    if not can_import_leads(actor):
        raise ValidationError(_("Only Marketing, managers and administrators import leads."), code="not_allowed")


def can_import_leads(user: User) -> bool:
    return user.is_active and (
        user.is_superuser or user.role in (User.Role.MARKETING, User.Role.MANAGER, User.Role.ADMIN)
    )


@records_actor
@transaction.atomic
def import_job_create(
    *,
    actor: User,
    file_name: str,
    data: bytes,
    source: LeadSource,
    mapping: ImportMapping | None = None,
    team: Team | None = None,
) -> ImportJob:
    """Reads the whole file (rows stored on the job, so a worker elsewhere needs no shared disk) and
    proposes a column mapping: the saved one's columns that the file has, then headings that name a field."""
    _check_importer(actor)
    if mapping is not None and mapping.source_id != source.pk:
        raise field_error("mapping", _("This mapping belongs to another lead source."), code="mapping_source")
    if team is not None and not team.is_inside_sales:
        raise field_error("team", _("Leads go to an inside-sales team."), code="team_not_is")
    try:
        with imports.gc_paused():
            parsed = imports.read_file(name=file_name, data=data)
    except imports.FileError as error:
        raise _file_error(error) from None
    job = ImportJob(
        file_name=file_name[:255],
        encoding=parsed.encoding,
        source=source,
        mapping=mapping,
        columns=imports.guess_columns(parsed.headers, mapping.columns if mapping else None),
        origin=mapping.origin if mapping else "",
        team=team or (mapping.team if mapping else None),
        headers=parsed.headers,
        rows=parsed.rows,
        total_rows=len(parsed.rows),
        created_by=actor,
    )
    job.full_clean(exclude=["rows", "report"])
    job.save()
    return job


def _locked_job(job: ImportJob, *, rows: bool = False) -> ImportJob:
    """The job's row, locked; its stored rows (megabytes for a large file) only when asked for."""
    qs = ImportJob.objects.select_for_update()
    return (qs.defer("checked") if rows else qs.defer("rows", "report", "checked")).get(pk=job.pk)


JOB_FIELDS = [
    "status",
    "columns",
    "origin",
    "team",
    "mapping",
    "total_rows",
    "valid_rows",
    "error_rows",
    "rows_done",
    "report",
    "failure",
    "validated_at",
]


def _check_editable(job: ImportJob) -> None:
    if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATED, ImportJob.Status.FAILED):
        raise ValidationError(
            _("This import is %(status)s and can no longer be changed."),
            code="import_not_editable",
            params={"status": job.get_status_display()},
        )


@records_actor
@transaction.atomic
def import_job_replace_file(*, job: ImportJob, actor: User, file_name: str, data: bytes) -> ImportJob:
    """The corrected file for the same import: same source and mapping, validated again."""
    _check_importer(actor)
    job = _locked_job(job, rows=True)
    _check_editable(job)
    try:
        parsed = imports.read_file(name=file_name, data=data)
    except imports.FileError as error:
        raise _file_error(error) from None
    job.file_name, job.encoding, job.headers, job.rows = file_name[:255], parsed.encoding, parsed.headers, parsed.rows
    job.columns = imports.guess_columns(parsed.headers, job.columns)
    _reset_report(job, total=len(parsed.rows))
    job.full_clean(exclude=["rows", "report"])
    job.save()
    return job


def _reset_report(job: ImportJob, *, total: int) -> None:
    job.status = ImportJob.Status.UPLOADED
    job.total_rows, job.valid_rows, job.error_rows, job.rows_done = total, 0, 0, 0
    job.report, job.failure, job.validated_at = [], "", None


@records_actor
@transaction.atomic
def import_job_set_columns(
    *,
    job: ImportJob,
    actor: User,
    columns: dict,
    origin: str = "",
    team: Team | None = None,
    save_as: str = "",
    queue: bool = True,
) -> ImportJob:
    """Sets the mapping and queues the validation of every row; ``save_as`` also saves the mapping as the
    source's named mapping, for its next files."""
    _check_importer(actor)
    job = _locked_job(job)
    _check_editable(job)
    columns = {field: heading for field, heading in columns.items() if heading}
    errors = imports.mapping_errors(columns, job.headers)
    if errors:
        raise ValidationError(
            {
                field: [ValidationError(message, code="mapping") for message in messages]
                for field, messages in errors.items()
            }
        )
    if team is not None and not team.is_inside_sales:
        raise field_error("team", _("Leads go to an inside-sales team."), code="team_not_is")
    if save_as.strip():
        job.mapping = import_mapping_save(
            source=job.source, name=save_as, columns=columns, origin=origin, team=team, actor=actor
        )
    job.columns, job.origin, job.team = columns, origin, team
    _reset_report(job, total=job.total_rows)
    job.status = ImportJob.Status.VALIDATING
    job.full_clean(exclude=["rows", "report"])
    job.save(update_fields=JOB_FIELDS)
    _import_progress(job.pk, 0)
    if queue:
        outbox_enqueue("leads.tasks.validate_import", job.pk)
    return job


def _checker(job: ImportJob) -> imports.RowChecker:
    return imports.RowChecker(headers=job.headers, columns=job.columns, source=job.source, origin=job.origin)


def import_job_validate(*, job_id: int) -> ImportJob | None:
    """Checks every row and stores the report; a job no longer waiting for it is left alone (a task
    delivered twice validates once)."""
    job = ImportJob.objects.select_related("source").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.VALIDATING:
        return job
    checker = _checker(job)
    with imports.gc_paused():
        results = checker.check_rows(job.rows, progress=lambda done: _import_progress(job.pk, done))
        checked = imports.pack(results)
        report = checker.dedupe(results)
    with transaction.atomic():
        job = _locked_job(job)
        if job.status != ImportJob.Status.VALIDATING:
            return job
        job.status = ImportJob.Status.VALIDATED
        job.valid_rows, job.error_rows = len(report.valid), len(report.invalid)
        job.rows_done = job.total_rows
        job.report, job.checked = report.as_json(), checked
        job.validated_at = timezone.now()
        job.save(
            update_fields=[
                "status",
                "valid_rows",
                "error_rows",
                "rows_done",
                "report",
                "checked",
                "validated_at",
                "failure",
            ]
        )
    return job


@records_actor
@transaction.atomic
def import_job_start(*, job: ImportJob, actor: User, mode: str, queue: bool = True) -> ImportJob:
    """ "Import all" only for a clean file; "only the valid rows" skips the reported ones. Queues the import."""
    _check_importer(actor)
    job = _locked_job(job)
    if job.status != ImportJob.Status.VALIDATED:
        raise ValidationError(
            _("Only a validated file can be imported (this one is %(status)s)."),
            code="import_not_validated",
            params={"status": job.get_status_display()},
        )
    if mode not in ImportJob.Mode.values:
        raise field_error("mode", _("Choose what to import."), code="mode_invalid")
    if job.valid_rows == 0:
        raise field_error("mode", _("No row is valid: fix the file and upload it again."), code="nothing_valid")
    if mode == ImportJob.Mode.ALL and job.error_rows:
        raise field_error(
            "mode",
            _("%(count)s rows have errors: fix them, or import only the valid rows."),
            code="file_not_clean",
            params={"count": job.error_rows},
        )
    job.mode, job.status, job.rows_done, job.failure = mode, ImportJob.Status.IMPORTING, 0, ""
    job.save(update_fields=["mode", "status", "rows_done", "failure"])
    _import_progress(job.pk, 0)
    if queue:
        outbox_enqueue("leads.tasks.run_import", job.pk)
    return job


def _serialize_imports() -> None:
    """One import writes at a time, so two files holding the same person cannot both pass the duplicate
    check before either commits. SQLite serialises writers by itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


IMPORT_LOCK_KEY = 0x4B4B_1D0C  # any constant; names this lock among the database's advisory locks


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Imports the job's rows in one transaction: the rows checked again for duplicates under the import
    lock (the database may have changed since validation), then companies, leads and their "created"
    events written in batches. All or nothing: a failure leaves no lead behind and the job failed with why.
    Inbound leads are handed to the reps on shift in turn (``distribution_plan``); the rest wait in the
    team's pool."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.IMPORTING:
        return job
    try:
        with transaction.atomic():
            _serialize_imports()
            job = (
                ImportJob.objects.select_for_update(of=("self",))
                .select_related("source", "team", "created_by")
                .defer("rows")
                .get(pk=job_id)
            )
            if job.status != ImportJob.Status.IMPORTING:
                return job
            with imports.gc_paused():
                _import_rows(job)
    except Exception as error:
        logger.exception("Lead import %s failed", job_id)
        with transaction.atomic():
            job = _locked_job(job)
            job.status = ImportJob.Status.FAILED
            job.failure = _("The import stopped and nothing was imported: %(error)s") % {
                "error": f"{type(error).__name__}: {error}"[:500]
            }
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "failure", "finished_at"])
    return job


def _recheck(job: ImportJob) -> tuple[imports.Report, list[dict]]:
    """The file's rows checked again for duplicates, since other imports and reps may have added some of
    these people after validation; and the error report of the whole file. The checks of each row's own
    cells are not repeated: their outcome is kept on the job."""
    checker = _checker(job)
    # A job validated before the checked rows were kept has none: check its rows again in full.
    checked = job.checked or imports.pack(checker.check_rows(job.rows))
    numbers = {number for number, _values in checked}
    report = checker.dedupe(imports.unpack(checked, {}))
    if report.invalid:
        # The cells of the rows that became duplicates, for the report (the file is megabytes: read it only now).
        cells = dict(job.rows)
        for row in report.invalid:
            row.cells = cells[row.number]
    entries = [entry for entry in job.report if entry["row"] not in numbers] + report.as_json()
    entries.sort(key=lambda entry: entry["row"])
    return report, entries


def _size_bands(company_ids: set[int]) -> dict[int, str]:
    bands = {}
    ids = sorted(company_ids)
    for start in range(0, len(ids), imports.QUERY_CHUNK):
        chunk = ids[start : start + imports.QUERY_CHUNK]
        bands.update(Company.objects.filter(id__any=chunk).values_list("id", "size_band"))
    return bands


def _import_rows(job: ImportJob) -> None:
    report, entries = _recheck(job)
    if job.mode == ImportJob.Mode.ALL and report.invalid:
        # Someone else imported some of these people since validation: nothing is written.
        job.status = ImportJob.Status.VALIDATED
        job.valid_rows, job.error_rows, job.report = len(report.valid), len(entries), entries
        job.failure = _(
            "%(count)s rows became duplicates after validation; nothing was imported. Check the report."
        ) % {"count": len(report.invalid)}
        job.save(update_fields=["status", "valid_rows", "error_rows", "report", "failure"])
        return
    today = timezone.localdate()
    companies = dict(report.companies)
    new_companies = {}
    for row in report.valid:
        v = row.values
        if v["company_key"] not in companies and v["company_key"] not in new_companies:
            new_companies[v["company_key"]] = (
                v["company_name"],
                v["company_key"],
                v["industry_id"],
                v["employee_count"],
                v["prefecture"],
                v["website"],
            )
    company_ids = copy_insert(
        Company,
        ("name", "name_key", "industry_id", "employee_count", "prefecture", "website"),
        new_companies.values(),
    )
    companies.update(zip(new_companies, company_ids, strict=True))
    size_bands = _size_bands({companies[row.values["company_key"]] for row in report.valid})
    from .distribution import distribution_plan

    # Inbound leads go to the reps on shift in turn, as the MA webhook's do; the import lock and the
    # pools' cursor rows keep two imports (or an import and a webhook) from handing out the same turn.
    owners = distribution_plan(
        leads=[
            (v["source_id"], size_bands.get(companies[v["company_key"]], ""), v["origin"])
            for v in (row.values for row in report.valid)
        ],
        team=job.team,
    )

    done = 0
    for start in range(0, len(report.valid), IMPORT_BATCH):
        batch = report.valid[start : start + IMPORT_BATCH]
        batch_owners = owners[start : start + IMPORT_BATCH]
        lead_ids = copy_insert(
            Lead,
            (
                "owner_id",
                "team_id",
                "company_id",
                "last_name",
                "first_name",
                "department",
                "title",
                "email",
                "phone",
                "phone_key",
                "source_id",
                "campaign_id",
                "origin",
            ),
            (
                (
                    owner_id,
                    team_id,
                    companies[v["company_key"]],
                    v["last_name"],
                    v["first_name"],
                    v["department"],
                    v["title"],
                    v["email"],
                    v["phone"],
                    v["phone_key"],
                    v["source_id"],
                    v["campaign_id"],
                    v["origin"],
                )
                for (owner_id, team_id), v in zip(batch_owners, (row.values for row in batch), strict=True)
            ),
            status=S.NEW,
            next_approach_on=today,
        )
        # Their creation snapshots, copied by the database in the same transaction: an imported lead's
        # history starts here.
        history_snapshot_rows(Lead, lead_ids, user=job.created_by, reason=f"import #{job.pk}")
        copy_insert(
            LeadEvent,
            ("lead_id", "to_owner_id", "note"),
            (
                (lead_id, owner_id, f"import #{job.pk} row {row.number}")
                for lead_id, (owner_id, _team_id), row in zip(lead_ids, batch_owners, batch, strict=True)
            ),
            kind=LeadEvent.Kind.CREATED,
            to_status=S.NEW,
            actor_id=job.created_by_id,
        )
        done += len(batch)
        _import_progress(job.pk, done)
    # bulk_create skips the save signals that keep the metrics current: new leads count on the day they
    # arrive and are assets today.
    from dashboards.services import metrics_mark_dirty

    metrics_mark_dirty(days=[today] if report.valid else [])
    if connection.vendor == "postgresql" and done >= ANALYZE_AFTER_ROWS:
        # The planner's statistics lag behind a large import until autovacuum comes round; the next file's
        # duplicate check would scan whole tables instead of using the email, phone and name indexes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE leads_lead, leads_company")
    job.status = ImportJob.Status.DONE
    job.valid_rows, job.error_rows, job.report = len(report.valid), len(entries), entries
    job.imported_rows, job.companies_created, job.rows_done = done, len(company_ids), job.total_rows
    job.rows, job.checked = [], []
    job.finished_at = timezone.now()
    job.save()


# --- Nurturing checkpoints -----------------------------------------------------------------------------------


@records_actor
@transaction.atomic
def lead_checkpoint_mark(
    *, lead: Lead, checkpoint: NurturingCheckpoint, actor: User, outcome: str = LeadCheckpoint.Outcome.DONE
) -> LeadCheckpoint:
    """Marks one nurturing step of an open lead done (or skipped); marking a marked step changes nothing."""
    if outcome not in LeadCheckpoint.Outcome.values:
        raise field_error("outcome", _("Choose done or skipped."), code="invalid")
    lead = _locked(lead)
    if not lead.is_open:
        raise ValidationError(_("Only an open lead is being nurtured."), code="lead_closed")
    if checkpoint.source_id != lead.source_id:
        raise field_error("checkpoint", _("This step belongs to another lead source."), code="checkpoint_other_source")
    existing = LeadCheckpoint.objects.filter(lead=lead, checkpoint=checkpoint).first()
    if existing is not None:
        return existing
    if not checkpoint.is_active:
        raise field_error("checkpoint", _("This step is no longer in use."), code="checkpoint_inactive")
    mark = LeadCheckpoint(lead=lead, checkpoint=checkpoint, outcome=outcome, marked_by=actor)
    mark.full_clean()
    mark.save()
    return mark


@records_actor
@transaction.atomic
def lead_checkpoint_unmark(*, lead: Lead, checkpoint: NurturingCheckpoint, actor: User) -> None:
    """Takes a mark back (a slip of the hand); the step is suggested again. Idempotent."""
    lead = _locked(lead)
    if not lead.is_open:
        raise ValidationError(_("Only an open lead is being nurtured."), code="lead_closed")
    LeadCheckpoint.objects.filter(lead=lead, checkpoint=checkpoint).delete()


# --- MQL quality feedback ------------------------------------------------------------------------------------


@records_actor
@transaction.atomic
def lead_mql_review(
    *, lead: Lead, actor: User, verdict: str, reason: MqlRejectReason | None = None, note: str = ""
) -> MqlReview:
    """Inside Sales' verdict on an inbound lead: accepted, or not a fit with a reason from the picklist.

    A lead has one review; a new verdict replaces it (the last word counts). Repeating it changes nothing.
    """
    if verdict not in MqlReview.Verdict.values:
        raise field_error("verdict", _("Choose accepted or not a fit."), code="invalid")
    if verdict == MqlReview.Verdict.NOT_A_FIT and reason is None:
        raise field_error("reason", _("Choose why the lead is not a fit."), code="reason_required")
    if verdict == MqlReview.Verdict.ACCEPTED:
        reason = None
    lead = _locked(lead)
    if lead.origin != Origin.INBOUND:
        raise ValidationError(
            _("Only inbound leads are Marketing's MQLs; this one came from outbound."), code="not_mql"
        )
    review = MqlReview.objects.filter(lead=lead).first() or MqlReview(lead=lead)
    note = note.strip()
    if review.pk and (review.verdict, review.reason_id, review.note) == (verdict, reason and reason.pk, note):
        return review
    if reason is not None and not reason.is_active:
        raise field_error("reason", _("This reason is no longer in use."), code="reason_inactive")
    review.verdict, review.reason, review.note = verdict, reason, note
    review.reviewed_by, review.reviewed_at = actor, timezone.now()
    review.full_clean()
    review.save()
    return review


# --- Campaign email requests ---------------------------------------------------------------------------------

R = CampaignEmailRequest.Status

# Rescheduling a scheduled mail is a new plan; a sent or declined request is final.
EMAIL_REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    R.REQUESTED: frozenset({R.ACCEPTED, R.DECLINED}),
    R.ACCEPTED: frozenset({R.SCHEDULED, R.DECLINED}),
    R.SCHEDULED: frozenset({R.SCHEDULED, R.SENT, R.DECLINED}),
    R.SENT: frozenset(),
    R.DECLINED: frozenset(),
}
EMAIL_REQUESTERS = (User.Role.IS, User.Role.MANAGER, User.Role.ADMIN)
EMAIL_HANDLERS = (User.Role.MARKETING, User.Role.ADMIN)


def can_request_emails(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in EMAIL_REQUESTERS)


def can_handle_email_requests(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.role in EMAIL_HANDLERS)


def _desired_send_check(*, day: date, at_time, now) -> None:
    today = timezone.localdate(now)
    if day < today:
        raise field_error("desired_send_on", _("The send date is in the past."), code="date_in_past")
    if day == today and at_time is not None and at_time <= timezone.localtime(now).time():
        raise field_error("desired_send_time", _("That time today has passed."), code="time_in_past")


@records_actor
@transaction.atomic
def campaign_email_request_create(
    *,
    actor: User,
    subject: str,
    body: str,
    recipient_list: str,
    desired_send_on: date,
    desired_send_time=None,
    campaign: Campaign | None = None,
) -> CampaignEmailRequest:
    """IS asks Marketing to send a mail: subject, body and list are required, the day not in the past."""
    if not can_request_emails(actor):
        raise PermissionDenied(_("Inside Sales and their managers file mail requests."))
    now = timezone.now()
    email_request = CampaignEmailRequest(
        subject=subject.strip(),
        body=body.strip(),
        recipient_list=recipient_list.strip(),
        campaign=campaign,
        desired_send_on=desired_send_on,
        desired_send_time=desired_send_time,
        requested_by=actor,
    )
    email_request.full_clean()
    _desired_send_check(day=desired_send_on, at_time=desired_send_time, now=now)
    email_request.save()
    CampaignEmailRequestEvent.objects.create(email_request=email_request, to_status=R.REQUESTED, actor=actor)
    return email_request


def _email_request_move(
    email_request: CampaignEmailRequest, *, to: str, actor: User, note: str = "", **changes
) -> CampaignEmailRequest:
    """Moves a locked request to ``to`` with ``changes`` and records it. Callers hold the lock."""
    if to not in EMAIL_REQUEST_TRANSITIONS[email_request.status]:
        raise ValidationError(
            _("A %(from)s request cannot become %(to)s."),
            code="illegal_transition",
            params={"from": R(email_request.status).label, "to": R(to).label},
        )
    from_status = email_request.status
    email_request.status = to
    email_request.handled_by = actor
    for field, value in changes.items():
        setattr(email_request, field, value)
    email_request.full_clean(exclude=["requested_by", "campaign"])
    email_request.save(update_fields=["status", "handled_by", *changes.keys(), "updated_at"])
    CampaignEmailRequestEvent.objects.create(
        email_request=email_request, from_status=from_status, to_status=to, actor=actor, note=note
    )
    return email_request


def _locked_request(email_request: CampaignEmailRequest, actor: User) -> CampaignEmailRequest:
    if not can_handle_email_requests(actor):
        raise PermissionDenied(_("Marketing handles mail requests."))
    return CampaignEmailRequest.objects.select_for_update().get(pk=email_request.pk)


@records_actor
@transaction.atomic
def campaign_email_request_accept(*, email_request: CampaignEmailRequest, actor: User) -> CampaignEmailRequest:
    """Marketing takes the request on. Idempotent."""
    email_request = _locked_request(email_request, actor)
    if email_request.status == R.ACCEPTED:
        return email_request
    return _email_request_move(email_request, to=R.ACCEPTED, actor=actor, accepted_at=timezone.now())


@records_actor
@transaction.atomic
def campaign_email_request_schedule(
    *, email_request: CampaignEmailRequest, actor: User, scheduled_for
) -> CampaignEmailRequest:
    """The MA tool will send it at ``scheduled_for`` (in the future); scheduling again reschedules."""
    email_request = _locked_request(email_request, actor)
    if email_request.status == R.SCHEDULED and email_request.scheduled_for == scheduled_for:
        return email_request
    if R.SCHEDULED in EMAIL_REQUEST_TRANSITIONS[email_request.status] and scheduled_for <= timezone.now():
        raise field_error("scheduled_for", _("Schedule it for a time still to come."), code="time_in_past")
    return _email_request_move(
        email_request,
        to=R.SCHEDULED,
        actor=actor,
        note=timezone.localtime(scheduled_for).strftime("%Y-%m-%d %H:%M"),
        scheduled_for=scheduled_for,
        scheduled_at=timezone.now(),
    )


@records_actor
@transaction.atomic
def campaign_email_request_mark_sent(*, email_request: CampaignEmailRequest, actor: User) -> CampaignEmailRequest:
    """The mail went out. Idempotent."""
    email_request = _locked_request(email_request, actor)
    if email_request.status == R.SENT:
        return email_request
    return _email_request_move(email_request, to=R.SENT, actor=actor, sent_at=timezone.now())


@records_actor
@transaction.atomic
def campaign_email_request_decline(
    *, email_request: CampaignEmailRequest, actor: User, reason: str
) -> CampaignEmailRequest:
    """Marketing will not send it, and says why (the requester reads the reason). Idempotent."""
    if not reason.strip():
        raise field_error("reason", _("Say why the request is declined."), code="reason_required")
    email_request = _locked_request(email_request, actor)
    if email_request.status == R.DECLINED:
        return email_request
    return _email_request_move(
        email_request,
        to=R.DECLINED,
        actor=actor,
        note=reason.strip(),
        decline_reason=reason.strip(),
        declined_at=timezone.now(),
    )


# --- Trash ----------------------------------------------------------------------------------------------
# Deleting a company, lead or deal moves it to the trash: it vanishes from every list, page, queue, API
# and metric (the default managers hide it) and an admin may restore it for TRASH_DAYS days; then the
# nightly purge deletes it for good. Only admins delete and restore: managers disqualify leads and close
# deals, which keeps them counted; taking a record out of the figures everyone reads is an admin's call.
TRASH_DAYS = 30


def can_manage_trash(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.role == User.Role.ADMIN)


def check_can_manage_trash(user: User) -> None:
    if not can_manage_trash(user):
        raise PermissionDenied(_("Only administrators delete records and restore them from the trash."))


def trash_purge_due(deleted_at) -> "date":
    return timezone.localdate(deleted_at + timedelta(days=TRASH_DAYS))


def _mark_trash_days(*, lead_ids=(), opportunity_ids=(), company_ids=()) -> None:
    from dashboards.services import metrics_mark_records_dirty

    metrics_mark_records_dirty(lead_ids=lead_ids, opportunity_ids=opportunity_ids, company_ids=company_ids)


def _trash_leads(leads, *, actor: User, at, note: str) -> list[int]:
    """Trashes locked, live leads with one stamp and records it on each; callers checked their deals."""
    ids = [lead.pk for lead in leads]
    Lead.all_objects.filter(pk__in=ids).update(deleted_at=at, deleted_by=actor)
    history_snapshot_rows(Lead, ids, user=actor, reason=note, history_type="~")
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(lead_id=pk, kind=LeadEvent.Kind.DELETED, to_status=lead.status, actor=actor, note=note)
            for pk, lead in zip(ids, leads, strict=True)
        ]
    )
    return ids


def _restore_leads(leads, *, actor: User, note: str) -> list[int]:
    ids = [lead.pk for lead in leads]
    Lead.all_objects.filter(pk__in=ids).update(deleted_at=None, deleted_by=None)
    history_snapshot_rows(Lead, ids, user=actor, reason=note, history_type="~")
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(lead_id=pk, kind=LeadEvent.Kind.RESTORED, to_status=lead.status, actor=actor, note=note)
            for pk, lead in zip(ids, leads, strict=True)
        ]
    )
    return ids


def _check_no_live_deals(lead_ids: list[int]) -> None:
    from opportunities.models import Opportunity

    if Opportunity.objects.filter(origin_lead_id__in=lead_ids).exists():
        raise ValidationError(
            _("This lead has deals. Delete its deals first: a deal's history starts with its lead."),
            code="lead_has_deals",
        )


@transaction.atomic
def lead_delete(*, lead: Lead, actor: User, note: str = "") -> Lead:
    """Moves the lead, its activities, touch points, recycles and SQLs out of every list and figure.
    A lead with a deal that is not in the trash is refused (``lead_has_deals``): FS owns that deal.
    Idempotent: a lead already in the trash stays as it was deleted."""
    check_can_manage_trash(actor)
    lead = Lead.all_objects.select_for_update().get(pk=lead.pk)
    if lead.is_trashed:
        return lead
    _check_no_live_deals([lead.pk])
    _trash_leads([lead], actor=actor, at=timezone.now(), note=note[:500])
    _mark_trash_days(lead_ids=[lead.pk])
    lead.refresh_from_db(fields=["deleted_at", "deleted_by"])
    return lead


@transaction.atomic
def lead_restore(*, lead: Lead, actor: User) -> Lead:
    """Brings the lead back with everything hanging off it; its figures are recomputed. A lead whose
    company is in the trash comes back with the company (``company_in_trash``). Idempotent."""
    check_can_manage_trash(actor)
    lead = Lead.all_objects.select_for_update(of=("self",)).select_related("company").get(pk=lead.pk)
    if not lead.is_trashed:
        return lead
    if lead.company.is_trashed:
        raise ValidationError(
            _("Its company %(company)s is in the trash: restore the company."),
            code="company_in_trash",
            params={"company": lead.company.name},
        )
    _restore_leads([lead], actor=actor, note="")
    _mark_trash_days(lead_ids=[lead.pk])
    lead.refresh_from_db(fields=["deleted_at", "deleted_by"])
    return lead


@transaction.atomic
def company_delete(*, company: Company, actor: User) -> Company:
    """Trashes the company with its leads and deals, all with one stamp, so restoring the company brings
    back exactly what went with it. Refused while one of its deals has a customer account
    (``deal_has_customer_account``): a customer is not deleted. Idempotent."""
    from opportunities.services import trash_deals

    check_can_manage_trash(actor)
    company = Company.all_objects.select_for_update().get(pk=company.pk)
    if company.is_trashed:
        return company
    at = timezone.now()
    leads = list(Lead.objects.select_for_update().filter(company=company).order_by("pk"))
    deal_ids = trash_deals(company=company, lead_ids=[lead.pk for lead in leads], actor=actor, at=at)
    lead_ids = _trash_leads(leads, actor=actor, at=at, note=str(_("Deleted with the company."))) if leads else []
    company.deleted_at, company.deleted_by = at, actor
    company.save(update_fields=["deleted_at", "deleted_by"])
    _mark_trash_days(lead_ids=lead_ids, opportunity_ids=deal_ids, company_ids=[company.pk])
    return company


@transaction.atomic
def company_restore(*, company: Company, actor: User) -> Company:
    """Restores the company and the leads and deals trashed with it (those deleted on their own before
    stay in the trash). Idempotent."""
    from opportunities.services import restore_deals

    check_can_manage_trash(actor)
    company = Company.all_objects.select_for_update().get(pk=company.pk)
    if not company.is_trashed:
        return company
    at = company.deleted_at
    leads = list(Lead.all_objects.select_for_update().filter(company=company, deleted_at=at).order_by("pk"))
    company.deleted_at, company.deleted_by = None, None
    company.save(update_fields=["deleted_at", "deleted_by"])
    lead_ids = _restore_leads(leads, actor=actor, note=str(_("Restored with the company."))) if leads else []
    deal_ids = restore_deals(company=company, actor=actor, at=at)
    _mark_trash_days(lead_ids=lead_ids, opportunity_ids=deal_ids, company_ids=[company.pk])
    return company


def trash_purge(*, now=None) -> tuple[int, int]:
    """Deletes for good what has been in the trash longer than TRASH_DAYS, with the history that only
    existed for it (its activities and handoffs; events, recycles, touch points and phase moves cascade).
    A record something live still points at (a deal kept by a customer account, a revived deal, a lead
    whose deal is still in the trash) is kept and tried again next night. Returns (purged, kept).
    Each record is purged in its own transaction, so one kept record never holds back the others."""
    from activities.services import activities_purge
    from handoffs.services import handoffs_purge
    from opportunities.models import Opportunity

    cutoff = (now or timezone.now()) - timedelta(days=TRASH_DAYS)
    purged = kept = 0
    for model, key in ((Opportunity, "opportunity_id"), (Lead, "lead_id"), (Company, "company_id")):
        for pk in model.all_objects.filter(deleted_at__lte=cutoff).order_by("pk").values_list("pk", flat=True):
            try:
                with transaction.atomic():
                    record = model.all_objects.select_for_update().filter(pk=pk, deleted_at__lte=cutoff).first()
                    if record is None:
                        continue  # restored meanwhile
                    activities_purge(**{key: pk})
                    if key != "company_id":
                        handoffs_purge(**{key: pk})
                    record.delete()
                    purged += 1
            except ProtectedError:
                kept += 1
                logger.info("trash: kept %s %s, live records still point at it", model._meta.label, pk)
    return purged, kept
