"""FS inbox and handoff page; send-back to IS; SQL feedback back to the IS rep."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from handoffs.models import Handoff
from handoffs.services import handoff_accept, handoff_create_sql
from leads.models import Lead, RecycleReason
from leads.selectors import QueueScope, lead_queue
from opportunities.models import Opportunity
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


def login(client, user):
    client.force_login(user)
    return client


def test_inbox_lists_pending_sqls_for_me_only(client, w):
    mine = sql(w, name="私宛")
    sql(w, to="fs_b", name="他人宛")

    response = login(client, w["fs_a"]).get(reverse("handoffs:inbox"))

    assert [h.pk for h in response.context["page"].object_list] == [mine.pk]


def test_handoff_page_shows_the_note_and_the_leads_history(client, w):
    handoff = sql(w)

    response = login(client, w["fs_a"]).get(reverse("handoffs:detail", args=[handoff.pk]))

    assert response.status_code == 200
    assert "予算300万円、4月導入、部長決裁" in response.content.decode()
    assert b'data-testid="accept-form"' in response.content


def test_another_reps_handoff_is_not_found(client, w):
    handoff = sql(w)

    client = login(client, w["fs_b"])

    assert client.get(reverse("handoffs:detail", args=[handoff.pk])).status_code == 404
    assert client.post(reverse("handoffs:accept", args=[handoff.pk])).status_code == 404
    handoff.refresh_from_db()
    assert handoff.status == "pending"


def test_accepting_makes_the_deal_mine(client, w):
    handoff = sql(w)

    response = login(client, w["fs_a"]).post(reverse("handoffs:accept", args=[handoff.pk]))

    handoff.refresh_from_db()
    assert response.status_code == 302
    assert (handoff.status, handoff.responded_at, handoff.opportunity.owner) == ("accepted", NOW, w["fs_a"])


def test_rejecting_needs_a_reason_and_returns_the_lead_to_its_rep(client, w):
    handoff = sql(w)
    client = login(client, w["fs_a"])

    missing = client.post(reverse("handoffs:reject", args=[handoff.pk]), {"reason": ""})
    handoff.refresh_from_db()
    assert (missing.status_code, handoff.status) == (400, "pending")
    assert missing.context["reject_form"].errors["reason"] == ["This field is required."]

    client.post(reverse("handoffs:reject", args=[handoff.pk]), {"reason": "決裁者が不在で時期未定"})

    handoff.refresh_from_db()
    lead = Lead.objects.get(pk=handoff.lead_id)
    assert (handoff.status, handoff.reason) == ("rejected", "決裁者が不在で時期未定")
    assert (handoff.opportunity.status, handoff.opportunity.lost_reason.code) == ("lost", "sql_rejected")
    assert (lead.status, lead.owner, lead.next_approach_on) == ("working", w["rep"], NOW.date())


def test_feedback_waits_for_the_first_meeting(client, w):
    handoff = sql(w)
    handoff_accept(handoff=handoff, actor=w["fs_a"])
    client = login(client, w["fs_a"])

    before = client.get(reverse("handoffs:detail", args=[handoff.pk]))
    refused = client.post(reverse("handoffs:feedback", args=[handoff.pk]), {"feedback": "yes"})
    Opportunity.objects.filter(pk=handoff.opportunity_id).update(first_meeting_on=date(2026, 11, 19))
    after = client.get(reverse("handoffs:detail", args=[handoff.pk]))

    assert b'data-testid="feedback-form"' not in before.content
    assert refused.status_code == 400
    assert b'data-testid="feedback-form"' in after.content


@pytest.mark.parametrize(
    ("feedback", "reason", "error_field"),
    [("partly", "", "feedback_reason"), ("no", "", "feedback_reason"), ("maybe", "x", "feedback")],
)
def test_feedback_other_than_yes_needs_what_differed(client, w, feedback, reason, error_field):
    handoff = sql(w)
    handoff_accept(handoff=handoff, actor=w["fs_a"])
    Opportunity.objects.filter(pk=handoff.opportunity_id).update(first_meeting_on=date(2026, 11, 19))

    response = login(client, w["fs_a"]).post(
        reverse("handoffs:feedback", args=[handoff.pk]), {"feedback": feedback, "feedback_reason": reason}
    )

    handoff.refresh_from_db()
    assert error_field in response.context["feedback_form"].errors
    assert handoff.feedback == ""


def test_the_is_rep_sees_fs_feedback_on_the_lead_and_in_my_sqls(client, w):
    handoff = sql(w)
    handoff_accept(handoff=handoff, actor=w["fs_a"])
    Opportunity.objects.filter(pk=handoff.opportunity_id).update(first_meeting_on=date(2026, 11, 19))
    login(client, w["fs_a"]).post(
        reverse("handoffs:feedback", args=[handoff.pk]),
        {"feedback": "partly", "feedback_reason": "予算は来期で未確定だった"},
    )

    client = login(client, w["rep"])
    lead_page = client.get(reverse("leads:detail", args=[handoff.lead_id]))
    my_sqls = client.get(reverse("handoffs:my_sqls"))

    assert "予算は来期で未確定だった" in lead_page.content.decode()
    assert [h.pk for h in my_sqls.context["page"].object_list] == [handoff.pk]
    assert "予算は来期で未確定だった" in my_sqls.content.decode()


def send_back_data(**extra):
    return {
        "reason": "決裁が来期に延期、半年後に再接触",
        "recycle_reason": RecycleReason.objects.get(code="timing").pk,
        "approach_on": "2026-12-07",
        **extra,
    }


def test_send_back_closes_the_deal_and_puts_the_lead_in_the_recycle_pool(client, w):
    handoff = sql(w)
    handoff_accept(handoff=handoff, actor=w["fs_a"])

    response = login(client, w["fs_a"]).post(
        reverse("opportunities:send_back", args=[handoff.opportunity_id]), send_back_data(), **HX
    )

    deal = Opportunity.objects.get(pk=handoff.opportunity_id)
    lead = Lead.objects.get(pk=handoff.lead_id)
    back = Handoff.objects.get(kind="fs_to_is")
    assert response.status_code == 200
    assert (deal.status, deal.lost_reason.code, deal.lost_note) == (
        "lost",
        "sent_back",
        "決裁が来期に延期、半年後に再接触",
    )
    assert (back.to_team, back.from_user, back.lead) == (w["recycle"], w["fs_a"], lead)
    assert (lead.status, lead.team, lead.owner, lead.next_approach_on) == (
        "recycled",
        w["recycle"],
        None,
        date(2026, 12, 7),
    )
    with time_machine.travel(datetime(2026, 12, 7, 9, tzinfo=TOKYO), tick=False):
        queue = lead_queue(user=w["recycler"], today=date(2026, 12, 7), scope=QueueScope.POOL)
        assert [q.pk for q in queue] == [lead.pk]


def test_send_back_errors_save_nothing(client, w):
    handoff = sql(w)
    handoff_accept(handoff=handoff, actor=w["fs_a"])

    response = login(client, w["fs_a"]).post(
        reverse("opportunities:send_back", args=[handoff.opportunity_id]),
        send_back_data(approach_on="2026-11-01"),
        **HX,
    )

    deal = Opportunity.objects.get(pk=handoff.opportunity_id)
    assert response.context["send_back_form"].errors["approach_on"] == ["Choose a day after today."]
    assert (deal.status, Handoff.objects.filter(kind="fs_to_is").count()) == ("open", 0)
    assert Lead.objects.get(pk=handoff.lead_id).status == "qualified"


def test_a_manager_sends_back_only_a_stagnant_deal(client, w):
    fs_team = w["fs_a"].team
    fs_team.manager = w["is_manager"]
    fs_team.save()
    fresh = sql(w, name="新しい")
    stale = sql(w, name="古い")
    Opportunity.objects.filter(pk=stale.opportunity_id).update(phase_entered_at=NOW - timedelta(days=45))
    client = login(client, w["is_manager"])

    refused = client.post(reverse("opportunities:send_back", args=[fresh.opportunity_id]), send_back_data(), **HX)
    accepted = client.post(reverse("opportunities:send_back", args=[stale.opportunity_id]), send_back_data(), **HX)

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert Opportunity.objects.get(pk=fresh.opportunity_id).status == "open"
    assert Opportunity.objects.get(pk=stale.opportunity_id).status == "lost"


def test_a_revived_lead_links_its_new_deal_to_the_one_sent_back(client, w):
    handoff = sql(w)
    handoff_accept(handoff=handoff, actor=w["fs_a"])
    login(client, w["fs_a"]).post(
        reverse("opportunities:send_back", args=[handoff.opportunity_id]), send_back_data(), **HX
    )
    lead = Lead.objects.get(pk=handoff.lead_id)

    revived = handoff_create_sql(
        lead=lead,
        actor=w["recycler"],
        to_user=w["fs_b"],
        heard="予算確定",
        why_now="新年度",
        decision_process="部長",
        to_confirm="",
    )

    assert revived.opportunity.revived_from_id == handoff.opportunity_id


def test_an_sgl_deal_cannot_be_sent_back(client, w):
    from opportunities.services import opportunity_create

    deal = opportunity_create(
        actor=w["fs_a"],
        company=sql(w).lead.company,
        owner=w["fs_a"],
        origin="sgl",
        name="自社開拓",
        next_action_on=NOW.date(),
    )

    response = login(client, w["fs_a"]).get(reverse("opportunities:detail", args=[deal.pk]))
    refused = client.post(reverse("opportunities:send_back", args=[deal.pk]), send_back_data(), **HX)

    assert b'data-testid="send-back-form"' not in response.content
    assert "A sales-generated deal has no lead to send back." in refused.content.decode()
    assert Opportunity.objects.get(pk=deal.pk).status == "open"


def test_moving_a_deal_is_for_its_owner(client, w):
    handoff = sql(w)

    response = login(client, w["fs_b"]).post(reverse("opportunities:update", args=[handoff.opportunity_id]), {})

    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        opportunity_move(
            opportunity=handoff.opportunity,
            to_phase=handoff.opportunity.phase,
            actor=w["rep"],
        )
