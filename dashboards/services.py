"""Writes of the metrics engine: marking days dirty, the incremental rollup, the full rebuild, alerts."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from .models import DirtyDay, RollupState
from .rollup import contiguous_ranges, recompute, recompute_snapshots

# Days recomputed per run at most, oldest first, so one run stays short after a large backfill.
ROLLUP_BATCH_DAYS = 62


def metrics_mark_dirty(*, days: Iterable[date]) -> None:
    """Marks company-time-zone days whose facts changed. Runs in the caller's transaction, so the mark
    commits with the change (or not at all); each mark bumps the day's version."""
    days = sorted(set(days))
    if not days:
        return
    table = DirtyDay._meta.db_table
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values = ", ".join(["(%s, 1, %s)"] * len(days))
    params = [value for day in days for value in (connection.ops.adapt_datefield_value(day), now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, version, marked_at) VALUES {values} "
            f"ON CONFLICT (day) DO UPDATE SET version = {table}.version + 1, marked_at = excluded.marked_at",
            params,
        )


@dataclass(frozen=True)
class RollupResult:
    days: list[date]
    today: date


def _locked_state() -> tuple[RollupState, datetime]:
    """Takes the rollup lock (the single state row) and a stamp later than any row written before."""
    RollupState.objects.get_or_create(id=1)
    state = RollupState.objects.select_for_update().get(id=1)
    stamp = timezone.now()
    if state.last_rollup_at and stamp <= state.last_rollup_at:
        stamp = state.last_rollup_at + timedelta(microseconds=1)
    if state.last_rebuild_at and stamp <= state.last_rebuild_at:
        stamp = state.last_rebuild_at + timedelta(microseconds=1)
    return state, stamp


def metrics_rollup_dirty(*, today: date | None = None, batch: int = ROLLUP_BATCH_DAYS) -> RollupResult:
    """Recomputes the dirty days (oldest first, at most ``batch``), their weeks and months, and today's
    snapshots, in one transaction under the rollup lock: a run that dies leaves the days dirty and the
    rows as they were. A day changed while the run computed stays dirty for the next run."""
    today = today or timezone.localdate()
    with transaction.atomic():
        state, stamp = _locked_state()
        claimed = list(DirtyDay.objects.order_by("day").values_list("day", "version")[:batch])
        days = [day for day, _version in claimed]
        if days:
            recompute(day_ranges=contiguous_ranges(days), stamp=stamp, today=today)
        recompute_snapshots(today=today, stamp=stamp)
        for day, version in claimed:
            DirtyDay.objects.filter(day=day, version=version).delete()
        state.last_rollup_at, state.last_rollup_days = stamp, len(days)
        state.save(update_fields=["last_rollup_at", "last_rollup_days"])
    return RollupResult(days=days, today=today)


def metrics_rebuild(*, first_day: date, last_day: date, today: date | None = None) -> RollupResult:
    """Recomputes every metric for the days from ``first_day`` to ``last_day`` (and their whole weeks and
    months) from the facts, whatever is marked dirty; clears the marks it covered. Same rows as the
    incremental rollup would write."""
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    today = today or timezone.localdate()
    with transaction.atomic():
        state, stamp = _locked_state()
        marks = list(DirtyDay.objects.filter(day__gte=first_day, day__lte=last_day).values_list("day", "version"))
        recompute(day_ranges=[(first_day, last_day)], stamp=stamp, today=today)
        recompute_snapshots(today=today, stamp=stamp)
        for day, version in marks:
            DirtyDay.objects.filter(day=day, version=version).delete()
        state.last_rebuild_at, state.last_rebuild_range = stamp, f"{first_day}..{last_day}"
        state.save(update_fields=["last_rebuild_at", "last_rebuild_range"])
    return RollupResult(days=[first_day, last_day], today=today)
