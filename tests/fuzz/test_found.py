"""One test per bug the fuzzing found, kept small so that each names what broke."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from handoffs.models import Handoff
from handoffs.services import handoff_accept, opportunity_send_back, opportunity_win
from leads.models import Lead, LeadEvent, RecycleReason
from leads.services import lead_disqualify, lead_recycle, lead_start_working
from opportunities.models import CSAccount, LostReason, Opportunity, Phase
from opportunities.services import opportunity_close_lost, opportunity_move
from org.services import api_token_create, user_create
from tests.helpers import TODAY, field_codes
from tests.worlds import PASSWORD, pipeline_world, qualified_lead, sql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def w():
    world = pipeline_world()
    world["admin"] = user_create(username="admin", password=PASSWORD, role="admin")
    world["timing"] = RecycleReason.objects.get(code="timing")
    return world


def walk_to_negotiation(deal, actor):
    changes = {
        "first_meeting_on": TODAY,
        "first_meeting_attendees": 2,
        "amount": 1_000_000,
        "service": None,
        "decision_maker": "部長",
        "expected_close_on": TODAY,
        "quantity": 3,
    }
    from opportunities.models import Service

    changes["service"] = Service.objects.filter(is_active=True).first()
    for code in ("02", "03", "04"):
        deal = opportunity_move(opportunity=deal, to_phase=Phase.objects.get(code=code), actor=actor, changes=changes)
    return deal


# A NUL character reached PostgreSQL (ValueError, a server error) through a service's free text.
def test_a_nul_character_is_a_validation_error_not_a_database_error(w):
    lead = qualified_lead(w)

    with pytest.raises(ValidationError) as error:
        lead_disqualify(lead=lead, actor=w["rep"], reason="競合\x00導入済み")

    assert field_codes(error.value) == {"status_reason": ["null_characters_not_allowed"]}
    assert Lead.objects.get(pk=lead.pk).status == "new"


def test_a_nul_character_in_a_recycle_note_is_refused_before_anything_is_written(w):
    lead = qualified_lead(w)

    with pytest.raises(ValidationError):
        lead_recycle(
            lead=lead, actor=w["rep"], reason=w["timing"], approach_on=TODAY + timedelta(days=7), note="a\x00b"
        )

    assert (Lead.objects.get(pk=lead.pk).status, LeadEvent.objects.filter(lead=lead, kind="status").count()) == (
        "new",
        0,
    )


# Recycling with an assignee gave the lead to anyone, though leads are owned by inside-sales reps.
def test_a_recycled_lead_goes_only_to_an_inside_sales_rep(w):
    lead = qualified_lead(w)

    with pytest.raises(ValidationError) as error:
        lead_recycle(
            lead=lead, actor=w["rep"], reason=w["timing"], approach_on=TODAY + timedelta(days=7), assignee=w["fs_a"]
        )

    assert field_codes(error.value) == {"assignee": ["owner_not_is"]}
    assert Lead.objects.get(pk=lead.pk).owner == w["rep"]


# A lead handed to FS could be recycled or worked again (a second tab, a crafted post) while FS still had
# its open deal: the SQL handoff stayed pending on a lead Inside Sales was working.
def test_a_lead_with_an_open_deal_stays_with_field_sales(w):
    handoff = sql(w)

    with pytest.raises(ValidationError) as error:
        lead_recycle(lead=handoff.lead, actor=w["rep"], reason=w["timing"], approach_on=TODAY + timedelta(days=7))
    with pytest.raises(ValidationError):
        lead_start_working(lead=handoff.lead, actor=w["rep"])

    assert error.value.code == "sql_open"
    assert Lead.objects.get(pk=handoff.lead_id).status == "qualified"


def test_recycling_a_handed_off_lead_through_its_page_is_refused(w):
    handoff = sql(w)
    client = Client()
    client.force_login(w["rep"])

    response = client.post(
        reverse("leads:recycle", args=[handoff.lead_id]),
        {"reason": w["timing"].pk, "approach_on": (TODAY + timedelta(days=7)).isoformat(), "method": "call"},
    )

    assert response.status_code == 400
    assert Lead.objects.get(pk=handoff.lead_id).status == "qualified"


# Sending a deal back before FS answered its SQL left the handoff pending for ever: the lead, recycled,
# could never be handed off again (a new handoff returned the stale pending one).
def test_sending_back_a_deal_answers_its_pending_sql(w):
    handoff = sql(w)

    opportunity_send_back(
        opportunity=handoff.opportunity,
        actor=w["fs_a"],
        reason="連絡がつかない",
        recycle_reason=w["timing"],
        approach_on=TODAY + timedelta(days=30),
    )

    handoff.refresh_from_db()
    assert (handoff.status, handoff.reason, handoff.responded_at is not None) == ("rejected", "連絡がつかない", True)
    assert Handoff.objects.filter(lead=handoff.lead, kind="is_to_fs", status="pending").count() == 0


def test_a_deal_whose_sql_is_pending_is_not_closed_as_lost(w):
    handoff = sql(w)

    with pytest.raises(ValidationError) as error:
        opportunity_close_lost(
            opportunity=handoff.opportunity, actor=w["fs_a"], reason=LostReason.objects.get(code="price")
        )

    assert error.value.code == "sql_handoff_pending"
    assert Opportunity.objects.get(pk=handoff.opportunity_id).status == "open"


# The API's phase move into the won phase made a won deal with no Customer Success account.
def test_a_deal_moved_into_the_won_phase_through_the_api_opens_its_cs_account(w):
    handoff = handoff_accept(handoff=sql(w), actor=w["fs_a"])
    walk_to_negotiation(handoff.opportunity, w["fs_a"])
    _token, key = api_token_create(user=w["fs_a"], name="crm")

    response = Client(headers={"Authorization": f"Token {key}"}).post(
        f"/api/v1/opportunities/{handoff.opportunity_id}/move/",
        {"phase": "05W", "changes": {"amount": 1_500_000, "contract_on": TODAY.isoformat()}},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    account = CSAccount.objects.get(opportunity=handoff.opportunity)
    assert (account.contract_amount, account.contract_on, account.owner) == (1_500_000, TODAY, None)


# A contract dated in year 9999 made the default renewal date (a year later) raise a ValueError.
def test_a_win_dated_in_the_last_representable_year_is_a_validation_error(w):
    handoff = handoff_accept(handoff=sql(w), actor=w["fs_a"])
    deal = walk_to_negotiation(handoff.opportunity, w["fs_a"])

    with pytest.raises(ValidationError) as error:
        opportunity_win(opportunity=deal, actor=w["fs_a"], amount=1, contract_on=date(9999, 12, 31), cs_owner=w["cs"])

    assert field_codes(error.value) == {"contract_on": ["date_out_of_range"]}
    assert Opportunity.objects.get(pk=deal.pk).status == "open"


# The column mapping view had no login or method guard: a GET answered a "400" page of an empty form.
def test_the_column_mapping_only_takes_a_post(w):
    client = Client()
    client.force_login(w["admin"])

    assert client.get(reverse("leads:import_columns", args=[1])).status_code == 405


# Feedback before the first meeting was refused with a 400 whose reason was on a form the page did not show.
def test_a_refused_feedback_says_why(w):
    handoff = handoff_accept(handoff=sql(w), actor=w["fs_a"])
    client = Client()
    client.force_login(w["fs_a"])

    response = client.post(reverse("handoffs:feedback", args=[handoff.pk]), {"feedback": "yes"})

    assert response.status_code == 400
    assert "Give feedback after the first meeting" in response.content.decode()


# Logging a call with a stale copy of a handed-off lead (status read before the handoff) put the lead back
# to work; the stored status now decides.
def test_a_call_logged_with_a_stale_lead_leaves_a_handed_off_lead_qualified(w):
    from activities.services import activity_log

    lead = qualified_lead(w, name="古い")
    stale = Lead.objects.get(pk=lead.pk)
    from handoffs.services import handoff_create_sql

    handoff_create_sql(
        lead=lead, actor=w["rep"], to_user=w["fs_a"], heard="予算あり", why_now="", decision_process="", to_confirm=""
    )

    activity_log(actor=w["rep"], lead=stale, kind="call", direction="outbound", connected=True)

    assert Lead.objects.get(pk=lead.pk).status == "qualified"


# A board asked for the calendar's first day computed the period before it (year 0): a server error.
def test_a_board_period_at_the_ends_of_the_calendar_is_reported_and_today_shown(w):
    client = Client()
    client.force_login(w["admin"])

    response = client.get(reverse("dashboards:funnel"), {"period": "0001-01-01"})

    assert response.status_code == 200
    assert response.context["query"].period.start <= TODAY
    assert response.context["errors"] == ["Period: Choose a day between 1900-01-01 and 2999-12-31."]


# updated_since on the calendar's first day, read in Tokyo time, fell before year 1 in UTC: a server error.
def test_updated_since_at_the_calendars_first_day_lists_everything(w):
    handoff = sql(w)
    _token, key = api_token_create(user=w["admin"], name="sync")

    response = Client(headers={"Authorization": f"Token {key}"}).get(
        "/api/v1/opportunities/", {"updated_since": "0001-01-01T00:00:00"}
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [handoff.opportunity_id]
