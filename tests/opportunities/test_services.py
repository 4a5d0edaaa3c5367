"""Deal services: creation, phase gates and order, editing, and the CS account of a won deal."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from opportunities.models import CSAccount, Opportunity, Phase, PhaseHistory
from opportunities.services import cs_account_create, opportunity_create, opportunity_move, opportunity_update
from tests.helpers import NOW, TODAY, field_codes
from tests.leads.factories import CompanyFactory
from tests.opportunities.factories import OpportunityFactory, lost_reason, phase, service
from tests.org.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

BANT = {"bant_budget": "300万円", "bant_authority": "部長", "bant_needs": "勤怠集計", "bant_timeframe": "来年4月"}
# What each default gate needs, as the changes that satisfy it (a callable: picklists exist only in a test).
GATES = {
    "02": lambda: {"first_meeting_on": TODAY, "first_meeting_attendees": 2},
    "03": lambda: {"amount": 1_200_000, "service": service(), **BANT},
    "04": lambda: {"expected_close_on": date(2027, 3, 31), "decision_maker": "山田部長"},
    "05W": lambda: {"amount": 1_200_000, "contract_on": TODAY},
}


def snapshot(opportunity):
    return Opportunity.objects.values().get(pk=opportunity.pk)


# --- creation --------------------------------------------------------------------------------------


def test_create_starts_in_the_first_phase_with_its_history(fs_rep, is_rep):
    company = CompanyFactory()

    deal = opportunity_create(
        actor=is_rep,
        company=company,
        owner=fs_rep,
        origin="sgl",
        name="勤怠システム導入",
        next_action_on=date(2026, 11, 24),
        bant=BANT,
    )

    deal.refresh_from_db()
    history = PhaseHistory.objects.get(opportunity=deal)
    assert (deal.phase.code, deal.status, deal.phase_entered_at, deal.owner, deal.created_by) == (
        "01",
        "open",
        NOW,
        fs_rep,
        is_rep,
    )
    assert (deal.bant_budget, deal.bant_timeframe, deal.next_action_on) == ("300万円", "来年4月", date(2026, 11, 24))
    assert (history.from_phase, history.to_phase.code, history.actor) == (None, "01", is_rep)


def test_create_refuses_an_owner_who_is_not_field_sales(is_rep):
    with pytest.raises(ValidationError) as exc:
        opportunity_create(
            actor=is_rep,
            company=CompanyFactory(),
            owner=is_rep,
            origin="sgl",
            name="x",
            next_action_on=TODAY,
        )

    assert field_codes(exc.value) == {"owner": ["owner_not_fs"]}
    assert Opportunity.objects.count() == 0


# --- gates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_code", "to_code", "errors"),
    [
        pytest.param(
            "01",
            "02",
            {"first_meeting_on": ["required"], "first_meeting_attendees": ["required"]},
            id="02-first-meeting",
        ),
        pytest.param(
            "02",
            "03",
            {"amount": ["required"], "service": ["required"], NON_FIELD_ERRORS: ["bant_complete"]},
            id="03-proposal",
        ),
        pytest.param(
            "03", "04", {"expected_close_on": ["required"], "decision_maker": ["required"]}, id="04-negotiation"
        ),
        pytest.param(
            "04",
            "05W",
            {"amount": ["required"], "contract_on": ["required"]},
            id="05W-won",
        ),
        pytest.param("01", "05L", {"lost_reason": ["required"]}, id="05L-lost"),
    ],
)
def test_gate_names_every_missing_field_and_every_rule_it_can_judge(from_code, to_code, errors, fs_rep):
    deal = OpportunityFactory(phase_code=from_code, owner=fs_rep)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as exc:
        opportunity_move(opportunity=deal, to_phase=phase(to_code), actor=fs_rep)

    assert field_codes(exc.value) == errors
    assert snapshot(deal) == before
    assert not PhaseHistory.objects.filter(opportunity=deal).exists()


@pytest.mark.parametrize(
    ("from_code", "to_code", "changes", "errors"),
    [
        pytest.param(
            "01",
            "02",
            {"first_meeting_on": TODAY + timedelta(days=1), "first_meeting_attendees": 0},
            {NON_FIELD_ERRORS: ["first_meeting_held", "attendees_positive"]},
            id="02-meeting-not-yet-held",
        ),
        pytest.param(
            "01",
            "02",
            {"first_meeting_on": TODAY - timedelta(days=1)},
            {"first_meeting_attendees": ["required"]},
            id="02-attendees-missing",
        ),
        pytest.param(
            "01",
            "02",
            {"first_meeting_on": TODAY + timedelta(days=1)},
            {"first_meeting_attendees": ["required"], NON_FIELD_ERRORS: ["first_meeting_held"]},
            id="02-future-meeting-and-attendees-missing",
        ),
        pytest.param(
            "02",
            "03",
            {"amount": 1_200_000, **BANT, "bant_timeframe": " "},
            {"service": ["required"], NON_FIELD_ERRORS: ["bant_complete"]},
            id="03-service-and-timeframe-missing",
        ),
        pytest.param(
            "03",
            "04",
            {"decision_maker": "  ", "expected_close_on": date(2027, 3, 31)},
            {"decision_maker": ["required"]},
            id="04-blank-decision-maker",
        ),
        pytest.param(
            "04",
            "05W",
            {"amount": 0, "contract_on": TODAY},
            {NON_FIELD_ERRORS: ["amount_positive"]},
            id="05W-zero-amount",
        ),
    ],
)
def test_failed_gate_saves_none_of_the_changes(from_code, to_code, changes, errors, fs_rep):
    deal = OpportunityFactory(phase_code=from_code, owner=fs_rep)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as exc:
        opportunity_move(opportunity=deal, to_phase=phase(to_code), actor=fs_rep, changes=changes)

    deal.refresh_from_db()
    assert field_codes(exc.value) == errors
    assert deal.phase.code == from_code
    assert snapshot(deal) == before


@pytest.mark.parametrize(
    ("from_code", "to_code", "status"),
    [("01", "02", "open"), ("02", "03", "open"), ("03", "04", "open"), ("04", "05W", "won")],
)
def test_passing_gate_moves_the_deal_and_records_it(from_code, to_code, status, fs_rep):
    deal = OpportunityFactory(phase_code=from_code, owner=fs_rep, phase_entered_at=NOW - timedelta(days=10))
    changes = GATES[to_code]()

    moved = opportunity_move(opportunity=deal, to_phase=phase(to_code), actor=fs_rep, changes=changes, note="前進")

    deal.refresh_from_db()
    history = PhaseHistory.objects.get(opportunity=deal)
    assert moved.pk == deal.pk
    assert (deal.phase.code, deal.status, deal.phase_entered_at) == (to_code, status, NOW)
    assert {field: getattr(deal, field) for field in changes} == changes
    assert (history.from_phase.code, history.to_phase.code, history.actor, history.note) == (
        from_code,
        to_code,
        fs_rep,
        "前進",
    )


def test_winning_closes_the_deal(fs_rep):
    deal = OpportunityFactory(phase_code="04", owner=fs_rep)

    opportunity_move(opportunity=deal, to_phase=phase("05W"), actor=fs_rep, changes=GATES["05W"]())

    deal.refresh_from_db()
    assert (deal.status, deal.closed_at, deal.amount, deal.contract_on) == ("won", NOW, 1_200_000, TODAY)


@pytest.mark.parametrize("from_code", ["01", "02", "03", "04"])
def test_a_deal_may_be_lost_from_any_open_phase(from_code, fs_rep):
    deal = OpportunityFactory(phase_code=from_code, owner=fs_rep)

    opportunity_move(
        opportunity=deal, to_phase=phase("05L"), actor=fs_rep, lost_reason=lost_reason("competitor"), note="他社に決定"
    )

    deal.refresh_from_db()
    history = PhaseHistory.objects.get(opportunity=deal)
    assert (deal.phase.code, deal.status, deal.closed_at) == ("05L", "lost", NOW)
    assert (deal.lost_reason.code, deal.lost_note) == ("competitor", "他社に決定")
    assert (history.from_phase.code, history.to_phase.code, history.note) == (from_code, "05L", "他社に決定")


# --- order -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_code", "to_code"), [("01", "03"), ("01", "04"), ("02", "04"), ("01", "05W"), ("03", "05W")]
)
def test_skipping_phases_forward_is_refused_even_with_the_gate_met(from_code, to_code, fs_rep):
    deal = OpportunityFactory(phase_code=from_code, owner=fs_rep)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as exc:
        opportunity_move(opportunity=deal, to_phase=phase(to_code), actor=fs_rep, changes=GATES[to_code]())

    assert field_codes(exc.value) == {"phase": ["no_skip"]}
    assert snapshot(deal) == before


def test_an_inactive_phase_is_not_skipped(fs_rep):
    Phase.objects.filter(code="02").update(is_active=False)
    deal = OpportunityFactory(phase_code="01", owner=fs_rep)

    opportunity_move(opportunity=deal, to_phase=phase("03"), actor=fs_rep, changes=GATES["03"]())

    deal.refresh_from_db()
    assert deal.phase.code == "03"


def test_an_inactive_phase_cannot_be_entered(fs_rep):
    Phase.objects.filter(code="02").update(is_active=False)
    deal = OpportunityFactory(phase_code="01", owner=fs_rep)

    with pytest.raises(ValidationError) as exc:
        opportunity_move(opportunity=deal, to_phase=phase("02"), actor=fs_rep, changes=GATES["02"]())

    assert field_codes(exc.value) == {"phase": ["phase_inactive"]}


@pytest.mark.parametrize(
    ("from_code", "to_code", "filled"),
    [
        ("02", "01", {}),
        ("03", "01", {}),
        ("04", "02", {"first_meeting_on": date(2026, 10, 1), "first_meeting_attendees": 3}),
    ],
)
def test_moving_back_is_allowed_by_default(from_code, to_code, filled, fs_rep):
    deal = OpportunityFactory(phase_code=from_code, owner=fs_rep, **filled)

    opportunity_move(opportunity=deal, to_phase=phase(to_code), actor=fs_rep)

    deal.refresh_from_db()
    history = PhaseHistory.objects.get(opportunity=deal)
    assert (deal.phase.code, deal.status) == (to_code, "open")
    assert (history.from_phase.code, history.to_phase.code) == (from_code, to_code)


def test_moving_back_into_a_phase_that_forbids_it_is_refused(fs_rep):
    Phase.objects.filter(code="01").update(may_move_back_into=False)
    deal = OpportunityFactory(phase_code="02", owner=fs_rep)

    with pytest.raises(ValidationError) as exc:
        opportunity_move(opportunity=deal, to_phase=phase("01"), actor=fs_rep)

    assert field_codes(exc.value) == {"phase": ["no_move_back"]}


@pytest.mark.parametrize("closed", [{"won": True}, {"lost": True}])
@pytest.mark.parametrize("to_code", ["01", "04"])
def test_a_closed_deal_does_not_move(closed, to_code, fs_rep):
    deal = OpportunityFactory(owner=fs_rep, **closed)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as exc:
        opportunity_move(opportunity=deal, to_phase=phase(to_code), actor=fs_rep)

    assert exc.value.code == "closed"
    assert snapshot(deal) == before


def test_moving_to_the_current_phase_does_nothing(fs_rep):
    deal = OpportunityFactory(phase_code="02", owner=fs_rep)
    before = snapshot(deal)

    opportunity_move(opportunity=deal, to_phase=phase("02"), actor=fs_rep, changes={"amount": 5_000_000})

    assert snapshot(deal) == before
    assert not PhaseHistory.objects.filter(opportunity=deal).exists()


def test_move_refuses_changes_to_fields_outside_the_deal_form(fs_rep):
    deal = OpportunityFactory(owner=fs_rep)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as exc:
        opportunity_move(opportunity=deal, to_phase=phase("02"), actor=fs_rep, changes={"status": "won"})

    assert field_codes(exc.value) == {"status": ["not_editable"]}
    assert snapshot(deal) == before


@pytest.mark.parametrize(
    "actor",
    [
        pytest.param(lambda deal: deal.owner, id="owner"),
        pytest.param(lambda deal: UserFactory(manager=True), id="manager"),
        pytest.param(lambda deal: UserFactory(admin=True), id="admin"),
    ],
)
def test_owner_manager_and_admin_may_move_a_deal(actor):
    deal = OpportunityFactory()
    mover = actor(deal)

    opportunity_move(opportunity=deal, to_phase=phase("05L"), actor=mover, lost_reason=lost_reason())

    assert PhaseHistory.objects.get(opportunity=deal).actor == mover


@pytest.mark.parametrize("traits", [pytest.param({"fs": True}, id="other-fs-rep"), pytest.param({}, id="is-rep")])
def test_others_may_not_move_a_deal(traits):
    deal = OpportunityFactory()
    before = snapshot(deal)

    with pytest.raises(PermissionDenied):
        opportunity_move(
            opportunity=deal, to_phase=phase("05L"), actor=UserFactory(**traits), lost_reason=lost_reason()
        )

    assert snapshot(deal) == before


# --- editing ---------------------------------------------------------------------------------------


def test_update_changes_the_deal_form_fields(fs_rep):
    deal = OpportunityFactory(owner=fs_rep)

    opportunity_update(
        opportunity=deal,
        actor=fs_rep,
        data={"amount": 900_000, "next_action": "見積提出", "next_action_on": date(2026, 11, 27)},
    )

    deal.refresh_from_db()
    assert (deal.amount, deal.next_action, deal.next_action_on) == (900_000, "見積提出", date(2026, 11, 27))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("owner", lambda: UserFactory(fs=True)),
        ("phase", lambda: phase("04")),
        ("status", lambda: "won"),
        ("lost_reason", lambda: lost_reason()),
        ("closed_at", lambda: NOW),
    ],
)
def test_update_refuses_fields_that_move_only_through_transitions(field, value, fs_rep):
    deal = OpportunityFactory(owner=fs_rep)
    before = snapshot(deal)

    with pytest.raises(ValidationError) as exc:
        opportunity_update(opportunity=deal, actor=fs_rep, data={field: value(), "amount": 1})

    assert field_codes(exc.value) == {field: ["not_editable"]}
    assert snapshot(deal) == before


def test_a_closed_deal_cannot_be_edited(fs_rep):
    deal = OpportunityFactory(owner=fs_rep, lost=True)

    with pytest.raises(ValidationError) as exc:
        opportunity_update(opportunity=deal, actor=fs_rep, data={"amount": 1})

    assert exc.value.code == "closed"


# --- CS account ------------------------------------------------------------------------------------


def test_a_won_deal_becomes_one_cs_account(cs_rep):
    deal = OpportunityFactory(won=True, amount=2_400_000, contract_on=date(2026, 11, 1))

    account = cs_account_create(opportunity=deal, owner=cs_rep, renewal_on=date(2027, 11, 1))
    again = cs_account_create(opportunity=deal, owner=None)

    account.refresh_from_db()
    assert again.pk == account.pk
    assert CSAccount.objects.count() == 1
    assert (account.company, account.owner, account.contract_on, account.contract_amount, account.renewal_on) == (
        deal.company,
        cs_rep,
        date(2026, 11, 1),
        2_400_000,
        date(2027, 11, 1),
    )


@pytest.mark.parametrize("state", [pytest.param({}, id="open"), pytest.param({"lost": True}, id="lost")])
def test_only_a_won_deal_becomes_a_cs_account(state, cs_rep):
    deal = OpportunityFactory(**state)

    with pytest.raises(ValidationError) as exc:
        cs_account_create(opportunity=deal, owner=cs_rep)

    assert exc.value.code == "not_won"
    assert CSAccount.objects.count() == 0


def test_cs_account_is_owned_by_customer_success(fs_rep):
    deal = OpportunityFactory(won=True)

    with pytest.raises(ValidationError) as exc:
        cs_account_create(opportunity=deal, owner=fs_rep)

    assert field_codes(exc.value) == {"owner": ["owner_not_cs"]}
    assert CSAccount.objects.count() == 0
