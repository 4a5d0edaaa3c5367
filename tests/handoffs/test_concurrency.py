"""Two FS requests answer the same SQL at the same moment: exactly one wins, nothing is done twice.

Row locks make this hold; SQLite has none, so these run on PostgreSQL (CI runs the suite there)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from handoffs.models import Handoff
from handoffs.services import handoff_accept, handoff_reject
from leads.models import LeadEvent
from opportunities.models import Opportunity, PhaseHistory
from tests.defaults import ensure_default_data
from tests.worlds import pipeline_world, sql

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_postgres]


@pytest.fixture(autouse=True)
def default_data():
    ensure_default_data()


def race(*calls):
    """Runs the calls at once (released together by a barrier); returns each one's result or error."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except ValidationError as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("attempt", range(5))
def test_accept_and_reject_at_once_exactly_one_wins(attempt):
    w = pipeline_world()
    handoff = sql(w)

    accepted, rejected = race(
        lambda: handoff_accept(handoff=handoff, actor=w["fs_a"]),
        lambda: handoff_reject(handoff=handoff, actor=w["fs_a"], reason="時期未定"),
    )

    handoff.refresh_from_db()
    deal = Opportunity.objects.get(pk=handoff.opportunity_id)
    losers = [result for result in (accepted, rejected) if isinstance(result, ValidationError)]
    assert len(losers) == 1
    assert {loser.code for loser in losers} <= {"already_accepted", "already_rejected"}
    assert (handoff.status, deal.status) in {("accepted", "open"), ("rejected", "lost")}
    assert PhaseHistory.objects.filter(opportunity=deal).count() == {"accepted": 1, "rejected": 2}[handoff.status]


@pytest.mark.parametrize("attempt", range(5))
def test_two_accepts_at_once_accept_once(attempt):
    w = pipeline_world()
    handoff = sql(w)

    first, second = race(
        lambda: handoff_accept(handoff=handoff, actor=w["fs_a"]),
        lambda: handoff_accept(handoff=handoff, actor=w["fs_a"]),
    )

    assert (first.status, second.status) == ("accepted", "accepted")
    assert first.responded_at == second.responded_at == Handoff.objects.get(pk=handoff.pk).responded_at
    assert Handoff.objects.filter(lead=handoff.lead).count() == 1
    assert LeadEvent.objects.filter(lead=handoff.lead, to_status="working").count() == 0
