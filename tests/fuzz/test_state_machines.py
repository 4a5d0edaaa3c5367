"""Random sequences of the real services, by right and wrong actors with random (often hostile) arguments,
must never reach a state the product forbids. One machine per lifecycle, each adding its rules to the one
before (a deal's life needs leads and handoffs):

- leads: create, work, nurture, recycle, disqualify, BANT, assign, log activities, set the next approach;
- handoffs: hand an SQL to FS, accept, reject, give feedback, send a deal back;
- deals: sales-generated deals, edits, phase moves (the closed phases too), lose, win, CS account edits.

A service may refuse with ValidationError or PermissionDenied; any other exception is a bug. After every
step every invariant is checked on every row (the models' CheckConstraints, the services' docstrings and
PRODUCT.md). Each example runs in a savepoint rolled back at its end, on a world built once per test."""

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from activities.models import Activity
from activities.services import activity_log
from handoffs.models import Handoff
from handoffs.services import (
    SENT_BACK_REASON,
    SQL_REJECTED_REASON,
    handoff_accept,
    handoff_create_sql,
    handoff_feedback,
    handoff_reject,
    opportunity_send_back,
    opportunity_win,
)
from leads.models import Lead, LeadEvent, LeadRecycle, Origin, RecycleReason, Temperature
from leads.services import (
    LEAD_TRANSITIONS,
    company_create,
    lead_assign,
    lead_create,
    lead_disqualify,
    lead_nurture,
    lead_recycle,
    lead_set_next_approach,
    lead_start_working,
    lead_update_bant,
    temperature_for,
)
from opportunities.models import CSAccount, LostReason, Opportunity, PhaseHistory, Service
from opportunities.models import Phase as DealPhase
from opportunities.services import (
    cs_account_update,
    opportunity_close_lost,
    opportunity_create,
    opportunity_move,
    opportunity_update,
)
from org.models import Team, User
from org.services import user_create
from tests.fuzz.strategies import text
from tests.worlds import PASSWORD, pipeline_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

REFUSALS = (ValidationError, PermissionDenied)
SETTINGS = settings(
    max_examples=16,
    stateful_step_count=20,
    deadline=None,
    database=None,
    # A failing sequence is reported as found: shrinking sequences of database writes takes minutes.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
OPEN = set(Lead.OPEN_STATUSES)
days = st.integers(min_value=-3, max_value=120)


def refused(call) -> bool:
    """Runs a service; True if it refused (the only way it may fail)."""
    try:
        call()
    except REFUSALS:
        return True
    return False


# --- invariants ----------------------------------------------------------------------------------------------


def check_leads() -> None:
    for lead in Lead.objects.all():
        assert lead.status in Lead.Status.values
        assert (lead.status in OPEN) == (lead.next_approach_on is not None), lead.status
        assert (lead.status == Lead.Status.RECYCLED) == (lead.recycle_reason_id is not None)
        if lead.status in (Lead.Status.NURTURING, Lead.Status.DISQUALIFIED):
            assert lead.status_reason.strip()
        bant = {
            "budget": lead.bant_budget,
            "authority": lead.bant_authority,
            "needs": lead.bant_needs,
            "timeframe": lead.bant_timeframe,
        }
        if lead.temperature != Temperature.C:
            assert lead.temperature == temperature_for(**bant, meeting_agreed=False), (lead.temperature, bant)
        assert lead.last_name.strip()
        # "Leads are owned by inside-sales reps."
        assert lead.owner is None or lead.owner.role == User.Role.IS, lead.owner.role
        # The history tells the same story as the row: a chain of allowed moves ending in the status.
        events = list(
            LeadEvent.objects.filter(lead=lead, kind__in=[LeadEvent.Kind.CREATED, LeadEvent.Kind.STATUS]).order_by("pk")
        )
        assert events[0].kind == LeadEvent.Kind.CREATED
        for before, after in itertools.pairwise(events):
            assert after.from_status == before.to_status
            assert after.to_status in LEAD_TRANSITIONS[after.from_status], (after.from_status, after.to_status)
        assert events[-1].to_status == lead.status
        if lead.status == Lead.Status.RECYCLED:
            assert LeadRecycle.objects.filter(lead=lead).first().reason_id == lead.recycle_reason_id
        sqls = Handoff.objects.filter(lead=lead, kind=Handoff.Kind.IS_TO_FS)
        # An SQL is made only by handing it off; a lead has one open SQL handoff at most.
        if lead.status == Lead.Status.QUALIFIED:
            assert sqls.exclude(status=Handoff.Status.REJECTED).exists()
        assert sqls.filter(status=Handoff.Status.PENDING).count() <= 1


def check_handoffs() -> None:
    for handoff in Handoff.objects.select_related("opportunity", "lead", "opportunity__lost_reason"):
        deal = handoff.opportunity
        assert (handoff.status == Handoff.Status.PENDING) == (handoff.responded_at is None)
        if handoff.kind == Handoff.Kind.IS_TO_FS:
            assert handoff.temperature
            assert deal.origin == Opportunity.Origin.SQL and deal.origin_lead_id == handoff.lead_id
            assert deal.owner_id == handoff.to_user_id
            if handoff.status == Handoff.Status.PENDING:
                # Waiting for FS's answer: the deal is open and the lead is an SQL.
                assert deal.status == Opportunity.Status.OPEN, deal.status
                assert handoff.lead.status == Lead.Status.QUALIFIED, handoff.lead.status
            if handoff.status == Handoff.Status.REJECTED:
                assert handoff.reason.strip()
                # Rejected by FS, or sent back before FS answered.
                assert deal.status == Opportunity.Status.LOST
                assert deal.lost_reason.code in (SQL_REJECTED_REASON, SENT_BACK_REASON)
            if handoff.feedback:
                assert handoff.status == Handoff.Status.ACCEPTED and deal.first_meeting_on is not None
        elif handoff.kind == Handoff.Kind.FS_TO_IS:
            assert handoff.reason.strip() and handoff.to_team.kind == Team.Kind.RECYCLE
            assert deal.status == Opportunity.Status.LOST and deal.lost_reason.code == SENT_BACK_REASON
        else:
            assert deal.status == Opportunity.Status.WON
            assert deal.cs_account.owner_id == handoff.to_user_id


def check_deals() -> None:
    for deal in Opportunity.objects.select_related("phase"):
        outcome = {DealPhase.Outcome.OPEN: "open", DealPhase.Outcome.WON: "won", DealPhase.Outcome.LOST: "lost"}
        assert deal.status == outcome[deal.phase.outcome]
        assert (deal.status == Opportunity.Status.OPEN) == (deal.closed_at is None)
        if deal.is_open:
            assert deal.next_action_on is not None
        assert deal.owner.role == User.Role.FS
        if deal.status == Opportunity.Status.LOST:
            assert deal.lost_reason_id is not None
        if deal.status == Opportunity.Status.WON:
            # A won deal is a customer: its CS account exists, with the contract the deal was won on.
            account = CSAccount.objects.filter(opportunity=deal).first()
            assert account is not None, "won deal without a CS account"
            assert account.contract_amount == deal.amount and account.contract_on == deal.contract_on
        if deal.origin == Opportunity.Origin.SQL:
            assert Handoff.objects.filter(opportunity=deal, kind=Handoff.Kind.IS_TO_FS).exists()
        history = list(PhaseHistory.objects.filter(opportunity=deal).order_by("pk"))
        assert history[0].from_phase_id is None
        for before, after in itertools.pairwise(history):
            assert after.from_phase_id == before.to_phase_id
            assert not before.to_phase.is_closed, "a closed deal changed phase"
        assert history[-1].to_phase_id == deal.phase_id


# --- machines ------------------------------------------------------------------------------------------------


class LeadMachine(RuleBasedStateMachine):
    world: dict = {}

    def __init__(self):
        super().__init__()
        self.w = self.world
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.leads: list[int] = []
        self.today = timezone.localdate()

    def teardown(self):
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # Draws -------------------------------------------------------------------------------------------------

    def actor(self, data, *right: User) -> User:
        """Anyone, or (half the time, when given) one of the users the action is meant for."""
        anyone = st.sampled_from(self.w["actors"])
        return data.draw(st.one_of(st.sampled_from(right), anyone) if right else anyone, label="actor")

    def lead(self, data) -> Lead:
        return Lead.objects.get(pk=data.draw(st.sampled_from(self.leads), label="lead"))

    def day(self, data):
        return self.today + timedelta(days=data.draw(days, label="days ahead"))

    # Rules -------------------------------------------------------------------------------------------------

    @rule(data=st.data(), name=text, origin=st.sampled_from(Origin.values), employees=st.integers(1, 2000))
    def create_lead(self, data, name, origin, employees):
        owner = data.draw(st.sampled_from([None, self.w["rep"], self.w["recycler"]]), label="owner")
        try:
            company = company_create(name=f"株式会社{name}", employee_count=employees, prefecture="13")
            lead = lead_create(
                actor=self.actor(data),
                company=company,
                last_name=name,
                source=self.w["source"],
                origin=origin,
                owner=owner,
            )
        except REFUSALS:
            return
        self.leads.append(lead.pk)

    @precondition(lambda self: self.leads)
    @rule(data=st.data())
    def start_working(self, data):
        refused(lambda: lead_start_working(lead=self.lead(data), actor=self.actor(data)))

    @precondition(lambda self: self.leads)
    @rule(data=st.data(), reason=text)
    def nurture(self, data, reason):
        refused(
            lambda: lead_nurture(
                lead=self.lead(data), actor=self.actor(data), reason=reason, next_approach_on=self.day(data)
            )
        )

    @precondition(lambda self: self.leads)
    @rule(data=st.data(), reason=text)
    def disqualify(self, data, reason):
        refused(lambda: lead_disqualify(lead=self.lead(data), actor=self.actor(data), reason=reason))

    @precondition(lambda self: self.leads)
    @rule(data=st.data(), note=text, by_week=st.booleans(), month=st.integers(0, 13), week=st.integers(0, 7))
    def recycle(self, data, note, by_week, month, week):
        reason = data.draw(st.sampled_from(self.w["recycle_reasons"]), label="reason")
        assignee = data.draw(st.sampled_from([None, *self.w["actors"]]), label="assignee")
        team = data.draw(st.sampled_from([None, self.w["sdr"], self.w["recycle"]]), label="team")
        when = {"month": month, "week": week} if by_week else {"approach_on": self.day(data)}
        refused(
            lambda: lead_recycle(
                lead=self.lead(data),
                actor=self.actor(data),
                reason=reason,
                assignee=assignee,
                note=note,
                team=team,
                **when,
            )
        )

    @precondition(lambda self: self.leads)
    @rule(
        data=st.data(),
        heard=st.lists(st.sampled_from(["", " ", "300万円", "部長", "<b>x</b>"]), min_size=4, max_size=4),
        temperature=st.sampled_from([None, "", "A", "B", "C", "Z"]),
    )
    def hear_bant(self, data, heard, temperature):
        budget, authority, needs, timeframe = heard
        refused(
            lambda: lead_update_bant(
                lead=self.lead(data),
                actor=self.actor(data),
                budget=budget,
                authority=authority,
                needs=needs,
                timeframe=timeframe,
                temperature=temperature,
            )
        )

    @precondition(lambda self: self.leads)
    @rule(data=st.data())
    def assign(self, data):
        owner = data.draw(st.sampled_from([None, *self.w["actors"]]), label="owner")
        refused(lambda: lead_assign(lead=self.lead(data), owner=owner, actor=self.actor(data)))

    @precondition(lambda self: self.leads)
    @rule(
        data=st.data(),
        kind=st.sampled_from(Activity.Kind.values),
        connected=st.sampled_from([None, True, False]),
        effective=st.booleans(),
        note=text,
        next_on=st.booleans(),
    )
    def log_activity(self, data, kind, connected, effective, note, next_on):
        refused(
            lambda: activity_log(
                actor=self.actor(data),
                lead=self.lead(data),
                kind=kind,
                direction="outbound",
                connected=connected,
                effective_conversation=effective,
                note=note,
                next_approach_on=self.day(data) if next_on else None,
            )
        )

    @precondition(lambda self: self.leads)
    @rule(data=st.data())
    def set_next_approach(self, data):
        refused(
            lambda: lead_set_next_approach(
                lead=self.lead(data), actor=self.actor(data), next_approach_on=self.day(data)
            )
        )

    @invariant()
    def leads_are_legal(self):
        check_leads()


def has_sqls(self) -> bool:
    return Handoff.objects.filter(kind=Handoff.Kind.IS_TO_FS).exists()


def has_deals(self) -> bool:
    return Opportunity.objects.exists()


class HandoffMachine(LeadMachine):
    def handoff(self, data, **filters) -> Handoff:
        handoffs = list(Handoff.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))
        return Handoff.objects.get(pk=data.draw(st.sampled_from(handoffs), label="handoff")) if handoffs else None

    def deal(self, data) -> Opportunity | None:
        deals = list(Opportunity.objects.order_by("pk").values_list("pk", flat=True))
        return Opportunity.objects.get(pk=data.draw(st.sampled_from(deals), label="deal")) if deals else None

    @precondition(lambda self: self.leads)
    @rule(data=st.data(), heard=text, override=text, bant=st.booleans())
    def hand_off(self, data, heard, override, bant):
        lead = self.lead(data)
        if bant and not refused(
            lambda: lead_update_bant(
                lead=lead, actor=self.w["rep"], budget="300万円", authority="部長", needs="勤怠", timeframe="4月"
            )
        ):
            lead.refresh_from_db()
        to_user = self.actor(data, self.w["fs_a"], self.w["fs_b"])
        refused(
            lambda: handoff_create_sql(
                lead=lead,
                actor=self.actor(data, self.w["rep"]),
                to_user=to_user,
                heard=heard,
                why_now="",
                decision_process="",
                to_confirm="",
                capacity_override_reason=override,
            )
        )

    @precondition(has_sqls)
    @rule(data=st.data())
    def accept(self, data):
        handoff = self.handoff(data, kind=Handoff.Kind.IS_TO_FS)
        if handoff is None:
            return
        actor = self.actor(data, handoff.to_user)
        was_refused = refused(lambda: handoff_accept(handoff=handoff, actor=actor))
        if actor.pk != handoff.to_user_id and not actor.sees_everything:
            assert was_refused, "someone other than the recipient answered the handoff"

    @precondition(has_sqls)
    @rule(data=st.data(), reason=text)
    def reject(self, data, reason):
        handoff = self.handoff(data, kind=Handoff.Kind.IS_TO_FS)
        if handoff is None:
            return
        actor = self.actor(data, handoff.to_user)
        was_refused = refused(lambda: handoff_reject(handoff=handoff, actor=actor, reason=reason))
        if actor.pk != handoff.to_user_id and not actor.sees_everything:
            assert was_refused, "someone other than the recipient answered the handoff"

    @precondition(has_sqls)
    @rule(
        data=st.data(), feedback=st.sampled_from(["yes", "partly", "no", "maybe", ""]), reason=text, met=st.booleans()
    )
    def give_feedback(self, data, feedback, reason, met):
        handoff = self.handoff(data, kind=Handoff.Kind.IS_TO_FS)
        if handoff is None:
            return
        if met:
            refused(
                lambda: opportunity_update(
                    opportunity=handoff.opportunity, actor=self.w["admin"], data={"first_meeting_on": self.today}
                )
            )
        refused(
            lambda: handoff_feedback(
                handoff=handoff, actor=self.actor(data, handoff.to_user), feedback=feedback, reason=reason
            )
        )

    @precondition(has_deals)
    @rule(data=st.data(), reason=text, by_week=st.booleans(), month=st.integers(0, 13), week=st.integers(0, 7))
    def send_back(self, data, reason, by_week, month, week):
        deal = self.deal(data)
        if deal is None:
            return
        when = {"month": month, "week": week} if by_week else {"approach_on": self.day(data)}
        actor = self.actor(data, deal.owner)
        was_refused = refused(
            lambda: opportunity_send_back(
                opportunity=deal, actor=actor, reason=reason, recycle_reason=self.w["recycle_reasons"][0], **when
            )
        )
        if actor.role not in (User.Role.MANAGER, User.Role.ADMIN) and actor.pk != deal.owner_id:
            assert was_refused, "someone other than the deal's owner, a manager or an admin sent it back"

    @invariant()
    def handoffs_are_legal(self):
        check_handoffs()


class DealMachine(HandoffMachine):
    @rule(data=st.data(), name=text, amount=st.one_of(st.none(), st.integers(-5, 10**7)))
    def create_sgl(self, data, name, amount):
        owner = self.actor(data, self.w["fs_a"], self.w["fs_b"])
        try:
            company = company_create(name=f"株式会社{name}x", employee_count=20)
        except REFUSALS:
            return
        refused(
            lambda: opportunity_create(
                actor=self.actor(data),
                company=company,
                owner=owner,
                origin=Opportunity.Origin.SGL,
                name=name,
                next_action_on=self.today,
                amount=amount,
            )
        )

    @rule(
        data=st.data(),
        changes=st.fixed_dictionaries(
            {},
            optional={
                "amount": st.one_of(st.none(), st.integers(-1, 10**7)),
                "contract_on": st.one_of(st.none(), st.just(timezone.localdate)),
                "first_meeting_on": st.one_of(st.none(), st.just(timezone.localdate)),
                "first_meeting_attendees": st.one_of(st.none(), st.integers(0, 5)),
                "next_action_on": st.one_of(st.none(), st.just(timezone.localdate)),
                "decision_maker": text,
                "service": st.none(),
                "bant_budget": text,
            },
        ),
        move=st.booleans(),
        lost_reason=st.booleans(),
    )
    def edit_or_move(self, data, changes, move, lost_reason):
        deal = self.deal(data)
        if deal is None:
            return
        changes = {key: value() if callable(value) else value for key, value in changes.items()}
        actor = self.actor(data, deal.owner)
        if move:
            phase = data.draw(st.sampled_from(self.w["phases"]), label="phase")
            reason = LostReason.objects.get(code="price") if lost_reason else None
            call = lambda: opportunity_move(  # noqa: E731
                opportunity=deal, to_phase=phase, actor=actor, changes=changes, lost_reason=reason
            )
        else:
            call = lambda: opportunity_update(opportunity=deal, actor=actor, data=changes)  # noqa: E731
        was_refused = refused(call)
        if actor.pk != deal.owner_id and actor.role not in (User.Role.MANAGER, User.Role.ADMIN):
            assert was_refused, "someone other than the owner, a manager or an admin changed the deal"

    @precondition(has_deals)
    @rule(data=st.data())
    def advance(self, data):
        """Into the next phase with every gate field filled: random sequences reach the late phases too."""
        deal = self.deal(data)
        if deal is None:
            return
        later = [phase for phase in self.w["phases"] if phase.sort_order > deal.phase.sort_order]
        if not later:
            return
        changes = {
            "amount": 1_000_000,
            "contract_on": self.today,
            "first_meeting_on": self.today,
            "first_meeting_attendees": 2,
            "decision_maker": "部長",
            "expected_close_on": self.today,
            "quantity": 3,
            "service": self.w["service"],
            "bant_budget": "300万円",
            "bant_authority": "部長",
            "bant_needs": "勤怠",
            "bant_timeframe": "4月",
        }
        reason = LostReason.objects.get(code="price")
        refused(
            lambda: opportunity_move(
                opportunity=deal,
                to_phase=later[0],
                actor=self.actor(data, deal.owner),
                changes=changes,
                lost_reason=reason,
            )
        )

    @precondition(has_deals)
    @rule(data=st.data(), note=text)
    def lose(self, data, note):
        deal = self.deal(data)
        if deal is not None:
            refused(
                lambda: opportunity_close_lost(
                    opportunity=deal,
                    actor=self.actor(data, deal.owner),
                    reason=LostReason.objects.get(code="price"),
                    note=note,
                )
            )

    @precondition(has_deals)
    @rule(data=st.data(), amount=st.integers(-1, 10**8), renewal=st.sampled_from([None, -1, 0, 365]))
    def win(self, data, amount, renewal):
        deal = self.deal(data)
        if deal is None:
            return
        cs_owner = self.actor(data, self.w["cs"])
        renewal_on = None if renewal is None else self.today + timedelta(days=renewal)
        refused(
            lambda: opportunity_win(
                opportunity=deal,
                actor=self.actor(data, deal.owner),
                amount=amount,
                contract_on=self.today,
                cs_owner=cs_owner,
                renewal_on=renewal_on,
            )
        )

    @rule(data=st.data(), notes=text, health=st.sampled_from(["green", "red", "purple"]))
    def edit_account(self, data, notes, health):
        accounts = list(CSAccount.objects.order_by("pk"))
        if accounts:
            account = data.draw(st.sampled_from(accounts), label="account")
            refused(
                lambda: cs_account_update(
                    account=account, actor=self.actor(data), data={"success_definition": notes, "health": health}
                )
            )

    @invariant()
    def deals_are_legal(self):
        check_deals()


@pytest.fixture
def world():
    w = pipeline_world()
    w["admin"] = user_create(username="admin", password=PASSWORD, role=User.Role.ADMIN)
    w["marketer"] = user_create(username="mkt", password=PASSWORD, role=User.Role.MARKETING)
    w["actors"] = [w[name] for name in ("rep", "recycler", "is_manager", "fs_a", "fs_b", "cs", "admin", "marketer")]
    retired = RecycleReason.objects.create(code="retired", name_ja="廃止", name_en="Retired", is_active=False)
    w["recycle_reasons"] = [RecycleReason.objects.get(code="timing"), retired]
    w["service"] = Service.objects.filter(is_active=True).first()
    w["phases"] = list(DealPhase.objects.order_by("sort_order"))
    return w


@pytest.mark.parametrize("machine", [LeadMachine, HandoffMachine, DealMachine], ids=["lead", "handoff", "deal"])
def test_no_sequence_of_transitions_reaches_an_illegal_state(machine, world):
    machine.world = world
    run_state_machine_as_test(machine, settings=SETTINGS)
