"""FS pipeline pages: gated moves (every default gate), illegal moves, stagnation, win → CS, SGL."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from activities.services import activity_log
from handoffs.models import Handoff
from handoffs.services import handoff_accept
from opportunities.forms import DealForm
from opportunities.models import CSAccount, LostReason, Opportunity, Phase, PhaseHistory, Service
from opportunities.selectors import opportunity_list, with_stagnation
from opportunities.services import opportunity_move
from tests.worlds import pipeline_world, sql

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def w():
    return pipeline_world()


@pytest.fixture
def deal(w):
    handoff = sql(w)
    handoff_accept(handoff=handoff, actor=w["fs_a"])
    return handoff.opportunity


@pytest.fixture
def fs_client(client, w):
    client.force_login(w["fs_a"])
    return client


def phase(code):
    return Phase.objects.get(code=code)


def form_data(deal, **overrides):
    """What the browser posts: every field of the form as it stands, plus the overrides."""
    data = {}
    for name, value in DealForm(opportunity=deal).initial.items():
        data[name] = "" if value is None else value
    return {**data, **overrides}


GATE_VALUES = {
    "first_meeting_on": date(2026, 11, 18),
    "first_meeting_attendees": 2,
    "amount": 1_200_000,
    "expected_close_on": date(2026, 12, 20),
    "decision_maker": "人事部長",
    "contract_on": date(2026, 11, 19),
}


def walk_to(deal, actor, code):
    """Moves ``deal`` through the open phases before ``code``, filling only what their gates ask."""
    target = phase(code)
    steps = Phase.objects.filter(outcome="open", sort_order__lt=target.sort_order).exclude(pk=deal.phase_id)
    for step in steps:
        changes = {f: GATE_VALUES[f] for f in step.required_fields if f in GATE_VALUES}
        if "service" in step.required_fields:
            changes["service"] = Service.objects.get(code="attendance")
        deal = opportunity_move(opportunity=deal, to_phase=step, actor=actor, changes=changes)
    return deal


@pytest.mark.parametrize(
    ("code", "missing"),
    [
        ("02", {"first_meeting_on", "first_meeting_attendees"}),
        ("03", {"amount", "service"}),
        ("04", {"expected_close_on", "decision_maker"}),
    ],
)
def test_moving_into_a_phase_with_its_gate_unmet_names_every_missing_field_and_saves_nothing(
    fs_client, w, deal, code, missing
):
    deal = walk_to(deal, w["fs_a"], code)
    before = (deal.phase_id, deal.next_action_on, PhaseHistory.objects.count())

    response = fs_client.post(
        reverse("opportunities:update", args=[deal.pk]),
        form_data(deal, to_phase=phase(code).pk, next_action_on="2026-12-24"),
        **HX,
    )

    deal.refresh_from_db()
    form = response.context["deal_form"]
    assert set(form.errors) == missing
    assert {message for field in missing for message in form.errors[field]} == {"Required to enter this phase."}
    assert (deal.phase_id, deal.next_action_on, PhaseHistory.objects.count()) == before


def test_phase_03_also_needs_bant_complete_shown_as_a_rule(fs_client, w, deal):
    deal = walk_to(deal, w["fs_a"], "03")
    Opportunity.objects.filter(pk=deal.pk).update(bant_budget="")
    deal.refresh_from_db()

    response = fs_client.post(
        reverse("opportunities:update", args=[deal.pk]),
        form_data(deal, to_phase=phase("03").pk, amount="1200000", service=Service.objects.get(code="attendance").pk),
        **HX,
    )

    assert response.context["deal_form"].non_field_errors() == [
        "BANT must be complete (budget, authority, needs and timeframe heard)."
    ]


def test_passing_the_gate_moves_the_deal_and_writes_history(fs_client, w, deal):
    response = fs_client.post(
        reverse("opportunities:update", args=[deal.pk]),
        form_data(deal, to_phase=phase("02").pk, first_meeting_on="2026-11-18", first_meeting_attendees="3"),
        **HX,
    )

    deal.refresh_from_db()
    last = PhaseHistory.objects.filter(opportunity=deal).first()
    assert response.status_code == 200
    assert (deal.phase.code, deal.first_meeting_attendees) == ("02", 3)
    assert (last.from_phase.code, last.to_phase.code, last.actor) == ("01", "02", w["fs_a"])


def test_skipping_a_phase_is_refused_with_the_reason(fs_client, w, deal):
    response = fs_client.post(
        reverse("opportunities:update", args=[deal.pk]),
        form_data(deal, to_phase=phase("03").pk, amount="100", service=Service.objects.get(code="payroll").pk),
        **HX,
    )

    deal.refresh_from_db()
    assert deal.phase.code == "01"
    assert response.context["deal_form"].non_field_errors() == [
        "Phase: A deal cannot skip phases to enter 03 Proposal (valid opportunity)."
    ]


def test_won_needs_negotiation_first(fs_client, w, deal):
    response = fs_client.post(
        reverse("opportunities:win", args=[deal.pk]),
        {"amount": "1200000", "contract_on": "2026-11-20", "cs_owner": w["cs"].pk},
        **HX,
    )

    deal.refresh_from_db()
    assert deal.status == "open"
    assert "cannot skip phases" in response.context["win_form"].non_field_errors()[0]
    assert CSAccount.objects.count() == 0


def test_winning_opens_the_cs_account_and_hands_it_to_cs(fs_client, w, deal):
    deal = walk_to(deal, w["fs_a"], "05W")

    fs_client.post(
        reverse("opportunities:win", args=[deal.pk]),
        {"amount": "1500000", "contract_on": "2026-11-19", "cs_owner": w["cs"].pk},
        **HX,
    )

    deal.refresh_from_db()
    account = CSAccount.objects.get()
    handoff = Handoff.objects.get(kind="fs_to_cs")
    assert (deal.status, deal.amount, deal.contract_on) == ("won", 1_500_000, date(2026, 11, 19))
    assert (account.owner, account.contract_amount, account.renewal_on) == (w["cs"], 1_500_000, date(2027, 11, 19))
    assert (handoff.from_user, handoff.to_user, handoff.status) == (w["fs_a"], w["cs"], "pending")


def test_a_failed_win_saves_nothing(fs_client, w, deal):
    deal = walk_to(deal, w["fs_a"], "05W")

    response = fs_client.post(
        reverse("opportunities:win", args=[deal.pk]),
        {"amount": "1500000", "contract_on": "2026-11-19", "cs_owner": w["fs_b"].pk},
        **HX,
    )

    deal.refresh_from_db()
    assert "cs_owner" in response.context["win_form"].errors
    assert (deal.status, CSAccount.objects.count(), Handoff.objects.filter(kind="fs_to_cs").count()) == ("open", 0, 0)


def test_a_closed_deal_cannot_move(fs_client, w, deal):
    fs_client.post(
        reverse("opportunities:lose", args=[deal.pk]),
        {"lost_reason": LostReason.objects.get(code="price").pk},
        **HX,
    )

    response = fs_client.post(
        reverse("opportunities:update", args=[deal.pk]),
        form_data(deal, to_phase=phase("02").pk, first_meeting_on="2026-11-18", first_meeting_attendees="2"),
        **HX,
    )

    deal.refresh_from_db()
    assert deal.status == "lost"
    assert b'data-testid="deal-actions"' not in response.content
    assert deal.phase.code == "05L"


def test_another_fs_reps_deal_is_not_found(client, w, deal):
    client.force_login(w["fs_b"])

    assert client.get(reverse("opportunities:detail", args=[deal.pk])).status_code == 404
    assert client.post(reverse("opportunities:update", args=[deal.pk]), {}).status_code == 404
    assert deal.pk not in [d.pk for d in client.get(reverse("opportunities:list")).context["page"].object_list]


@pytest.mark.parametrize(
    ("days_in_phase", "stagnant"),
    [(29, False), (30, True), (31, True)],
)
def test_stagnant_after_thirty_days_in_the_phase(w, deal, days_in_phase, stagnant):
    entered = NOW - timedelta(days=days_in_phase)
    Opportunity.objects.filter(pk=deal.pk).update(phase_entered_at=entered, created_at=entered, last_activity_at=NOW)

    found = with_stagnation(opportunity_list(user=w["fs_a"]), today=NOW.date()).get(pk=deal.pk)

    assert found.is_stagnant is stagnant


@pytest.mark.parametrize(
    ("days_idle", "stagnant"),
    [(13, False), (14, True), (15, True)],
)
def test_stagnant_after_fourteen_days_without_activity(w, deal, days_idle, stagnant):
    with time_machine.travel(NOW - timedelta(days=days_idle), tick=False):
        activity_log(actor=w["fs_a"], opportunity=deal, kind="web_meeting", direction="outbound")

    found = with_stagnation(opportunity_list(user=w["fs_a"]), today=NOW.date()).get(pk=deal.pk)

    assert found.is_stagnant is stagnant


def test_stagnation_follows_the_phase_threshold(w, deal):
    Phase.objects.filter(code="01").update(stagnant_after_days=7)
    Opportunity.objects.filter(pk=deal.pk).update(phase_entered_at=NOW - timedelta(days=7), last_activity_at=NOW)

    found = with_stagnation(opportunity_list(user=w["fs_a"]), today=NOW.date()).get(pk=deal.pk)

    assert found.is_stagnant is True


def test_list_filters_stagnant_and_overdue_deals(fs_client, w, deal):
    fresh = sql(w, name="新鮮").opportunity
    Opportunity.objects.filter(pk=deal.pk).update(
        phase_entered_at=NOW - timedelta(days=40), next_action_on=date(2026, 11, 1)
    )

    stagnant = fs_client.get(reverse("opportunities:list"), {"stagnant": "true"})
    overdue = fs_client.get(reverse("opportunities:list"), {"overdue": "true"})
    board = fs_client.get(reverse("opportunities:board"))

    assert [d.pk for d in stagnant.context["page"].object_list] == [deal.pk]
    assert [d.pk for d in overdue.context["page"].object_list] == [deal.pk]
    first_column = board.context["columns"][0]
    assert (first_column["count"], first_column["stagnant"]) == (2, 1)
    assert [c.pk for c in first_column["cards"]] == [deal.pk, fresh.pk]


def test_fs_rep_creates_an_sgl_deal(fs_client, w):
    response = fs_client.post(
        reverse("opportunities:create"),
        {
            "company_name": "株式会社自社開拓",
            "employee_count": "120",
            "name": "自社開拓案件",
            "next_action_on": "2026-11-27",
        },
    )

    deal = Opportunity.objects.get()
    assert response.status_code == 302
    assert (deal.origin, deal.origin_lead, deal.owner, deal.phase.code) == ("sgl", None, w["fs_a"], "01")
    assert deal.company.size_band == "101-300"


def test_sgl_form_reports_missing_fields(fs_client, w):
    response = fs_client.post(reverse("opportunities:create"), {"company_name": "株式会社X"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "next_action_on"}
    assert Opportunity.objects.count() == 0


def test_cs_rep_keeps_the_account_and_starts_an_expansion_deal(client, fs_client, w, deal):
    deal = walk_to(deal, w["fs_a"], "05W")
    fs_client.post(
        reverse("opportunities:win", args=[deal.pk]),
        {"amount": "1500000", "contract_on": "2026-11-19", "cs_owner": w["cs"].pk},
        **HX,
    )
    account = CSAccount.objects.get()
    client.force_login(w["cs"])

    saved = client.post(
        reverse("opportunities:cs_detail", args=[account.pk]),
        {"success_definition": "月次締めを3日短縮", "health": "yellow", "renewal_on": "2027-11-19"},
    )
    started = client.post(
        reverse("opportunities:cs_expand", args=[account.pk]),
        {"owner": w["fs_b"].pk, "name": "給与計算のクロスセル", "next_action_on": "2026-12-01"},
    )

    account.refresh_from_db()
    expansion = Opportunity.objects.get(name="給与計算のクロスセル")
    assert (saved.status_code, started.status_code) == (302, 302)
    assert (account.success_definition, account.health) == ("月次締めを3日短縮", "yellow")
    assert (expansion.origin, expansion.owner, expansion.company) == ("sgl", w["fs_b"], account.company)
