from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from org.models import Team, User
from org.selectors import managed_team_ids

from .models import Company, ImportJob, ImportMapping, Lead, LeadRecycle, LeadSource, Origin, TouchPoint


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
