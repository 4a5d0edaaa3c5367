"""The SQL handoff (IS → FS): one transaction for handoff, deal and lead; FS capacity; answering it."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from handoffs.models import Handoff
from handoffs.selectors import fs_sql_count
from handoffs.services import handoff_accept, handoff_create_sql, handoff_reject, opportunity_send_back
from leads.models import Lead, LeadEvent
from opportunities.models import Opportunity, PhaseHistory
from tests.handoffs.factories import FSCapacityRuleFactory
from tests.helpers import NOW, TODAY, TOKYO, field_codes
from tests.leads.factories import CompanyFactory, LeadFactory, lead_in_status, lead_with_bant, recycle_reason
from tests.opportunities.factories import service
from tests.org.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

S = Lead.Status


def hand_off(lead, to_user, *, actor=None, **kwargs):
    return handoff_create_sql(
        lead=lead,
        actor=actor or lead.owner,
        to_user=to_user,
        heard=kwargs.pop("heard", " 予算300万円、来年4月導入、部長決裁 "),
        why_now="法改正対応",
        decision_process="部長→役員会",
        to_confirm="給与システム連携",
        **kwargs,
    )


def snapshot(lead):
    return Lead.objects.values().get(pk=lead.pk)


def written():
    return Handoff.objects.count(), Opportunity.objects.count(), PhaseHistory.objects.count()


@pytest.fixture
def lead(is_rep):
    """A working lead of 50 employees (band 31-100) with all of BANT heard."""
    return lead_in_status(S.WORKING, owner=is_rep)


# --- creating the SQL ------------------------------------------------------------------------------


def test_sql_handoff_writes_the_handoff_the_deal_and_the_qualified_lead(lead, is_rep, fs_rep):
    handoff = hand_off(lead, fs_rep, service=service("payroll"))

    lead.refresh_from_db()
    deal = handoff.opportunity
    deal.refresh_from_db()
    event = LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STATUS).first()
    assert (handoff.kind, handoff.status, handoff.from_user, handoff.to_user, handoff.lead) == (
        "is_to_fs",
        "pending",
        is_rep,
        fs_rep,
        lead,
    )
    assert (handoff.temperature, handoff.heard, handoff.capacity_override_reason) == (
        "A",
        "予算300万円、来年4月導入、部長決裁",
        "",
    )
    assert (handoff.bant_budget, handoff.bant_authority, handoff.bant_needs, handoff.bant_timeframe) == (
        lead.bant_budget,
        lead.bant_authority,
        lead.bant_needs,
        lead.bant_timeframe,
    )
    assert (deal.origin, deal.origin_lead, deal.company, deal.owner, deal.created_by) == (
        "sql",
        lead,
        lead.company,
        fs_rep,
        is_rep,
    )
    assert (deal.phase.code, deal.status, deal.next_action_on, deal.service.code, deal.revived_from) == (
        "01",
        "open",
        TODAY + timedelta(days=3),
        "payroll",
        None,
    )
    assert (deal.bant_budget, deal.bant_authority, deal.bant_needs, deal.bant_timeframe) == (
        "300万円",
        "部長",
        "勤怠集計の自動化",
        "来年4月",
    )
    assert deal.name == f"{lead.company.name} / 山田 太郎"
    assert list(PhaseHistory.objects.filter(opportunity=deal).values_list("to_phase__code", "actor")) == [
        ("01", is_rep.pk)
    ]
    assert (lead.status, lead.next_approach_on, lead.temperature) == (S.QUALIFIED, None, "A")
    assert (event.from_status, event.to_status, event.actor) == (S.WORKING, S.QUALIFIED, is_rep)


def test_asking_twice_returns_the_pending_handoff(lead, fs_rep):
    first = hand_off(lead, fs_rep)
    counts = written()

    second = hand_off(lead, fs_rep)

    assert second.pk == first.pk
    assert written() == counts == (1, 1, 1)


def test_a_failure_after_the_lead_was_qualified_writes_nothing(lead, fs_rep):
    # The override reason is checked last, by the handoff's own validation, after the lead and the deal.
    before = snapshot(lead)
    events = lead.events.count()

    with pytest.raises(ValidationError) as exc:
        hand_off(lead, fs_rep, capacity_override_reason="理由" * 151)

    assert field_codes(exc.value) == {"capacity_override_reason": ["max_length"]}
    assert written() == (0, 0, 0)
    assert snapshot(lead) == before
    assert lead.events.count() == events


@pytest.mark.parametrize(
    ("to_user", "field", "code"),
    [
        pytest.param(lambda: UserFactory(), "to_user", "not_fs", id="to-an-is-rep"),
        pytest.param(lambda: UserFactory(fs=True, is_active=False), "to_user", "not_fs", id="to-an-inactive-fs-rep"),
    ],
)
def test_sql_goes_to_an_active_fs_rep(lead, to_user, field, code):
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        hand_off(lead, to_user())

    assert field_codes(exc.value) == {field: [code]}
    assert written() == (0, 0, 0)
    assert snapshot(lead) == before


def test_sql_needs_what_was_heard(lead, fs_rep):
    with pytest.raises(ValidationError) as exc:
        hand_off(lead, fs_rep, heard="  ")

    assert field_codes(exc.value) == {"heard": ["required"]}
    assert written() == (0, 0, 0)


def test_sql_needs_a_temperature(is_rep, fs_rep):
    lead = LeadFactory(owner=is_rep)
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        hand_off(lead, fs_rep)

    assert field_codes(exc.value) == {"temperature": ["temperature_missing"]}
    assert written() == (0, 0, 0)
    assert snapshot(lead) == before


def test_a_disqualified_lead_cannot_become_an_sql(is_rep, fs_rep):
    lead = lead_in_status(S.DISQUALIFIED, owner=is_rep)

    with pytest.raises(ValidationError) as exc:
        hand_off(lead, fs_rep)

    assert exc.value.code == "illegal_transition"
    assert written() == (0, 0, 0)


# --- capacity --------------------------------------------------------------------------------------


@pytest.fixture
def two_sqls(is_rep, fs_rep):
    """The FS rep's own limit of 2 SQLs a month for 31-100 employees, already reached."""
    FSCapacityRuleFactory(user=fs_rep, size_band="31-100", monthly_limit=2)
    return [hand_off(lead_with_bant(owner=is_rep), fs_rep) for _ in range(2)]


def test_over_capacity_is_refused_and_writes_nothing(two_sqls, lead, fs_rep):
    before = snapshot(lead)

    with pytest.raises(ValidationError) as exc:
        hand_off(lead, fs_rep)

    assert field_codes(exc.value) == {"to_user": ["over_capacity"]}
    assert exc.value.error_dict["to_user"][0].params == {"rep": fs_rep, "count": 2, "limit": 2}
    assert written() == (2, 2, 2)
    assert snapshot(lead) == before


def test_over_capacity_passes_with_a_reason_that_is_kept(two_sqls, lead, fs_rep):
    handoff = hand_off(lead, fs_rep, capacity_override_reason=" 大型案件のため担当継続 ")

    handoff.refresh_from_db()
    assert handoff.capacity_override_reason == "大型案件のため担当継続"
    assert written() == (3, 3, 3)


def test_a_rejected_sql_frees_its_place(two_sqls, lead, fs_rep):
    handoff_reject(handoff=two_sqls[0], actor=fs_rep, reason="決裁者不在")

    handoff = hand_off(lead, fs_rep)

    assert handoff.capacity_override_reason == ""


def test_capacity_is_counted_per_size_band(two_sqls, is_rep, fs_rep):
    bigger = lead_with_bant(owner=is_rep, company=CompanyFactory(employee_count=500))

    handoff = hand_off(bigger, fs_rep)

    assert (handoff.lead.company.size_band, handoff.status) == ("301-999", "pending")


def test_capacity_is_per_rep(two_sqls, lead):
    other_rep = UserFactory(fs=True)

    handoff = hand_off(lead, other_rep)

    assert handoff.to_user == other_rep


# --- the month in Tokyo ----------------------------------------------------------------------------


def test_sqls_are_counted_in_the_tokyo_month(frozen, is_rep, fs_rep):
    frozen.move_to(datetime(2026, 11, 30, 23, 30, tzinfo=TOKYO))
    hand_off(lead_with_bant(owner=is_rep), fs_rep)
    # 00:30 on 1 December in Tokyo is still 30 November in UTC.
    frozen.move_to(datetime(2026, 12, 1, 0, 30, tzinfo=TOKYO))
    hand_off(lead_with_bant(owner=is_rep), fs_rep)
    hand_off(lead_with_bant(owner=is_rep), fs_rep)

    assert fs_sql_count(user=fs_rep, size_band="31-100", month=date(2026, 11, 1)) == 1
    assert fs_sql_count(user=fs_rep, size_band="31-100", month=date(2026, 12, 15)) == 2
    assert fs_sql_count(user=fs_rep, size_band="31-100") == 2
    assert fs_sql_count(user=fs_rep, size_band="101-300") == 0


def test_a_new_tokyo_month_resets_the_capacity(frozen, is_rep, fs_rep):
    FSCapacityRuleFactory(user=fs_rep, size_band="31-100", monthly_limit=1)
    frozen.move_to(datetime(2026, 11, 30, 23, 59, tzinfo=TOKYO))
    hand_off(lead_with_bant(owner=is_rep), fs_rep)
    frozen.move_to(datetime(2026, 12, 1, 0, 1, tzinfo=TOKYO))

    handoff = hand_off(lead_with_bant(owner=is_rep), fs_rep)

    assert handoff.capacity_override_reason == ""


# --- answering -------------------------------------------------------------------------------------


@pytest.fixture
def handoff(lead, fs_rep):
    return hand_off(lead, fs_rep)


def test_accepting_is_idempotent(frozen, handoff, fs_rep):
    handoff_accept(handoff=handoff, actor=fs_rep)
    frozen.shift(timedelta(hours=2))

    again = handoff_accept(handoff=handoff, actor=fs_rep)

    handoff.refresh_from_db()
    assert (handoff.status, handoff.responded_at) == ("accepted", NOW)
    assert (again.pk, again.status, again.responded_at) == (handoff.pk, "accepted", NOW)
    assert handoff.opportunity.status == "open"


def test_rejecting_needs_a_reason(handoff, fs_rep):
    with pytest.raises(ValidationError) as exc:
        handoff_reject(handoff=handoff, actor=fs_rep, reason=" ")

    handoff.refresh_from_db()
    assert field_codes(exc.value) == {"reason": ["reason_required"]}
    assert (handoff.status, handoff.opportunity.status, handoff.lead.status) == ("pending", "open", S.QUALIFIED)


def test_rejecting_closes_the_deal_lost_and_returns_the_lead_to_working(handoff, fs_rep):
    handoff_reject(handoff=handoff, actor=fs_rep, reason=" 決裁者が未確認 ")

    handoff.refresh_from_db()
    deal, lead = handoff.opportunity, handoff.lead
    event = LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STATUS).first()
    assert (handoff.status, handoff.reason, handoff.responded_at) == ("rejected", "決裁者が未確認", NOW)
    assert (deal.status, deal.phase.code, deal.lost_reason.code, deal.closed_at) == ("lost", "05L", "sql_rejected", NOW)
    assert (lead.status, lead.next_approach_on, lead.owner) == (S.WORKING, TODAY, handoff.from_user)
    assert (event.from_status, event.to_status, event.actor) == (S.QUALIFIED, S.WORKING, fs_rep)


def test_rejecting_twice_changes_nothing_more(handoff, fs_rep):
    handoff_reject(handoff=handoff, actor=fs_rep, reason="決裁者が未確認")
    events = LeadEvent.objects.count()
    history = PhaseHistory.objects.count()

    again = handoff_reject(handoff=handoff, actor=fs_rep, reason="別の理由")

    assert (again.status, again.reason) == ("rejected", "決裁者が未確認")
    assert (LeadEvent.objects.count(), PhaseHistory.objects.count()) == (events, history)


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        pytest.param(
            lambda h, u: handoff_reject(handoff=h, actor=u, reason="不要"),
            lambda h, u: handoff_accept(handoff=h, actor=u),
            "already_rejected",
            id="accept-after-reject",
        ),
        pytest.param(
            lambda h, u: handoff_accept(handoff=h, actor=u),
            lambda h, u: handoff_reject(handoff=h, actor=u, reason="やはり不要"),
            "already_accepted",
            id="reject-after-accept",
        ),
    ],
)
def test_an_answer_cannot_be_reversed(handoff, fs_rep, first, second, code):
    first(handoff, fs_rep)
    status = Handoff.objects.get(pk=handoff.pk).status

    with pytest.raises(ValidationError) as exc:
        second(handoff, fs_rep)

    assert exc.value.code == code
    assert Handoff.objects.get(pk=handoff.pk).status == status


ANSWERS = [
    pytest.param(lambda h, u: handoff_accept(handoff=h, actor=u), id="accept"),
    pytest.param(lambda h, u: handoff_reject(handoff=h, actor=u, reason="不要"), id="reject"),
]


@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize(
    "who",
    [pytest.param(lambda h: UserFactory(fs=True), id="other-fs-rep"), pytest.param(lambda h: h.from_user, id="sender")],
)
def test_only_the_recipient_answers(handoff, answer, who):
    with pytest.raises(ValidationError) as exc:
        answer(handoff, who(handoff))

    handoff.refresh_from_db()
    assert exc.value.code == "not_recipient"
    assert (handoff.status, handoff.responded_at, handoff.opportunity.status) == ("pending", None, "open")


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        pytest.param(lambda h, u: handoff_accept(handoff=h, actor=u), "accepted", id="accept"),
        pytest.param(lambda h, u: handoff_reject(handoff=h, actor=u, reason="不要"), "rejected", id="reject"),
    ],
)
def test_an_admin_may_answer_for_the_recipient(handoff, answer, status):
    answer(handoff, UserFactory(admin=True))

    handoff.refresh_from_db()
    assert (handoff.status, handoff.responded_at) == (status, NOW)


def test_a_lead_that_becomes_an_sql_again_links_the_new_deal_to_the_lost_one(frozen, handoff, fs_rep):
    handoff_reject(handoff=handoff, actor=fs_rep, reason="時期尚早")
    frozen.shift(timedelta(days=40))
    lead = Lead.objects.get(pk=handoff.lead_id)

    second = hand_off(lead, fs_rep)

    assert second.pk != handoff.pk
    assert second.opportunity.revived_from == handoff.opportunity
    assert list(Handoff.objects.filter(lead=lead).values_list("status", flat=True)) == ["pending", "rejected"]


def test_sending_a_deal_back_closes_it_and_pools_the_lead_with_the_recycle_team(handoff, fs_rep):
    recycle_team = TeamFactory(recycle=True)
    handoff_accept(handoff=handoff, actor=fs_rep)

    back = opportunity_send_back(
        opportunity=handoff.opportunity,
        actor=fs_rep,
        reason=" 3か月動きなし ",
        recycle_reason=recycle_reason("timing"),
        approach_on=date(2027, 2, 1),
    )

    deal, lead = Opportunity.objects.get(pk=handoff.opportunity_id), Lead.objects.get(pk=handoff.lead_id)
    assert (back.kind, back.from_user, back.to_user, back.to_team, back.reason) == (
        "fs_to_is",
        fs_rep,
        None,
        recycle_team,
        "3か月動きなし",
    )
    assert (deal.status, deal.lost_reason.code, deal.lost_note) == ("lost", "sent_back", "3か月動きなし")
    assert (lead.status, lead.team, lead.owner, lead.next_approach_on) == (
        S.RECYCLED,
        recycle_team,
        None,
        date(2027, 2, 1),
    )
