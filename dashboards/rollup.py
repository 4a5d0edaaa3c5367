"""How the catalogue (``dashboards.metrics``) becomes rows of ``MetricValue``, in SQL.

For a range of days, each counted metric is one ``INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO
UPDATE``: the total and every dimension of the metric, unioned, grouped by company-time-zone day. ISO
weeks and months of additive metrics are summed from the day rows; distinct counts are counted again
from the facts at their own grain; ratios are summed from their numerator's and denominator's rows at
the same grain. Rows of the range that this pass did not write (a breakdown value that no longer has
facts) are deleted. The caller holds the rollup lock and the transaction (``dashboards.services``).

The same code serves one dirty day and a three-year rebuild: only the range differs.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.db import connection
from django.db.models import DateField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from .metrics import METRICS, Metric, counted_metrics, dimension_value, is_datetime_field, ratio_dimensions
from .models import Grain, MetricValue

TABLE = MetricValue._meta.db_table
KEY_COLUMNS = "metric, grain, period_start, dimension, dim_value"
NO_DENOMINATOR = "CAST(NULL AS BIGINT)"


class Select(NamedTuple):
    """A SELECT with columns bucket, dim_value, num (and dimension, den when it brings its own)."""

    sql: str
    params: list
    dimension: str | None = None  # None: the SELECT has a dimension column (it reads MetricValue rows)
    has_denominator: bool = False


# --- Periods ------------------------------------------------------------------------------------------------


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def period_start(grain: str, day: date) -> date:
    return {Grain.DAY: day, Grain.WEEK: week_start(day), Grain.MONTH: month_start(day)}[grain]


def period_end(grain: str, day: date) -> date:
    return {Grain.DAY: day, Grain.WEEK: week_start(day) + timedelta(days=6), Grain.MONTH: month_end(day)}[grain]


def covering_ranges(grain: str, days: Iterable[date]) -> list[tuple[date, date]]:
    """The whole periods of ``grain`` containing ``days``, merged where they touch: (first day, last day)."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        first, last = period_start(grain, day), period_end(grain, day)
        if ranges and first <= ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            ranges.append((first, last))
    return ranges


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


# --- The SELECTs --------------------------------------------------------------------------------------------


def day_expression(metric: Metric):
    if is_datetime_field(metric):
        return TruncDate(metric.date_field, tzinfo=timezone.get_default_timezone())
    return F(metric.date_field)


def _bucket(metric: Metric, grain: str):
    day = day_expression(metric)
    if grain == Grain.WEEK:
        return Cast(TruncWeek(day, output_field=DateField()), DateField())
    if grain == Grain.MONTH:
        return Cast(TruncMonth(day, output_field=DateField()), DateField())
    return day


def in_range(metric: Metric, first: date, last: date) -> Q:
    name = metric.date_field
    if is_datetime_field(metric):
        return Q(**{f"{name}__gte": local_midnight(first), f"{name}__lt": local_midnight(last + timedelta(days=1))})
    return Q(**{f"{name}__gte": first, f"{name}__lte": last})


def _grouped(qs: QuerySet, *, bucket, dim_expression, measure) -> QuerySet:
    return (
        qs.annotate(bucket=bucket, dim_value=dim_expression)
        .values("bucket", "dim_value")
        .annotate(num=measure)
        .values("bucket", "dim_value", "num")
        .order_by()
    )


def fact_selects(metric: Metric, grain: str, first: date, last: date, *, today: date) -> list[Select]:
    """(dimension, SQL, params) per breakdown: columns bucket, dim_value, num, from the metric's facts.
    Dimension "" is the total."""
    if metric.snapshot:
        facts, bucket = metric.facts(today=today), Value(today, output_field=DateField())
    else:
        facts, bucket = metric.facts().filter(in_range(metric, first, last)), _bucket(metric, grain)
    selects = []
    for dimension, path in [("", None), *metric.dimensions.items()]:
        expression = Value("") if path is None else dimension_value(path)
        sql, params = _grouped(
            facts, bucket=bucket, dim_expression=expression, measure=metric.measure()
        ).query.sql_with_params()
        selects.append(Select(sql, list(params), dimension))
    return selects


def summed_selects(metric: Metric, grain: str, first: date, last: date) -> list[Select]:
    """An additive metric's weeks or months, summed from its day rows (one SELECT for every breakdown)."""
    truncate = TruncWeek if grain == Grain.WEEK else TruncMonth
    rows = MetricValue.objects.filter(
        metric=metric.code, grain=Grain.DAY, period_start__gte=first, period_start__lte=last
    )
    qs = (
        rows.annotate(bucket=Cast(truncate("period_start", output_field=DateField()), DateField()))
        .values("bucket", "dimension", "dim_value")
        .annotate(num=Sum("numerator"))
        .values("bucket", "dimension", "dim_value", "num")
        .order_by()
    )
    sql, params = qs.query.sql_with_params()
    return [Select(sql, list(params))]


def ratio_select(metric: Metric, grain: str, first: date, last: date) -> Select:
    """A ratio's rows from its parts' rows at the same grain: numerator and denominator side by side."""
    parts = MetricValue.objects.filter(
        metric__in=[metric.numerator, metric.denominator],
        grain=grain,
        period_start__gte=first,
        period_start__lte=last,
        dimension__in=ratio_dimensions(metric),
    )
    qs = (
        parts.annotate(bucket=F("period_start"))
        .values("bucket", "dimension", "dim_value")
        .annotate(
            num=Coalesce(Sum("numerator", filter=Q(metric=metric.numerator)), 0),
            den=Coalesce(Sum("numerator", filter=Q(metric=metric.denominator)), 0),
        )
        .values("bucket", "dimension", "dim_value", "num", "den")
        .order_by()
    )
    sql, params = qs.query.sql_with_params()
    return Select(sql, list(params), has_denominator=True)


def day_selects(*, first_day: date, last_day: date, today: date | None = None) -> list[tuple[str, list]]:
    """The plain ``SELECT ... GROUP BY`` over the fact tables that a rebuild of the range runs (days of
    every counted metric, and the weeks and months of the distinct counts), without writing anything:
    what a hand-written report would run, to compare the rebuild with."""
    today = today or timezone.localdate()
    statements = []
    for metric in counted_metrics():
        if metric.snapshot:
            continue
        for grain in [Grain.DAY] if metric.additive else [Grain.DAY, Grain.WEEK, Grain.MONTH]:
            for first, last in grain_ranges(grain, [(first_day, last_day)]):
                statements += [
                    (select.sql, select.params) for select in fact_selects(metric, grain, first, last, today=today)
                ]
    return statements


# --- The writes ---------------------------------------------------------------------------------------------


def _adapt_date(day: date):
    return connection.ops.adapt_datefield_value(day)


def _upsert(metric: Metric, grain: str, selects: list[Select], stamp: datetime) -> None:
    """One statement: the union of ``selects`` written as ``metric`` rows; an existing key is updated."""
    parts, params = [], []
    for select in selects:
        dimension = "q.dimension" if select.dimension is None else "%s"
        denominator = "q.den" if select.has_denominator else NO_DENOMINATOR
        parts.append(
            f"SELECT q.bucket, {dimension} AS dimension, q.dim_value, q.num, {denominator} AS den FROM ({select.sql}) q"
        )
        params += select.params if select.dimension is None else [select.dimension, *select.params]
    union = " UNION ALL ".join(parts)
    statement = (
        f"INSERT INTO {TABLE} ({KEY_COLUMNS}, numerator, denominator, computed_at) "
        f"SELECT %s, %s, u.bucket, u.dimension, u.dim_value, u.num, u.den, %s FROM ({union}) u WHERE true "
        f"ON CONFLICT ({KEY_COLUMNS}) DO UPDATE SET numerator = excluded.numerator, "
        "denominator = excluded.denominator, computed_at = excluded.computed_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [metric.code, grain, connection.ops.adapt_datetimefield_value(stamp), *params])


def _delete_stale(codes: list[str], grain: str, first: date, last: date, stamp: datetime) -> None:
    MetricValue.objects.filter(
        metric__in=codes, grain=grain, period_start__gte=first, period_start__lte=last, computed_at__lt=stamp
    ).delete()


def recompute(*, day_ranges: list[tuple[date, date]], stamp: datetime, today: date) -> None:
    """Recompute the days of ``day_ranges`` and the whole weeks and months containing them."""
    counted = [metric for metric in counted_metrics() if not metric.snapshot]
    ratios = [metric for metric in METRICS.values() if metric.is_ratio]
    for grain in (Grain.DAY, Grain.WEEK, Grain.MONTH):
        for first, last in grain_ranges(grain, day_ranges):
            for metric in counted:
                if grain == Grain.DAY or not metric.additive:
                    selects = fact_selects(metric, grain, first, last, today=today)
                else:
                    selects = summed_selects(metric, grain, first, last)
                _upsert(metric, grain, selects, stamp)
            # Ratios read the counted rows: the ones this pass did not confirm must be gone first.
            _delete_stale([metric.code for metric in counted], grain, first, last, stamp)
            for metric in ratios:
                _upsert(metric, grain, [ratio_select(metric, grain, first, last)], stamp)
            _delete_stale([metric.code for metric in ratios], grain, first, last, stamp)


def recompute_snapshots(*, today: date, stamp: datetime) -> None:
    snapshots = [metric for metric in METRICS.values() if metric.snapshot]
    for metric in snapshots:
        _upsert(metric, Grain.DAY, fact_selects(metric, Grain.DAY, today, today, today=today), stamp)
    _delete_stale([metric.code for metric in snapshots], Grain.DAY, today, today, stamp)


def grain_ranges(grain: str, day_ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The ranges to recompute at ``grain`` for ``day_ranges``: the days themselves, or their whole periods."""
    return day_ranges if grain == Grain.DAY else covering_ranges(grain, _spanned(day_ranges))


def _spanned(day_ranges: list[tuple[date, date]]) -> list[date]:
    """Enough days of each range for ``covering_ranges`` to cover every period it touches."""
    days = []
    for first, last in day_ranges:
        day = first
        while day <= last:
            days.append(day)
            day += timedelta(days=7)
        days.append(last)
    return days


def contiguous_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
