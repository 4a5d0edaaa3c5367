"""Reads of the summary tables. Ratios are summed numerators over summed denominators, in SQL."""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.db import connection
from django.db.models import Avg, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import get_language

from org.models import Team

from .metrics import COMPOSITE_SEPARATOR, DIMENSIONS, METRICS, dimension_value
from .models import Alert, AssetTarget, Grain, MetricValue
from .rollup import day_expression, in_range, month_end, month_start, week_start

# Who reads the company's figures (dashboards, metrics API); reps see their own numbers on their pages.
METRIC_READER_ROLES = ("manager", "marketing", "admin")


def can_read_metrics(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and (user.sees_everything or user.role in METRIC_READER_ROLES)
    )


@dataclass(frozen=True)
class Figure:
    metric: str
    dimension: str
    dim_value: str
    numerator: int
    denominator: int | None

    @property
    def value(self) -> float | int | None:
        """The count, or the ratio (None when its denominator is zero: no calls means no connect rate)."""
        if self.denominator is None:
            return self.numerator
        return self.numerator / self.denominator if self.denominator else None


def _figures(rows) -> list[Figure]:
    return [
        Figure(row["metric"], row["dimension"], row["dim_value"], row["numerator"], row["denominator"]) for row in rows
    ]


def metric_table(
    *, grain: str, period_start: date, metrics: list[str] | None = None, dimension: str = ""
) -> list[Figure]:
    """Every metric (or ``metrics``) of one period, in total or broken down by ``dimension``."""
    rows = MetricValue.objects.filter(grain=grain, period_start=period_start, dimension=dimension)
    if metrics is not None:
        rows = rows.filter(metric__in=metrics)
    return _figures(
        rows.order_by("metric", "dim_value").values("metric", "dimension", "dim_value", "numerator", "denominator")
    )


def metric_series(
    *, metric: str, grain: str, first: date, last: date, dimension: str = "", dim_value: str | None = ""
) -> list[tuple[date, Figure]]:
    """(period start, Figure) for each period of ``grain`` from ``first`` to ``last`` that has a row: the
    total, one value of ``dimension``, or (``dim_value=None``) every value of it."""
    rows = MetricValue.objects.filter(
        metric=metric, grain=grain, period_start__gte=first, period_start__lte=last, dimension=dimension
    )
    if dim_value is not None:
        rows = rows.filter(dim_value=dim_value)
    rows = rows.order_by("period_start", "dim_value").values(
        "period_start", "metric", "dimension", "dim_value", "numerator", "denominator"
    )
    return [(row["period_start"], _figures([row])[0]) for row in rows]


def metric_totals(*, metric: str, first: date, last: date, dimension: str = "") -> list[Figure]:
    """A metric summed over the days from ``first`` to ``last`` (e.g. a trailing 12 months), per value of
    ``dimension``. Only additive metrics and ratios of additive parts sum across periods; others raise."""
    definition = METRICS[metric]
    parts = [definition.numerator, definition.denominator] if definition.is_ratio else [metric]
    if not all(METRICS[part].additive for part in parts) or definition.snapshot:
        raise ValueError(f"{metric} does not add up across periods; read it at its own grain")
    rows = (
        MetricValue.objects.filter(_whole_months_and_days(first, last), metric=metric, dimension=dimension)
        .values("metric", "dimension", "dim_value")
        .annotate(numerator=Sum("numerator"), denominator=Sum("denominator"))
        .order_by("dim_value")
    )
    return _figures(rows)


def _whole_months_and_days(first: date, last: date) -> Q:
    """The rows that cover ``first`` to ``last`` once: the month rows of the whole months inside the range
    (a thirtieth of the day rows to read), the day rows of the partial months at its ends."""
    months_from = first if first.day == 1 else month_end(first) + timedelta(days=1)
    months_to = last if last == month_end(last) else month_start(last) - timedelta(days=1)
    if months_from > months_to:
        return Q(grain=Grain.DAY, period_start__gte=first, period_start__lte=last)
    return (
        Q(grain=Grain.MONTH, period_start__gte=months_from, period_start__lte=month_start(months_to))
        | Q(grain=Grain.DAY, period_start__gte=first, period_start__lt=months_from)
        | Q(grain=Grain.DAY, period_start__gt=months_to, period_start__lte=last)
    )


@dataclass(frozen=True)
class Records:
    """The facts behind a figure and the figure they give (the metric's own measure over them)."""

    rows: QuerySet
    value: int


def metric_records(
    *, metric: str, first: date, last: date, dimension: str = "", dim_value: str = "", today: date
) -> Records:
    """The fact rows a counted metric counts from ``first`` to ``last`` (a snapshot: as of ``last``, or today
    if that is later), for one value of a breakdown or all; newest first."""
    definition = METRICS[metric]
    if definition.snapshot:
        facts = definition.facts(today=min(last, today))
    else:
        facts = definition.facts().filter(in_range(definition, first, last))
    if dimension:
        facts = facts.annotate(_dimension=dimension_value(definition.dimensions[dimension])).filter(
            _dimension=dim_value
        )
    if definition.additive and not definition.snapshot:
        value = _sum_of_days(definition, facts)
    else:
        value = facts.aggregate(value=definition.measure())["value"] or 0
    order = f"-{definition.date_field}" if definition.date_field else "-pk"
    return Records(facts.order_by(order, "-pk"), value)


def _sum_of_days(definition, facts: QuerySet) -> int:
    """An additive metric over several days is the sum of its days (working rep-days are distinct reps
    per day, summed), as the rollup builds weeks and months: measured per day, summed, in one statement."""
    per_day = facts.annotate(_day=day_expression(definition)).values("_day").annotate(_value=definition.measure())
    sql, params = per_day.values("_value").order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(per_day._value), 0) FROM ({sql}) AS per_day", params)
        return int(cursor.fetchone()[0])


def dimension_labels(dimension: str, values: list[str]) -> dict[str, str]:
    """Display labels of stored dimension values, in the current language (one query per model)."""
    parts = dimension.split(COMPOSITE_SEPARATOR)
    per_part = []
    for index, code in enumerate(parts):
        part_values = {value.split(COMPOSITE_SEPARATOR)[index] for value in values if value}
        per_part.append(_part_labels(code, part_values))
    labels = {}
    for value in values:
        pieces = value.split(COMPOSITE_SEPARATOR) if value else [""] * len(parts)
        labels[value] = " × ".join(per_part[i].get(piece, piece or "—") for i, piece in enumerate(pieces))
    return labels


def _part_labels(code: str, values: set[str]) -> dict[str, str]:
    dimension = DIMENSIONS[code]
    if dimension.choices:
        return {key: str(label) for key, label in dimension.choices}
    if not dimension.model:
        return {}
    model = apps.get_model(dimension.model)
    ids = [int(value) for value in values if value.isdigit()]
    objects = model._default_manager.filter(pk__in=ids)
    japanese = (get_language() or "ja").startswith("ja")
    labels = {}
    for obj in objects:
        if hasattr(obj, "name_ja"):
            labels[str(obj.pk)] = obj.name_ja if japanese else obj.name_en
        else:
            labels[str(obj.pk)] = str(obj)
    return labels


@dataclass(frozen=True)
class Correlation:
    metric: str
    points: int
    r: float | None


CORRELATED = ("companies_touched", "effective_conversations", "activities")


def correlations(*, first: date, last: date, team_id: int | None = None) -> list[Correlation]:
    """Pearson r of each of ``CORRELATED`` with SQLs over (rep, day) points from ``first`` to ``last``:
    one point per rep per day the rep logged an activity or handed an SQL. The sums behind r are
    computed by the database; r = (nΣxy − ΣxΣy) / √((nΣx² − (Σx)²)(nΣy² − (Σy)²))."""
    days = MetricValue.objects.filter(grain=Grain.DAY, period_start__gte=first, period_start__lte=last, dimension="rep")
    if team_id is not None:
        members = apps.get_model("org.User").objects.filter(team_id=team_id).values_list("pk", flat=True)
        days = days.filter(dim_value__in=[str(pk) for pk in members])
    points = days.filter(metric__in=[*CORRELATED, "sqls"]).values("period_start", "dim_value")
    value = lambda code: Coalesce(  # noqa: E731
        Sum(Cast("numerator", FloatField()), filter=Q(metric=code)), 0.0, output_field=FloatField()
    )
    per_point = points.annotate(y=value("sqls"), **{code: value(code) for code in CORRELATED}).order_by()
    sums = {"n": Count("*"), "sy": Sum("y"), "syy": Sum(F("y") * F("y"))}
    for code in CORRELATED:
        sums |= {f"sx_{code}": Sum(code), f"sxx_{code}": Sum(F(code) * F(code)), f"sxy_{code}": Sum(F(code) * F("y"))}
    totals = per_point.aggregate(**sums)
    n = totals["n"] or 0
    results = []
    for code in CORRELATED:
        r = None
        if n >= 2:
            sx, sy = totals[f"sx_{code}"], totals["sy"]
            spread = (n * totals[f"sxx_{code}"] - sx * sx) * (n * totals["syy"] - sy * sy)
            if spread > 0:
                r = (n * totals[f"sxy_{code}"] - sx * sy) / math.sqrt(spread)
        results.append(Correlation(code, n, r))
    return results


@dataclass(frozen=True)
class Allocation:
    fs_rep_id: int
    size_band: str
    sqls: int
    limit: int | None

    @property
    def at_capacity(self) -> bool:
        return self.limit is not None and self.sqls >= self.limit


def fs_allocation(*, month: date) -> list[Allocation]:
    """SQLs allocated per FS rep and company-size segment in the month, against the rep's monthly limit
    (the rep's own rule, else the segment's default)."""
    from handoffs.models import FSCapacityRule

    rows = MetricValue.objects.filter(
        metric="sqls_allocated", grain=Grain.MONTH, period_start=month_start(month), dimension="fs_rep|size_band"
    ).values_list("dim_value", "numerator")
    allocations = []
    rules = {
        (rule.user_id, rule.size_band): rule.monthly_limit
        for rule in FSCapacityRule.objects.only("user_id", "size_band", "monthly_limit")
    }
    for dim_value, sqls in rows.order_by("dim_value"):
        rep, band = dim_value.split(COMPOSITE_SEPARATOR)
        if not rep:
            continue
        limit = rules.get((int(rep), band), rules.get((None, band)))
        allocations.append(Allocation(int(rep), band, sqls, limit))
    return allocations


# Asset shortfall: raise today's activity target by these factors (the seeds' 1.5–2×) over the team's
# average activities a day in the days before today.
ACTIVITY_BOOST = (1.5, 2.0)
ACTIVITY_BASELINE_DAYS = 28


@dataclass(frozen=True)
class AssetOutlook:
    """A team's assets for tomorrow and this ISO week against its target, and the activity target that
    would make up a shortfall: the figures both the asset-shortfall alert and the assets board give."""

    team: Team
    tomorrow: date
    week: date
    tomorrow_assets: int
    week_assets: int
    daily_target: int
    weekly_target: int
    baseline: int
    low: int
    high: int

    @property
    def short_tomorrow(self) -> bool:
        return self.tomorrow_assets < self.daily_target

    @property
    def short_this_week(self) -> bool:
        return self.week_assets < self.weekly_target


def asset_outlook(*, today: date, team_ids: list[int] | None = None) -> list[AssetOutlook]:
    """Every team with an asset target (or those of ``team_ids`` that have one), by team name: tomorrow's
    and this week's assets (0 without a row), the targets, the team's activities a day over the
    ``ACTIVITY_BASELINE_DAYS`` before today (the days it logged any) and 1.5–2× of it, rounded up."""
    tomorrow, week = today + timedelta(days=1), week_start(today)
    targets = AssetTarget.objects.select_related("team").order_by("team__name")
    if team_ids is not None:
        targets = targets.filter(team_id__in=team_ids)
    targets = list(targets)
    if not targets:
        return []
    keys = [str(target.team_id) for target in targets]
    assets = MetricValue.objects.filter(metric="assets", dimension="team", dim_value__in=keys)
    tomorrows = dict(assets.filter(grain=Grain.DAY, period_start=tomorrow).values_list("dim_value", "numerator"))
    weeks = dict(assets.filter(grain=Grain.WEEK, period_start=week).values_list("dim_value", "numerator"))
    baselines = dict(
        MetricValue.objects.filter(
            metric="activities",
            grain=Grain.DAY,
            dimension="team",
            dim_value__in=keys,
            period_start__gte=today - timedelta(days=ACTIVITY_BASELINE_DAYS),
            period_start__lt=today,
        )
        .values("dim_value")
        .annotate(per_day=Avg("numerator"))
        .values_list("dim_value", "per_day")
        .order_by()
    )
    outlooks = []
    for target in targets:
        key = str(target.team_id)
        baseline = round(baselines.get(key) or 0)
        # Rounded up: a suggestion below 1.5× the baseline would not be the raise the seeds call for.
        low, high = (math.ceil(baseline * factor) for factor in ACTIVITY_BOOST)
        outlooks.append(
            AssetOutlook(
                team=target.team,
                tomorrow=tomorrow,
                week=week,
                tomorrow_assets=tomorrows.get(key, 0),
                week_assets=weeks.get(key, 0),
                daily_target=target.daily,
                weekly_target=target.weekly,
                baseline=baseline,
                low=low,
                high=high,
            )
        )
    return outlooks


def alert_list(*, user, status: str = Alert.Status.OPEN, kind: str = ""):
    """The alerts a user may see: everyone's for administrators; for a manager, those about the teams
    they manage, their members and themselves; for anyone else, their own. Newest first."""
    from org.selectors import managed_team_ids

    alerts = Alert.objects.filter(
        status=status, lead__deleted_at__isnull=True, opportunity__deleted_at__isnull=True
    ).select_related("user", "team", "lead", "opportunity")
    if kind:
        alerts = alerts.filter(kind=kind)
    if not user.is_authenticated or not user.is_active:
        return alerts.none()
    if user.sees_everything:
        return alerts
    if user.role == "manager":
        teams = managed_team_ids(user=user)
        return alerts.filter(Q(team__in=teams) | Q(user__team__in=teams) | Q(user=user))
    return alerts.filter(user=user)
