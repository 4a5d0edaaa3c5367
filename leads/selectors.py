from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import get_language

from org.models import Team, User
from org.selectors import managed_team_ids

from .models import (
    CampaignEmailRequest,
    Company,
    ImportJob,
    ImportMapping,
    Lead,
    LeadCheckpoint,
    LeadRecycle,
    LeadSource,
    MqlRejectReason,
    MqlReview,
    NurturingCheckpoint,
    Origin,
    TouchPoint,
)


def lead_visibility(*, user: User) -> Q:
    """The one definition of which leads a user may see (see org.selectors for the rules)."""
    from handoffs.models import Handoff
    from opportunities.models import Opportunity

    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything or user.role == User.Role.MARKETING:
        return Q()
    if user.role == User.Role.MANAGER:
        teams = managed_team_ids(user=user)
        return Q(team__in=teams) | Q(owner__team__in=teams)
    if user.role == User.Role.IS:
        mine = Q(owner=user)
        return mine | Q(owner__isnull=True, team_id=user.team_id) if user.team_id else mine
    if user.role == User.Role.FS:
        return Q(Exists(Handoff.objects.filter(lead=OuterRef("pk"), to_user=user))) | Q(
            Exists(Opportunity.objects.filter(origin_lead=OuterRef("pk"), owner=user))
        )
    if user.role == User.Role.CS:
        return Q(Exists(Opportunity.objects.filter(origin_lead=OuterRef("pk"), cs_account__owner=user)))
    return Q(pk__in=[])


def lead_list(*, user: User) -> QuerySet[Lead]:
    return Lead.objects.filter(lead_visibility(user=user)).select_related(
        "company", "company__industry", "source", "campaign", "owner", "team", "recycle_reason"
    )


def lead_get(*, user: User, pk: int) -> Lead:
    """Raises Lead.DoesNotExist for a lead the user may not see, exactly as for one that does not exist."""
    return lead_list(user=user).get(pk=pk)


def company_list(*, user: User) -> QuerySet[Company]:
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    return Company.objects.select_related("industry")


class QueueScope:
    MINE = "mine"
    POOL = "pool"
    TEAM = "team"


def _queue_base(*, user: User, scope: str) -> QuerySet[Lead]:
    if scope == QueueScope.MINE and user.is_active and user.role == User.Role.IS:
        # An IS rep sees every lead they own; leaving the visibility OR out lets PostgreSQL estimate
        # the rep's rows and use the queue index instead of scanning the table.
        return Lead.objects.filter(owner=user, status__in=Lead.OPEN_STATUSES)
    qs = Lead.objects.filter(lead_visibility(user=user), status__in=Lead.OPEN_STATUSES)
    if scope == QueueScope.POOL:
        return qs.filter(owner__isnull=True, team_id=user.team_id)
    if scope == QueueScope.TEAM:
        return qs
    return qs.filter(owner=user)


def lead_queue(*, user: User, today: date, scope: str = QueueScope.MINE) -> QuerySet[Lead]:
    """Today's assets in working order: hot leads, recycles due, follow-ups due, new leads, then the rest;
    overdue first within each group. Hot leads are in the queue whatever their date."""
    return (
        _queue_base(user=user, scope=scope)
        .filter(Q(next_approach_on__lte=today) | Q(is_hot=True))
        .annotate(
            priority=Case(
                When(is_hot=True, then=Value(0)),
                When(status=Lead.Status.RECYCLED, then=Value(1)),
                When(status=Lead.Status.WORKING, then=Value(2)),
                When(status=Lead.Status.NEW, then=Value(3)),
                default=Value(4),
            )
        )
        .select_related("company", "source", "campaign", "owner")
        .order_by("priority", "next_approach_on", "id")
    )


def lead_queue_counts(*, user: User, today: date, scope: str = QueueScope.MINE) -> dict[str, int]:
    """Assets due today (overdue included), overdue, due by the end of this ISO week, and hot — one query."""
    week_end = today + timedelta(days=6 - today.weekday())
    return _queue_base(user=user, scope=scope).aggregate(
        today=Count("pk", filter=Q(next_approach_on__lte=today) | Q(is_hot=True)),
        overdue=Count("pk", filter=Q(next_approach_on__lt=today)),
        week=Count("pk", filter=Q(next_approach_on__lte=week_end) | Q(is_hot=True)),
        hot=Count("pk", filter=Q(is_hot=True)),
    )


def lead_recycle_list(*, lead: Lead) -> QuerySet[LeadRecycle]:
    return lead.recycles.select_related("reason", "assignee", "created_by")


def lead_touch_point_list(*, lead: Lead) -> QuerySet[TouchPoint]:
    return lead.touch_points.all()


def lead_rows_in_order(queue: QuerySet[Lead], pks) -> list[Lead]:
    """The rows of ``pks`` in that order: the queue sorts ids from the index, then only a page is joined."""
    rows = queue.order_by().in_bulk(list(pks))
    return [rows[pk] for pk in pks if pk in rows]


@dataclass(frozen=True)
class RepIntake:
    rep: User
    today: int
    week: int


@dataclass(frozen=True)
class TeamIntake:
    team: Team
    reps: list[RepIntake]
    pool_today: int  # inbound leads of today nobody was on shift to take
    pool_week: int

    @property
    def today(self) -> int:
        return sum(row.today for row in self.reps)

    @property
    def week(self) -> int:
        return sum(row.week for row in self.reps)


def distribution_teams(*, user: User) -> QuerySet[Team]:
    """The inside-sales teams whose distribution the user watches: all for admins, managed ones for managers."""
    teams = Team.objects.filter(kind__in=Team.IS_KINDS)
    if user.sees_everything:
        return teams
    if user.role == User.Role.MANAGER:
        return teams.filter(manager=user)
    return teams.none()


def inbound_distribution(*, user: User, today: date) -> list[TeamIntake]:
    """How many inbound leads each IS rep of the user's teams received today and this ISO week (by the
    lead's arrival, company time zone), read with one grouped query; on-shift reps with none are listed too."""
    teams = list(distribution_teams(user=user).order_by("name"))
    if not teams:
        return []
    day_start = timezone.make_aware(datetime.combine(today, time.min))
    week_start = day_start - timedelta(days=today.weekday())
    reps = list(
        User.objects.filter(team__in=teams, role=User.Role.IS, is_active=True).order_by("last_name", "username")
    )
    counts = {
        (row["team_id"], row["owner_id"]): row
        for row in Lead.objects.filter(origin=Origin.INBOUND, team__in=teams, created_at__gte=week_start)
        .values("team_id", "owner_id")
        .annotate(today=Count("pk", filter=Q(created_at__gte=day_start)), week=Count("pk"))
        .order_by()
    }
    empty = {"today": 0, "week": 0}
    result = []
    for team in teams:
        rows = [
            RepIntake(rep=rep, **{k: counts.get((team.pk, rep.pk), empty)[k] for k in empty})
            for rep in reps
            if rep.team_id == team.pk
        ]
        pool = counts.get((team.pk, None), empty)
        result.append(TeamIntake(team=team, reps=rows, pool_today=pool["today"], pool_week=pool["week"]))
    return result


def import_job_list(*, user: User) -> QuerySet[ImportJob]:
    """Marketing and administrators see every import (Marketing brings the leads in as a team); a manager
    sees their own. Everyone else sees none."""
    qs = ImportJob.objects.select_related("source", "team", "created_by", "mapping").defer("rows", "report")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.sees_everything or user.role == User.Role.MARKETING:
        return qs
    if user.role == User.Role.MANAGER:
        return qs.filter(created_by=user)
    return qs.none()


def import_job_get(*, user: User, pk: int) -> ImportJob:
    """Raises ImportJob.DoesNotExist for a job the user may not see."""
    return import_job_list(user=user).defer(None).get(pk=pk)


def import_job_progress(*, job: ImportJob) -> int:
    """Rows done: the running phase's count from the cache (the worker writes it there in batches)."""
    from django.core.cache import cache

    from .services import import_progress_key

    if job.is_running:
        return min(cache.get(import_progress_key(job.pk), 0), job.total_rows)
    return job.rows_done


def import_mapping_list(*, source: LeadSource | None = None) -> QuerySet[ImportMapping]:
    qs = ImportMapping.objects.select_related("source", "team")
    return qs.filter(source=source) if source is not None else qs


# --- Nurturing checkpoints -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NurturingStep:
    checkpoint: NurturingCheckpoint
    mark: LeadCheckpoint | None

    @property
    def is_open(self) -> bool:
        return self.mark is None


def lead_nurturing_steps(*, lead: Lead) -> list[NurturingStep]:
    """The active steps of the lead's source in order, each with the rep's mark if it has one."""
    marks = {mark.checkpoint_id: mark for mark in lead.checkpoints.select_related("marked_by")}
    checkpoints = NurturingCheckpoint.objects.filter(source_id=lead.source_id, is_active=True)
    return [NurturingStep(checkpoint, marks.get(checkpoint.pk)) for checkpoint in checkpoints]


def nurturing_checkpoint_get(*, pk: int) -> NurturingCheckpoint | None:
    return NurturingCheckpoint.objects.select_related("source").filter(pk=pk).first()


def suggested_step(steps: list[NurturingStep]) -> NurturingStep | None:
    """The first step not yet done (or skipped)."""
    return next((step for step in steps if step.is_open), None)


# --- MQL quality ---------------------------------------------------------------------------------------------


def lead_mql_review_get(*, lead: Lead) -> MqlReview | None:
    return MqlReview.objects.filter(lead=lead).select_related("reason", "reviewed_by").first()


@dataclass
class QualityRow:
    """MQLs of one source (and campaign) that arrived in a period, and what Inside Sales said of them."""

    source: str
    campaign: str
    mqls: int = 0
    accepted: int = 0
    not_a_fit: int = 0
    reasons: dict[int, int] = field(default_factory=dict)

    @property
    def reviewed(self) -> int:
        return self.accepted + self.not_a_fit

    @property
    def not_reviewed(self) -> int:
        return self.mqls - self.reviewed

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted over reviewed: an MQL nobody has looked at yet says nothing of its quality."""
        return self.accepted / self.reviewed if self.reviewed else None

    @property
    def acceptance_percent(self) -> float | None:
        return None if self.acceptance_rate is None else self.acceptance_rate * 100

    def add(self, other: "QualityRow") -> None:
        self.mqls += other.mqls
        self.accepted += other.accepted
        self.not_a_fit += other.not_a_fit
        for reason, count in other.reasons.items():
            self.reasons[reason] = self.reasons.get(reason, 0) + count


@dataclass
class MqlQuality:
    since: date
    until: date
    reasons: list[MqlRejectReason]
    by_campaign: list[QualityRow]
    by_source: list[QualityRow]
    total: QualityRow

    def top_reasons(self, row: QualityRow, limit: int = 3) -> list[tuple[MqlRejectReason, int]]:
        """The most given not-a-fit reasons of a row, most first (ties in the picklist's order)."""
        counted = [(reason, row.reasons.get(reason.pk, 0)) for reason in self.reasons]
        return sorted((item for item in counted if item[1]), key=lambda item: -item[1])[:limit]


def mql_quality(*, since: date, until: date) -> MqlQuality:
    """Inbound leads that arrived from ``since`` to ``until`` (company-time-zone days) per source and
    campaign: how many, how many IS accepted or found not a fit, and why not.

    The figures come from one grouped query by (source, campaign) with a count per not-a-fit reason; a
    source's row is the sum of its campaign rows, so the two tables always agree.
    """
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    reasons = list(MqlRejectReason.objects.all())
    verdict = "mql_review__verdict"
    groups = (
        Lead.objects.filter(origin=Origin.INBOUND, created_at__gte=start, created_at__lt=end)
        .values(
            "source_id", "source__sort_order", "source__code", "source__name_ja", "source__name_en", "campaign__name"
        )
        .annotate(
            mqls=Count("pk"),
            accepted=Count("pk", filter=Q(**{verdict: MqlReview.Verdict.ACCEPTED})),
            not_a_fit=Count("pk", filter=Q(**{verdict: MqlReview.Verdict.NOT_A_FIT})),
            **{f"reason_{reason.pk}": Count("pk", filter=Q(mql_review__reason=reason.pk)) for reason in reasons},
        )
        .order_by("source__sort_order", "source__code", F("campaign__name").asc(nulls_first=True))
    )
    english = (get_language() or "ja").startswith("en")
    by_campaign: list[QualityRow] = []
    by_source: dict[int, QualityRow] = {}
    total = QualityRow(source="", campaign="")
    for group in groups:
        source = group["source__name_en"] if english else group["source__name_ja"]
        row = QualityRow(
            source=source,
            campaign=group["campaign__name"] or "",
            mqls=group["mqls"],
            accepted=group["accepted"],
            not_a_fit=group["not_a_fit"],
            reasons={reason.pk: group[f"reason_{reason.pk}"] for reason in reasons if group[f"reason_{reason.pk}"]},
        )
        by_campaign.append(row)
        by_source.setdefault(group["source_id"], QualityRow(source=source, campaign="")).add(row)
        total.add(row)
    return MqlQuality(since, until, reasons, by_campaign, list(by_source.values()), total)


# --- Campaign email requests ---------------------------------------------------------------------------------


def campaign_email_request_visibility(*, user: User) -> Q:
    """Marketing and administrators see every request; a manager their teams' members' and their own;
    everyone else their own."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_everything or user.role == User.Role.MARKETING:
        return Q()
    if user.role == User.Role.MANAGER:
        return Q(requested_by=user) | Q(requested_by__team__in=managed_team_ids(user=user))
    return Q(requested_by=user)


def campaign_email_request_list(*, user: User) -> QuerySet[CampaignEmailRequest]:
    return CampaignEmailRequest.objects.filter(campaign_email_request_visibility(user=user)).select_related(
        "requested_by", "handled_by", "campaign"
    )


def campaign_email_request_event_list(*, email_request: CampaignEmailRequest) -> QuerySet:
    return email_request.events.select_related("actor")


def campaign_email_request_get(*, user: User, pk: int) -> CampaignEmailRequest:
    """Raises DoesNotExist for a request the user may not see, exactly as for one that does not exist."""
    return campaign_email_request_list(user=user).get(pk=pk)


@dataclass
class TrashRow:
    kind: str  # "company", "lead" or "deal"
    pk: int
    name: str
    deleted_at: datetime
    deleted_by: User | None = None

    @property
    def purge_on(self) -> date:
        from .services import trash_purge_due

        return trash_purge_due(self.deleted_at)

    @property
    def days_left(self) -> int:
        return max((self.purge_on - timezone.localdate()).days, 0)


def trash_list() -> QuerySet:
    """Everything in the trash, newest first, as one union (kind, pk, name, deleted_at, deleted_by_id),
    so the page paginates in SQL; ``trash_rows`` turns a page of it into rows."""
    from django.db.models import CharField
    from django.db.models.functions import Concat

    from opportunities.models import Opportunity

    columns = ("kind", "pk", "label", "deleted_at", "deleted_by_id")
    companies = (
        Company.all_objects.trashed().order_by().annotate(kind=Value("company"), label=F("name")).values(*columns)
    )
    leads = (
        Lead.all_objects.trashed()
        .order_by()
        .annotate(
            kind=Value("lead"),
            label=Concat(
                "last_name", Value(" "), "first_name", Value(" / "), "company__name", output_field=CharField()
            ),
        )
        .values(*columns)
    )
    deals = Opportunity.all_objects.trashed().order_by().annotate(kind=Value("deal"), label=F("name")).values(*columns)
    return companies.union(leads, deals, all=True).order_by("-deleted_at", "kind", "-pk")


def trash_rows(page_rows) -> list[TrashRow]:
    rows = list(page_rows)
    users = User.objects.in_bulk({row["deleted_by_id"] for row in rows if row["deleted_by_id"]})
    return [
        TrashRow(
            kind=row["kind"],
            pk=row["pk"],
            name=row["label"],
            deleted_at=row["deleted_at"],
            deleted_by=users.get(row["deleted_by_id"]),
        )
        for row in rows
    ]
