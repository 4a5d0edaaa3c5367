"""Lead services: every status move, the recycle plan, temperature from BANT, and lead creation."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from leads.models import Lead, LeadEvent, LeadRecycle, Temperature
from leads.services import (
    LEAD_TRANSITIONS,
    lead_create,
    lead_disqualify,
    lead_nurture,
    lead_qualify,
    lead_recycle,
    lead_update_bant,
    temperature_for,
)
from tests.helpers import TODAY, TOKYO, field_codes
from tests.leads.factories import (
    BANT_A,
    MOVES,
    CampaignFactory,
    CompanyFactory,
    LeadFactory,
    RecycleReasonFactory,
    lead_in_status,
    recycle_reason,
    source,
)
from tests.org.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

S = Lead.Status
LEGAL = [(f, t) for f in S.values for t in MOVES if t in LEAD_TRANSITIONS[f]]
ILLEGAL = [(f, t) for f in S.values for t in MOVES if t not in LEAD_TRANSITIONS[f] and t != f]
# Asking again for the status a lead already has returns it untouched (re-recycling is a new plan instead).
REPEATABLE = [s for s in MOVES if s not in LEAD_TRANSITIONS[s]]


def move_id(pair):
    return "->".join(pair)


def snapshot(lead):
    return Lead.objects.values().get(pk=lead.pk)


def status_events(lead):
    return LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STATUS)


# --- the transition table -------------------------------------------------------------------------


def test_transition_table_is_the_pipeline():
    assert dict(LEAD_TRANSITIONS) == {
        S.NEW: {S.WORKING, S.NURTURING, S.RECYCLED, S.QUALIFIED, S.DISQUALIFIED},
        S.WORKING: {S.NURTURING, S.RECYCLED, S.QUALIFIED, S.DISQUALIFIED},
        S.NURTURING: {S.WORKING, S.RECYCLED, S.QUALIFIED, S.DISQUALIFIED},
        S.RECYCLED: {S.WORKING, S.RECYCLED, S.NURTURING, S.QUALIFIED, S.DISQUALIFIED},
        S.QUALIFIED: {S.WORKING, S.RECYCLED},
        S.DISQUALIFIED: {S.WORKING},
    }


def test_every_status_is_tested_as_a_start_and_every_move_as_a_target():
    assert {f for f, _ in LEGAL + ILLEGAL} | set(REPEATABLE) == set(S.values)
    assert {t for _, t in LEGAL + ILLEGAL} == set(S.values) - {S.NEW}
    assert len(LEGAL) + len(ILLEGAL) + len(REPEATABLE) == len(S.values) * len(MOVES)


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL, ids=map(move_id, LEGAL))
def test_legal_move_changes_status_and_records_who_moved_it(from_status, to_status):
    lead = lead_in_status(from_status)
    actor = UserFactory(team=lead.team)
    events_before = status_events(lead).count()

    MOVES[to_status](lead, actor)

    lead.refresh_from_db()
    event = status_events(lead).first()
    assert lead.status == to_status
    assert status_events(lead).count() == events_before + 1
    assert (event.from_status, event.to_status, event.actor) == (from_status, to_status, actor)


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL, ids=map(move_id, ILLEGAL))
def test_illegal_move_is_refused_and_leaves_the_lead_as_it_was(from_status, to_status):
    lead = lead_in_status(from_status)
    before = snapshot(lead)
    events_before = lead.events.count()
    recycles_before = LeadRecycle.objects.count()

    with pytest.raises(ValidationError) as exc:
        MOVES[to_status](lead, lead.owner)

    assert exc.value.code == "illegal_transition"
    lead.refresh_from_db()
    assert lead.status == from_status
    assert snapshot(lead) == before
    assert lead.events.count() == events_before
    assert LeadRecycle.objects.count() == recycles_before


@pytest.mark.parametrize("status", REPEATABLE)
def test_asking_for_the_current_status_again_changes_nothing(status):
    lead = lead_in_status(status)
    before = snapshot(lead)
    events_before = lead.events.count()

    MOVES[status](lead, lead.owner)

    assert snapshot(lead) == before
    assert lead.events.count() == events_before


def test_working_lead_stays_working_without_a_new_event():
    lead = lead_in_status(S.WORKING)

    MOVES[S.WORKING](lead, lead.owner)
    MOVES[S.WORKING](lead, lead.owner)

    assert list(status_events(lead).values_list("from_status", "to_status")) == [(S.NEW, S.WORKING)]


def test_disqualifying_twice_keeps_the_first_reason_and_one_event():
    lead = LeadFactory()

    lead_disqualify(lead=lead, actor=lead.owner, reason="予算なし")
    lead_disqualify(lead=lead, actor=lead.owner, reason="別の理由")

    lead.refresh_from_db()
    assert (lead.status, lead.status_reason, lead.next_approach_on) == (S.DISQUALIFIED, "予算なし", None)
    assert status_events(lead).count() == 1


def test_recycling_a_recycled_lead_makes_a_new_plan():
    lead = lead_in_status(S.RECYCLED)

    lead_recycle(lead=lead, actor=lead.owner, reason=recycle_reason("budget"), approach_on=date(2027, 1, 15))

    lead.refresh_from_db()
    assert (lead.status, lead.next_approach_on, lead.recycle_reason.code) == (S.RECYCLED, date(2027, 1, 15), "budget")
    assert list(LeadRecycle.objects.filter(lead=lead).values_list("reason__code", "approach_on")) == [
        ("budget", date(2027, 1, 15)),
        ("timing", TODAY + timedelta(days=14)),
    ]


@pytest.mark.parametrize(
    ("status", "next_approach_on"),
    [(S.WORKING, TODAY), (S.NURTURING, TODAY + timedelta(days=30)), (S.DISQUALIFIED, None), (S.QUALIFIED, None)],
)
def test_open_leads_keep_a_next_approach_date_and_closed_ones_lose_it(status, next_approach_on):
    lead = lead_in_status(status)

    assert lead.next_approach_on == next_approach_on


def test_leaving_recycled_or_nurturing_clears_its_reason():
    recycled = lead_in_status(S.RECYCLED)
    nurturing = lead_in_status(S.NURTURING)

    MOVES[S.WORKING](recycled, recycled.owner)
    MOVES[S.WORKING](nurturing, nurturing.owner)

    recycled.refresh_from_db()
    nurturing.refresh_from_db()
    assert (recycled.status, recycled.recycle_reason, recycled.next_approach_on) == (
        S.WORKING,
        None,
        TODAY + timedelta(days=14),
    )
    assert (nurturing.status, nurturing.status_reason) == (S.WORKING, "")


# --- guards of the individual moves ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"reason": "  ", "next_approach_on": TODAY + timedelta(days=7)}, "reason", "reason_required"),
        ({"reason": "来期", "next_approach_on": TODAY}, "next_approach_on", "date_not_future"),
        ({"reason": "来期", "next_approach_on": TODAY - timedelta(days=1)}, "next_approach_on", "date_not_future"),
    ],
)
def test_nurture_needs_a_reason_and_a_future_date(kwargs, field, code):
    lead = LeadFactory()
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        lead_nurture(lead=lead, actor=lead.owner, **kwargs)

    assert field_codes(exc.value) == {field: [code]}
    assert snapshot(lead) == before


def test_disqualify_needs_a_reason():
    lead = LeadFactory()
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        lead_disqualify(lead=lead, actor=lead.owner, reason=" ")

    assert field_codes(exc.value) == {"reason": ["reason_required"]}
    assert snapshot(lead) == before


def test_qualify_needs_a_temperature():
    lead = LeadFactory()
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        lead_qualify(lead=lead, actor=lead.owner)

    assert field_codes(exc.value) == {"temperature": ["temperature_missing"]}
    assert snapshot(lead) == before


# --- recycling -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "field", "code"),
    [
        pytest.param({}, "approach_on", "approach_missing", id="no-date"),
        pytest.param({"month": 12}, "approach_on", "approach_missing", id="month-without-week"),
        pytest.param({"week": 2}, "approach_on", "approach_missing", id="week-without-month"),
        pytest.param({"approach_on": TODAY}, "approach_on", "date_not_future", id="today"),
        pytest.param({"approach_on": TODAY - timedelta(days=1)}, "approach_on", "date_not_future", id="yesterday"),
        pytest.param({"month": 13, "week": 1}, "month", "month_range", id="month-13"),
        pytest.param({"month": 11, "week": 7}, "week", "week_range", id="nov-2026-has-6-weeks"),
        pytest.param({"month": 2, "week": 5}, "week", "week_range", id="feb-2027-has-4-weeks"),
        pytest.param({"month": 11, "week": 3}, "week", "week_past", id="nov-9-15-is-over"),
    ],
)
def test_recycle_plan_errors_name_the_field_and_save_nothing(plan, field, code):
    lead = LeadFactory()
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        lead_recycle(lead=lead, actor=lead.owner, reason=recycle_reason(), **plan)

    assert field_codes(exc.value) == {field: [code]}
    assert snapshot(lead) == before
    assert LeadRecycle.objects.count() == 0
    assert lead.events.count() == 0


def test_recycle_refuses_a_retired_reason():
    lead = LeadFactory()
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        lead_recycle(lead=lead, actor=lead.owner, reason=RecycleReasonFactory(is_active=False), approach_on=TODAY)

    assert field_codes(exc.value) == {"reason": ["reason_inactive"]}
    assert snapshot(lead) == before


@pytest.mark.parametrize(
    ("month", "week", "approach_on", "year"),
    [
        pytest.param(12, 1, date(2026, 12, 1), 2026, id="dec-week-1-starts-tue-1st"),
        pytest.param(12, 2, date(2026, 12, 7), 2026, id="dec-week-2-starts-first-monday"),
        pytest.param(11, 4, date(2026, 11, 21), 2026, id="this-week-from-tomorrow"),
        pytest.param(11, 6, date(2026, 11, 30), 2026, id="nov-week-6-is-mon-30th"),
        pytest.param(1, 1, date(2027, 1, 1), 2027, id="earlier-month-is-next-year"),
        pytest.param(2, 4, date(2027, 2, 22), 2027, id="feb-2027-last-week"),
    ],
)
def test_recycle_by_month_and_week_comes_back_on_the_weeks_first_day(month, week, approach_on, year):
    lead = LeadFactory()
    actor = UserFactory(team=lead.team)

    lead_recycle(
        lead=lead,
        actor=actor,
        reason=recycle_reason("budget"),
        month=month,
        week=week,
        method="mail",
        note="予算確定後",
    )

    lead.refresh_from_db()
    plan = LeadRecycle.objects.get(lead=lead)
    assert (lead.status, lead.next_approach_on, lead.recycle_reason.code) == (S.RECYCLED, approach_on, "budget")
    assert (plan.reason.code, plan.precision, plan.approach_on) == ("budget", "week", approach_on)
    assert (plan.year, plan.month, plan.week) == (year, month, week)
    assert (plan.assignee, plan.method, plan.note, plan.created_by) == (None, "mail", "予算確定後", actor)


def test_recycle_on_a_day_to_a_teammate_records_the_plan_and_the_new_owner():
    lead = LeadFactory()
    owner = lead.owner
    teammate = UserFactory(team=lead.team)

    lead_recycle(
        lead=lead,
        actor=owner,
        reason=recycle_reason("no_authority"),
        approach_on=date(2026, 12, 3),
        assignee=teammate,
        method="seminar",
    )

    lead.refresh_from_db()
    plan = LeadRecycle.objects.get(lead=lead)
    owner_event = lead.events.get(kind=LeadEvent.Kind.OWNER)
    assert (lead.status, lead.owner, lead.team, lead.next_approach_on) == (
        S.RECYCLED,
        teammate,
        owner.team,
        date(2026, 12, 3),
    )
    assert (plan.precision, plan.approach_on, plan.year, plan.month, plan.week) == (
        "day",
        date(2026, 12, 3),
        None,
        None,
        None,
    )
    assert (plan.reason.code, plan.assignee, plan.method, plan.created_by) == (
        "no_authority",
        teammate,
        "seminar",
        owner,
    )
    assert (owner_event.from_owner, owner_event.to_owner, owner_event.actor) == (owner, teammate, owner)


def test_recycle_to_another_team_puts_the_lead_in_that_teams_pool():
    lead = LeadFactory()
    owner = lead.owner
    recycle_team = TeamFactory(recycle=True)

    lead_recycle(lead=lead, actor=owner, reason=recycle_reason(), approach_on=date(2027, 3, 1), team=recycle_team)

    lead.refresh_from_db()
    owner_event = lead.events.get(kind=LeadEvent.Kind.OWNER)
    assert (lead.team, lead.owner) == (recycle_team, None)
    assert (owner_event.from_owner, owner_event.to_owner) == (owner, None)


def test_recycle_to_another_team_with_an_assignee_gives_it_to_them():
    lead = LeadFactory()
    recycle_team = TeamFactory(recycle=True)
    recycler = UserFactory(team=recycle_team)

    lead_recycle(
        lead=lead,
        actor=lead.owner,
        reason=recycle_reason(),
        approach_on=date(2027, 3, 1),
        team=recycle_team,
        assignee=recycler,
    )

    lead.refresh_from_db()
    assert (lead.team, lead.owner) == (recycle_team, recycler)
    assert LeadRecycle.objects.get(lead=lead).assignee == recycler


def test_recycle_within_the_team_keeps_the_owner():
    lead = LeadFactory()
    owner = lead.owner

    lead_recycle(lead=lead, actor=owner, reason=recycle_reason(), approach_on=date(2027, 3, 1), team=owner.team)

    lead.refresh_from_db()
    assert (lead.team, lead.owner) == (owner.team, owner)
    assert not lead.events.filter(kind=LeadEvent.Kind.OWNER).exists()


# --- temperature from BANT -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "authority", "needs", "timeframe", "meeting_agreed", "temperature"),
    [
        pytest.param("300万円", "部長", "勤怠", "4月", False, "A", id="A-all-four"),
        pytest.param("300万円", "部長", "勤怠", "4月", True, "A", id="A-beats-meeting"),
        pytest.param("", "部長", "勤怠", "4月", False, "B", id="B-no-budget"),
        pytest.param("300万円", "部長", "勤怠", "", False, "B", id="B-no-timeframe"),
        pytest.param("", "部長", "勤怠", "", True, "B", id="B-beats-meeting"),
        pytest.param("300万円", "  ", "勤怠", "4月", True, "C", id="C-authority-blank"),
        pytest.param("", "", "", "", True, "C", id="C-meeting-only"),
        pytest.param("300万円", "", "勤怠", "4月", False, "", id="none-no-authority"),
        pytest.param("300万円", "部長", "", "4月", False, "", id="none-no-needs"),
        pytest.param("", "", "", "", False, "", id="none-nothing-heard"),
    ],
)
def test_temperature_for(budget, authority, needs, timeframe, meeting_agreed, temperature):
    assert (
        temperature_for(
            budget=budget, authority=authority, needs=needs, timeframe=timeframe, meeting_agreed=meeting_agreed
        )
        == temperature
    )


@pytest.mark.parametrize(
    ("bant", "meeting_agreed", "temperature"),
    [
        (BANT_A, False, Temperature.A),
        ({**BANT_A, "budget": ""}, False, Temperature.B),
        ({**BANT_A, "authority": ""}, True, Temperature.C),
        ({**BANT_A, "needs": ""}, False, ""),
    ],
)
def test_update_bant_stores_what_was_heard_and_the_temperature_it_supports(bant, meeting_agreed, temperature):
    lead = LeadFactory()

    lead_update_bant(lead=lead, actor=lead.owner, meeting_agreed=meeting_agreed, **bant)

    lead.refresh_from_db()
    event = lead.events.get(kind=LeadEvent.Kind.BANT)
    assert (lead.bant_budget, lead.bant_authority, lead.bant_needs, lead.bant_timeframe) == (
        bant["budget"],
        bant["authority"],
        bant["needs"],
        bant["timeframe"],
    )
    assert (lead.temperature, event.note, event.actor) == (temperature, temperature, lead.owner)


@pytest.mark.parametrize(
    ("bant", "chosen"),
    [(BANT_A, "B"), ({**BANT_A, "budget": ""}, "A"), ({**BANT_A, "budget": ""}, "C"), ({**BANT_A, "needs": ""}, "A")],
)
def test_update_bant_refuses_a_temperature_the_bant_does_not_support(bant, chosen):
    lead = LeadFactory()
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        lead_update_bant(lead=lead, actor=lead.owner, temperature=chosen, **bant)

    assert field_codes(exc.value) == {"temperature": ["temperature_inconsistent"]}
    assert snapshot(lead) == before


def test_choosing_c_states_the_meeting_agreement():
    lead = LeadFactory()

    lead_update_bant(lead=lead, actor=lead.owner, temperature="C", **{**BANT_A, "authority": ""})

    lead.refresh_from_db()
    assert lead.temperature == "C"


def test_update_bant_refuses_a_closed_lead():
    lead = lead_in_status(S.DISQUALIFIED)
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        lead_update_bant(lead=lead, actor=lead.owner, **{**BANT_A, "budget": ""})

    assert exc.value.code == "lead_closed"
    assert snapshot(lead) == before


# --- creation --------------------------------------------------------------------------------------


def test_lead_create_is_due_today_in_tokyo_when_utc_is_still_yesterday(frozen, is_rep):
    # 08:30 on Saturday 21 November in Tokyo is 23:30 on Friday 20 November in UTC.
    frozen.move_to(datetime(2026, 11, 21, 8, 30, tzinfo=TOKYO))

    lead = lead_create(
        actor=is_rep,
        company=CompanyFactory(),
        last_name=" 佐藤 ",
        source=source(),
        origin="inbound",
        email=" Sato@Example.JP ",
        owner=is_rep,
    )

    lead.refresh_from_db()
    event = lead.events.get()
    assert lead.next_approach_on == date(2026, 11, 21)
    assert (lead.status, lead.owner, lead.team, lead.last_name, lead.email) == (
        S.NEW,
        is_rep,
        is_rep.team,
        "佐藤",
        "sato@example.jp",
    )
    assert (event.kind, event.from_status, event.to_status, event.to_owner, event.actor) == (
        "created",
        "",
        S.NEW,
        is_rep,
        is_rep,
    )


def test_lead_create_keeps_a_given_approach_date_and_team_for_a_pooled_lead(is_team):
    lead = lead_create(
        actor=None,
        company=CompanyFactory(),
        last_name="池田",
        source=source(),
        origin="outbound",
        team=is_team,
        next_approach_on=date(2026, 12, 1),
    )

    lead.refresh_from_db()
    assert (lead.owner, lead.team, lead.next_approach_on) == (None, is_team, date(2026, 12, 1))


@pytest.mark.parametrize(
    ("invalid", "field", "code"),
    [
        pytest.param(
            lambda: {"campaign": CampaignFactory()}, "campaign", "campaign_source", id="campaign-of-other-source"
        ),
        pytest.param(lambda: {"email": "not-an-email"}, "email", "invalid", id="bad-email"),
        pytest.param(lambda: {"last_name": "  "}, "last_name", "blank", id="no-name"),
    ],
)
def test_lead_create_saves_nothing_when_invalid(invalid, field, code, is_rep):
    company = CompanyFactory()
    valid = {"company": company, "last_name": "佐藤", "source": source("web_inquiry"), "origin": "inbound"}
    leads_before, events_before = Lead.objects.count(), LeadEvent.objects.count()

    with pytest.raises(ValidationError) as exc:
        lead_create(actor=is_rep, owner=is_rep, **{**valid, **invalid()})

    assert field_codes(exc.value) == {field: [code]}
    assert (Lead.objects.count(), LeadEvent.objects.count()) == (leads_before, events_before)
