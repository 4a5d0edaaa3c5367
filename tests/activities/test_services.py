"""Logging calls, mails and meetings: what it does to the lead or the deal, and what it refuses."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from activities.models import Activity, CallOutcome
from activities.services import activity_log
from leads.models import Lead, LeadEvent
from tests.helpers import NOW, TODAY, field_codes
from tests.leads.factories import LeadFactory, lead_in_status
from tests.opportunities.factories import OpportunityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

S = Lead.Status


def log(**kwargs):
    return activity_log(**{"kind": "call", "direction": "outbound", **kwargs})


def test_a_call_on_a_new_lead_starts_working_it():
    lead = LeadFactory()
    outcome = CallOutcome.objects.get(code="hearing")

    activity = log(
        actor=lead.owner,
        lead=lead,
        connected=True,
        effective_conversation=True,
        outcome=outcome,
        duration_seconds=420,
        occurred_at=NOW - timedelta(minutes=10),
    )

    lead.refresh_from_db()
    activity.refresh_from_db()
    event = lead.events.get(kind=LeadEvent.Kind.STATUS)
    assert (lead.status, lead.last_activity_at, lead.next_approach_on) == (
        S.WORKING,
        NOW - timedelta(minutes=10),
        TODAY,
    )
    assert (event.from_status, event.to_status, event.actor) == (S.NEW, S.WORKING, lead.owner)
    assert (activity.kind, activity.connected, activity.effective_conversation, activity.outcome) == (
        "call",
        True,
        True,
        outcome,
    )
    assert (activity.actor, activity.team, activity.company, activity.opportunity) == (
        lead.owner,
        lead.owner.team,
        lead.company,
        None,
    )


@pytest.mark.parametrize("status", [S.NURTURING, S.RECYCLED])
def test_working_a_parked_lead_brings_it_back(status):
    lead = lead_in_status(status)

    log(actor=lead.owner, lead=lead, connected=False)

    lead.refresh_from_db()
    assert (lead.status, lead.status_reason, lead.recycle_reason) == (S.WORKING, "", None)


def test_logging_sets_the_next_approach_date_in_the_same_step():
    lead = LeadFactory()

    log(actor=lead.owner, lead=lead, connected=False, next_approach_on=date(2026, 11, 24))

    lead.refresh_from_db()
    assert (lead.status, lead.next_approach_on) == (S.WORKING, date(2026, 11, 24))


def test_an_older_activity_does_not_move_last_activity_back():
    lead = LeadFactory()
    log(actor=lead.owner, lead=lead, connected=True, occurred_at=NOW)

    log(actor=lead.owner, lead=lead, connected=True, occurred_at=NOW - timedelta(days=2))

    lead.refresh_from_db()
    assert lead.last_activity_at == NOW


@pytest.mark.parametrize(
    ("kind", "given", "connected"),
    [("mail", True, None), ("mail", False, None), ("web_meeting", None, True), ("visit", False, True)],
)
def test_only_calls_say_whether_they_connected(kind, given, connected):
    lead = LeadFactory()

    activity = log(actor=lead.owner, lead=lead, kind=kind, connected=given)

    activity.refresh_from_db()
    assert activity.connected is connected


def test_an_activity_cannot_happen_in_the_future():
    lead = LeadFactory()

    with pytest.raises(ValidationError) as exc:
        log(actor=lead.owner, lead=lead, connected=True, occurred_at=NOW + timedelta(minutes=6))

    lead.refresh_from_db()
    assert field_codes(exc.value) == {"occurred_at": ["future"]}
    assert Activity.objects.count() == 0
    assert (lead.status, lead.last_activity_at) == (S.NEW, None)


def test_a_clock_a_few_minutes_ahead_is_tolerated():
    lead = LeadFactory()

    activity = log(actor=lead.owner, lead=lead, connected=True, occurred_at=NOW + timedelta(minutes=4))

    assert activity.occurred_at == NOW + timedelta(minutes=4)


@pytest.mark.parametrize(
    ("kind", "connected", "constraint"),
    [
        pytest.param("call", False, "activity_effective_needs_connect", id="call-not-connected"),
        pytest.param("call", None, "activity_call_connected_known", id="call-unknown"),
        pytest.param("mail", None, "activity_effective_needs_connect", id="mail"),
    ],
)
def test_an_effective_conversation_needs_a_connect(kind, connected, constraint):
    lead = LeadFactory()

    with pytest.raises(ValidationError) as exc:
        log(actor=lead.owner, lead=lead, kind=kind, connected=connected, effective_conversation=True)

    lead.refresh_from_db()
    assert list(exc.value.error_dict) == [NON_FIELD_ERRORS]
    assert constraint in exc.value.messages[0]
    assert Activity.objects.count() == 0
    assert (lead.status, lead.last_activity_at) == (S.NEW, None)


def test_an_activity_needs_a_lead_or_a_deal(is_rep):
    with pytest.raises(ValidationError) as exc:
        log(actor=is_rep, connected=True)

    assert exc.value.code == "no_subject"


def test_a_meeting_on_a_deal_marks_its_last_activity():
    deal = OpportunityFactory(last_activity_at=NOW - timedelta(days=20))

    activity = log(actor=deal.owner, opportunity=deal, kind="web_meeting", occurred_at=NOW - timedelta(hours=1))

    deal.refresh_from_db()
    assert deal.last_activity_at == NOW - timedelta(hours=1)
    assert (activity.company, activity.lead, activity.connected) == (deal.company, None, True)


def test_an_older_meeting_does_not_move_the_deals_last_activity_back():
    deal = OpportunityFactory(last_activity_at=NOW)

    log(actor=deal.owner, opportunity=deal, kind="visit", occurred_at=NOW - timedelta(days=3))

    deal.refresh_from_db()
    assert deal.last_activity_at == NOW


def test_next_approach_on_a_closed_lead_undoes_the_whole_log():
    lead = lead_in_status(S.QUALIFIED)

    with pytest.raises(ValidationError) as exc:
        log(actor=lead.owner, lead=lead, connected=True, next_approach_on=TODAY + timedelta(days=1))

    lead.refresh_from_db()
    assert field_codes(exc.value) == {"next_approach_on": ["lead_closed"]}
    assert Activity.objects.count() == 0
    assert lead.last_activity_at is None
