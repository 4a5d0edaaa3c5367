"""How the figures stay right: which days a change marks, the marks' versions, two rollups at once, the
rebuild command, and the catalogue's own consistency."""

import threading
from datetime import date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from activities.models import Activity
from dashboards.metrics import METRICS, Metric, check_catalogue
from dashboards.models import DirtyDay, MetricValue, RollupState
from dashboards.rollup import day_selects
from dashboards.services import _clear_marks, metrics_mark_dirty, metrics_rebuild, metrics_rollup_dirty
from dashboards.tasks import rollup_dirty_days
from tests.activities.factories import ActivityFactory
from tests.defaults import ensure_default_data
from tests.handoffs.factories import HandoffFactory
from tests.helpers import TOKYO
from tests.leads.factories import LeadFactory

TODAY = date(2026, 11, 20)


def jst(day, hour, minute=0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


def dirty_days() -> set[date]:
    return set(DirtyDay.objects.values_list("day", flat=True))


def rows() -> set[tuple]:
    return set(
        MetricValue.objects.values_list(
            "metric", "grain", "period_start", "dimension", "dim_value", "numerator", "denominator"
        )
    )


def a_lead():
    """A lead whose own days (created, due) are not part of what a test looks at."""
    lead = LeadFactory()
    DirtyDay.objects.all().delete()
    return lead


@pytest.mark.django_db
class TestMarks:
    def test_a_new_activity_marks_its_tokyo_day(self):
        ActivityFactory(lead=a_lead(), occurred_at=jst(18, 23, 30))
        assert dirty_days() == {date(2026, 11, 18)}

    def test_moving_an_activity_marks_the_day_it_left_and_the_day_it_joined(self):
        activity = ActivityFactory(lead=a_lead(), occurred_at=jst(18, 10))
        DirtyDay.objects.all().delete()

        activity.occurred_at = jst(19, 10)
        activity.save()

        assert dirty_days() == {date(2026, 11, 18), date(2026, 11, 19)}

    def test_a_change_no_metric_reads_marks_nothing(self):
        activity = ActivityFactory(lead=a_lead(), occurred_at=jst(18, 10))
        DirtyDay.objects.all().delete()

        activity.note = "折り返し希望"
        activity.save(update_fields=["note"])

        assert dirty_days() == set()

    def test_deleting_an_activity_marks_its_day(self):
        activity = ActivityFactory(lead=a_lead(), occurred_at=jst(18, 10))
        DirtyDay.objects.all().delete()

        Activity.objects.filter(pk=activity.pk).first().delete()

        assert dirty_days() == {date(2026, 11, 18)}

    def test_rescheduling_a_lead_marks_both_asset_days(self):
        with time_machine.travel(jst(16, 9), tick=False):
            lead = LeadFactory(next_approach_on=date(2026, 11, 21))
        DirtyDay.objects.all().delete()

        lead.next_approach_on = date(2026, 11, 25)
        lead.save()

        assert dirty_days() == {date(2026, 11, 16), date(2026, 11, 21), date(2026, 11, 25)}

    def test_a_deal_amount_marks_the_day_of_the_sql_it_came_from(self):
        with time_machine.travel(jst(17, 15), tick=False):
            handoff = HandoffFactory()
        DirtyDay.objects.all().delete()

        deal = handoff.opportunity
        deal.amount = 8_000_000
        deal.save()

        assert date(2026, 11, 17) in dirty_days()

    def test_a_day_marked_again_while_a_rollup_computed_stays_dirty(self):
        """The rollup clears the version it read; a change meanwhile bumped it, so the day is done again."""
        metrics_mark_dirty(days=[TODAY])
        claimed = list(DirtyDay.objects.values_list("day", "version"))
        metrics_mark_dirty(days=[TODAY])

        _clear_marks(claimed)

        assert list(DirtyDay.objects.values_list("day", "version")) == [(TODAY, 2)]


@pytest.mark.django_db
def test_the_periodic_task_rolls_up_and_clears_the_marks():
    lead = a_lead()
    ActivityFactory(lead=lead, occurred_at=jst(19, 10))
    ActivityFactory(lead=lead, occurred_at=jst(20, 9))

    with time_machine.travel(jst(20, 12), tick=False):
        assert rollup_dirty_days.delay().get() == 2

    assert dirty_days() == set()
    assert (
        MetricValue.objects.get(metric="calls", grain="week", period_start=date(2026, 11, 16), dimension="").numerator
        == 2
    )
    assert RollupState.objects.get().last_rollup_days == 2


@pytest.mark.django_db
class TestRebuildCommand:
    def test_rebuilds_the_range_and_says_so(self, frozen):
        ActivityFactory(occurred_at=jst(19, 10))
        out = StringIO()

        call_command("rebuild_metrics", "--from", "2026-11-01", "--to", "2026-11-30", stdout=out)

        assert "Rebuilt the metrics from 2026-11-01 to 2026-11-30" in out.getvalue()
        assert (
            MetricValue.objects.get(
                metric="calls", grain="month", period_start=date(2026, 11, 1), dimension=""
            ).numerator
            == 1
        )
        assert dirty_days() == set()

    def test_refuses_a_date_it_cannot_read(self):
        with pytest.raises(CommandError, match=r"'2026-13-01' is not a date: use YYYY-MM-DD\."):
            call_command("rebuild_metrics", "--from", "2026-13-01", stdout=StringIO())

    def test_refuses_a_range_that_ends_before_it_starts(self):
        with pytest.raises(CommandError, match=r"--to \(2026-11-01\) is before --from \(2026-11-30\)."):
            call_command("rebuild_metrics", "--from", "2026-11-30", "--to", "2026-11-01", stdout=StringIO())


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_rollups_at_once_take_turns_and_write_what_a_rebuild_writes():
    ensure_default_data()
    for day in (16, 17, 18, 19, 20):
        ActivityFactory(occurred_at=jst(day, 10))
        ActivityFactory(occurred_at=jst(day, 15), connected=False)
    start, errors = threading.Barrier(2), []

    def rollup():
        try:
            start.wait()
            metrics_rollup_dirty(today=TODAY)
        except Exception as error:  # the assertion below reports it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rollup) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert dirty_days() == set()
    concurrent = rows()
    metrics_rebuild(first_day=date(2026, 11, 16), last_day=date(2026, 11, 20), today=TODAY)
    assert rows() == concurrent
    assert (
        MetricValue.objects.get(
            metric="connect_rate", grain="week", period_start=date(2026, 11, 16), dimension=""
        ).denominator
        == 10
    )


def test_the_catalogue_is_consistent():
    assert check_catalogue() == []


def test_the_catalogue_check_names_what_is_wrong(monkeypatch):
    monkeypatch.setitem(METRICS, "broken_rate", Metric("broken_rate", "x", "x", numerator="calls", denominator="nope"))
    monkeypatch.setitem(
        METRICS, "odd", Metric("odd", "x", "x", facts=lambda: None, date_field="at", dimensions={"colour": "c"})
    )

    assert check_catalogue() == ["broken_rate: 'nope' is not a counted metric", "odd: unknown dimension 'colour'"]


@pytest.mark.django_db
def test_the_plain_group_bys_behind_a_rebuild_return_the_rows_it_writes_from_facts(frozen):
    """``day_selects`` is what a rebuild reads from the fact tables (the benchmark times it against the
    rebuild): one row per figure a rebuild counts from facts, none more."""
    lead = a_lead()
    for day in (16, 19, 22, 23):
        ActivityFactory(lead=lead, occurred_at=jst(day, 10))
    with time_machine.travel(jst(19, 15), tick=False):
        HandoffFactory(lead=lead)

    fetched = 0
    with connection.cursor() as cursor:
        for sql, params in day_selects(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30), today=TODAY):
            cursor.execute(sql, params)
            fetched += len(cursor.fetchall())
    metrics_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30), today=TODAY)

    from_facts = [m.code for m in METRICS.values() if not m.is_ratio and not m.snapshot]
    distinct = [m.code for m in METRICS.values() if not m.is_ratio and not m.additive]
    written = MetricValue.objects.filter(metric__in=from_facts, grain="day").count()
    written += MetricValue.objects.filter(metric__in=distinct).exclude(grain="day").count()
    assert fetched == written
    assert written > 40
