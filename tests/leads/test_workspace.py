"""The IS rep's pages: queue order and filters, the lead page, and every action's validation."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity
from handoffs.models import FSCapacityRule, Handoff
from leads.models import Lead, LeadRecycle, LeadSource, RecycleReason
from leads.services import company_create, lead_create, lead_recycle, lead_update_bant
from opportunities.models import Opportunity
from org.models import Team
from org.services import user_create

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
# Friday 2026-11-20, 10:00 in Tokyo.
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
TODAY = date(2026, 11, 20)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    sdr = Team.objects.create(name="SDR", kind=Team.Kind.SDR)
    bdr = Team.objects.create(name="BDR", kind=Team.Kind.BDR)
    fs_team = Team.objects.create(name="FS SMB", kind=Team.Kind.FS_SEGMENT, segment="31-100")
    w = {
        "rep": user_create(username="rep", password=None, role="is", team=sdr),
        "other": user_create(username="other", password=None, role="is", team=bdr),
        "fs": user_create(username="fs", password=None, role="fs", team=fs_team),
        "source": LeadSource.objects.get(code="web_inquiry"),
    }
    return w


def make_lead(w, *, owner="rep", due=TODAY, name="山田", employees=50):
    company = company_create(name=f"株式会社{name}", employee_count=employees, prefecture="13")
    return lead_create(
        actor=None,
        company=company,
        last_name=name,
        source=w["source"],
        origin="inbound",
        owner=w[owner],
        next_approach_on=due,
    )


@pytest.fixture
def rep_client(client, world):
    client.force_login(world["rep"])
    return client


def bant_a(lead, actor):
    return lead_update_bant(
        lead=lead, actor=actor, budget="300万円", authority="部長", needs="勤怠集計", timeframe="4月"
    )


# --- the queue -------------------------------------------------------------------------------------


def test_queue_orders_hot_then_recycles_then_follow_ups_then_new_overdue_first(rep_client, world):
    new_today = make_lead(world, name="新規今日")
    new_overdue = make_lead(world, name="新規遅れ", due=TODAY - timedelta(days=3))
    later = make_lead(world, name="来週", due=TODAY + timedelta(days=5))
    hot_later = make_lead(world, name="ホット", due=TODAY + timedelta(days=9))
    Lead.objects.filter(pk=hot_later.pk).update(is_hot=True, hot_since=NOW)
    recycled = make_lead(world, name="リサイクル")
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        lead_recycle(
            lead=recycled, actor=world["rep"], reason=RecycleReason.objects.get(code="timing"), approach_on=TODAY
        )
    follow_up = make_lead(world, name="フォロー")
    Lead.objects.filter(pk=follow_up.pk).update(status=Lead.Status.WORKING)

    response = rep_client.get(reverse("leads:queue"))

    assert [lead.pk for lead in response.context["page"].object_list] == [
        hot_later.pk,
        recycled.pk,
        follow_up.pk,
        new_overdue.pk,
        new_today.pk,
    ]
    assert later.pk not in {lead.pk for lead in response.context["page"].object_list}
    assert response.context["counts"] == {"today": 5, "overdue": 1, "week": 5, "hot": 1}


def test_queue_counts_this_week_up_to_sunday(rep_client, world):
    make_lead(world, name="日曜", due=date(2026, 11, 22))
    make_lead(world, name="月曜", due=date(2026, 11, 23))

    response = rep_client.get(reverse("leads:queue"))

    assert response.context["counts"]["week"] == 1
    assert response.context["counts"]["today"] == 0


def test_queue_filters_by_status_and_source(rep_client, world):
    new = make_lead(world, name="新規")
    working = make_lead(world, name="対応中")
    Lead.objects.filter(pk=working.pk).update(status=Lead.Status.WORKING)
    trade_show = make_lead(world, name="展示会")
    Lead.objects.filter(pk=trade_show.pk).update(source=LeadSource.objects.get(code="trade_show"))

    by_status = rep_client.get(reverse("leads:queue"), {"status": "working"})
    by_source = rep_client.get(reverse("leads:queue"), {"source": LeadSource.objects.get(code="web_inquiry").pk})

    assert [lead.pk for lead in by_status.context["page"].object_list] == [working.pk]
    assert {lead.pk for lead in by_source.context["page"].object_list} == {new.pk, working.pk}


def test_queue_paginates_by_fifty_and_htmx_gets_only_the_list(rep_client, world):
    for i in range(51):
        make_lead(world, name=f"リード{i}")

    first = rep_client.get(reverse("leads:queue"))
    second = rep_client.get(reverse("leads:queue"), {"page": 2}, **HX)

    assert len(first.context["page"].object_list) == 50
    assert second.content.count(b'data-testid="queue-row"') == 1
    assert b"<html" not in second.content
    assert b'id="queue-list"' in second.content


def test_empty_queue_says_what_to_do(rep_client, world):
    make_lead(world, due=TODAY + timedelta(days=1))

    response = rep_client.get(reverse("leads:queue"))

    assert b'data-testid="queue-empty"' in response.content
    assert b"?scope=pool" in response.content


def test_queue_pool_shows_the_teams_unowned_leads_only(rep_client, world):
    pooled = lead_create(
        actor=None,
        company=company_create(name="株式会社プール"),
        last_name="池田",
        source=world["source"],
        origin="inbound",
        team=world["rep"].team,
    )
    make_lead(world, owner="other", name="他チーム")

    response = rep_client.get(reverse("leads:queue"), {"scope": "pool"})

    assert [lead.pk for lead in response.context["page"].object_list] == [pooled.pk]


def test_queue_query_count_does_not_grow_with_the_queue(rep_client, world):
    for i in range(5):
        make_lead(world, name=f"少{i}")
    with CaptureQueriesContext(connection) as few:
        rep_client.get(reverse("leads:queue"))
    for i in range(40):
        make_lead(world, name=f"多{i}")
    with CaptureQueriesContext(connection) as many:
        rep_client.get(reverse("leads:queue"))

    assert len(many) == len(few)


# --- the lead page --------------------------------------------------------------------------------


def test_lead_page_of_another_teams_lead_is_not_found(rep_client, world):
    theirs = make_lead(world, owner="other")

    assert rep_client.get(reverse("leads:detail", args=[theirs.pk])).status_code == 404
    assert rep_client.post(reverse("leads:log", args=[theirs.pk]), {"kind": "call"}).status_code == 404
    assert Activity.objects.count() == 0


def test_fs_rep_reads_but_cannot_work_a_lead(client, world):
    lead = make_lead(world)
    bant_a(lead, world["rep"])
    from handoffs.services import handoff_create_sql

    handoff_create_sql(
        lead=lead, actor=world["rep"], to_user=world["fs"], heard="x", why_now="", decision_process="", to_confirm=""
    )
    client.force_login(world["fs"])

    page = client.get(reverse("leads:detail", args=[lead.pk]))
    action = client.post(reverse("leads:disqualify", args=[lead.pk]), {"reason": "no"})

    assert page.status_code == 200
    assert b'data-testid="actions"' not in page.content
    assert action.status_code == 403


def test_lead_page_query_count_is_bounded(rep_client, world):
    lead = make_lead(world)
    with CaptureQueriesContext(connection) as quiet:
        rep_client.get(reverse("leads:detail", args=[lead.pk]))
    for i in range(10):
        rep_client.post(
            reverse("leads:log", args=[lead.pk]),
            {"kind": "call", "direction": "outbound", "connected": "0", "note": f"不在{i}"},
        )
    with CaptureQueriesContext(connection) as busy:
        response = rep_client.get(reverse("leads:detail", args=[lead.pk]))

    assert response.content.count(b'data-testid="activity"') == 10
    assert len(busy) == len(quiet)


# --- logging a call -------------------------------------------------------------------------------


def test_logging_a_call_in_place_returns_the_changed_parts(rep_client, world):
    lead = make_lead(world)

    response = rep_client.post(
        reverse("leads:log", args=[lead.pk]),
        {
            "kind": "call",
            "direction": "outbound",
            "connected": "1",
            "effective_conversation": "on",
            "note": "部長と会話",
            "next_approach_on": "2026-11-24",
        },
        **HX,
    )

    lead.refresh_from_db()
    activity = Activity.objects.get()
    assert response.status_code == 200
    assert response.content.count(b'hx-swap-oob="true"') == 3
    assert b'data-testid="log-ok"' in response.content
    assert (activity.kind, activity.connected, activity.effective_conversation, activity.actor) == (
        "call",
        True,
        True,
        world["rep"],
    )
    assert (lead.status, lead.next_approach_on, lead.last_activity_at) == ("working", date(2026, 11, 24), NOW)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "call", "direction": "outbound"}, "connected", "Say whether the call connected."),
        (
            {"kind": "call", "direction": "outbound", "connected": "0", "effective_conversation": "on"},
            "effective_conversation",
            "An effective conversation needs a connected call.",
        ),
        (
            {"kind": "call", "direction": "outbound", "connected": "1", "next_approach_on": "2026-11-19"},
            "next_approach_on",
            "The date is in the past.",
        ),
        ({"kind": "fax", "direction": "outbound"}, "kind", "Select a valid choice."),
    ],
)
def test_log_form_errors_are_on_the_field_and_nothing_is_saved(rep_client, world, data, field, message):
    lead = make_lead(world)

    response = rep_client.post(reverse("leads:log", args=[lead.pk]), data, **HX)

    lead.refresh_from_db()
    assert response.status_code == 200
    assert message in response.context["log_form"].errors[field][0]
    assert f'data-testid="error-{field}"'.encode() in response.content
    assert Activity.objects.count() == 0
    assert (lead.status, lead.last_activity_at) == ("new", None)


def test_log_form_without_htmx_answers_400_with_the_errors(rep_client, world):
    lead = make_lead(world)

    response = rep_client.post(reverse("leads:log", args=[lead.pk]), {"kind": "call", "direction": "outbound"})

    assert response.status_code == 400
    assert b"<html" in response.content
    assert response.context["open_tab"] == "log"


# --- recycle ----------------------------------------------------------------------------------------


def test_recycle_with_month_and_week_returns_the_lead_on_that_week(rep_client, world):
    lead = make_lead(world)
    reason = RecycleReason.objects.get(code="budget")

    response = rep_client.post(
        reverse("leads:recycle", args=[lead.pk]),
        {"reason": reason.pk, "month": "1", "week": "2", "method": "mail", "note": "予算確定後に連絡"},
        **HX,
    )

    lead.refresh_from_db()
    plan = LeadRecycle.objects.get()
    assert response.status_code == 200
    # January 2027 starts on a Friday: week 2 starts on Monday the 4th.
    assert (lead.status, lead.next_approach_on, lead.recycle_reason) == ("recycled", date(2027, 1, 4), reason)
    assert (plan.year, plan.month, plan.week, plan.method, plan.created_by) == (2027, 1, 2, "mail", world["rep"])
    assert lead.pk not in {q.pk for q in rep_client.get(reverse("leads:queue")).context["page"].object_list}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"approach_on": "2026-12-01"}, "reason", "This field is required."),
        ({"reason": "timing"}, "approach_on", "Give a re-approach date, or at least the month and the week."),
        ({"reason": "timing", "approach_on": "2026-11-19"}, "approach_on", "Choose a day after today."),
        ({"reason": "timing", "approach_on": "2026-11-20"}, "approach_on", "Choose a day after today."),
        ({"reason": "timing", "month": "2", "week": "6"}, "week", "2027/2 has weeks 1 to 4."),
        ({"reason": "timing", "month": "11", "week": "2"}, "week", "That week is already over."),
    ],
)
def test_recycle_errors_are_on_the_field_and_nothing_is_saved(rep_client, world, data, field, message):
    lead = make_lead(world)
    if "reason" in data:
        data = {**data, "reason": RecycleReason.objects.get(code=data["reason"]).pk}

    response = rep_client.post(reverse("leads:recycle", args=[lead.pk]), {"method": "call", **data}, **HX)

    lead.refresh_from_db()
    assert response.context["recycle_form"].errors[field] == [message]
    assert response.context["open_tab"] == "recycle"
    assert LeadRecycle.objects.count() == 0
    assert (lead.status, lead.next_approach_on) == ("new", TODAY)


# --- BANT -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bant", "temperature", "expected"),
    [
        (("300万", "部長", "集計", "4月"), "A", "A"),
        (("", "部長", "集計", "4月"), "B", "B"),
        (("", "", "集計", ""), "C", "C"),
        (("300万", "部長", "集計", "4月"), "", "A"),
    ],
)
def test_bant_sets_the_temperature(rep_client, world, bant, temperature, expected):
    lead = make_lead(world)
    budget, authority, needs, timeframe = bant

    rep_client.post(
        reverse("leads:bant", args=[lead.pk]),
        {"budget": budget, "authority": authority, "needs": needs, "timeframe": timeframe, "temperature": temperature},
        **HX,
    )

    lead.refresh_from_db()
    assert lead.temperature == expected


@pytest.mark.parametrize(
    ("bant", "temperature", "message"),
    [
        (("", "部長", "集計", "4月"), "A", "so the temperature is B, not A"),
        (("300万", "部長", "集計", "4月"), "B", "so the temperature is A, not B"),
        (("300万", "部長", "集計", "4月"), "C", "so the temperature is A, not C"),
        (("", "", "集計", ""), "B", "B does not fit what was heard"),
    ],
)
def test_bant_inconsistent_with_temperature_is_refused_and_nothing_is_saved(
    rep_client, world, bant, temperature, message
):
    lead = make_lead(world)
    budget, authority, needs, timeframe = bant

    response = rep_client.post(
        reverse("leads:bant", args=[lead.pk]),
        {"budget": budget, "authority": authority, "needs": needs, "timeframe": timeframe, "temperature": temperature},
        **HX,
    )

    lead.refresh_from_db()
    assert message in response.context["bant_form"].errors["temperature"][0]
    assert (lead.temperature, lead.bant_needs) == ("", "")


# --- handoff ----------------------------------------------------------------------------------------


def handoff_data(fs, **extra):
    return {
        "to_user": fs.pk,
        "heard": "予算300万、4月導入",
        "why_now": "法改正",
        "decision_process": "部長決裁",
        "to_confirm": "連携先",
        **extra,
    }


def test_handoff_is_offered_only_after_bant(rep_client, world):
    lead = make_lead(world)

    before = rep_client.get(reverse("leads:detail", args=[lead.pk]))
    bant_a(lead, world["rep"])
    after = rep_client.get(reverse("leads:detail", args=[lead.pk]))

    assert b'data-testid="handoff-needs-bant"' in before.content
    assert b'data-testid="handoff-form"' in after.content
    assert after.context["handoff_form"].initial["to_user"] == world["fs"].pk


def test_handoff_creates_the_sql_and_a_retry_creates_nothing_more(rep_client, world):
    lead = make_lead(world)
    bant_a(lead, world["rep"])

    for _ in range(2):
        response = rep_client.post(reverse("leads:handoff", args=[lead.pk]), handoff_data(world["fs"]), **HX)

    lead.refresh_from_db()
    handoff = Handoff.objects.get()
    assert response.status_code == 200
    assert lead.status == "qualified"
    assert (handoff.kind, handoff.to_user, handoff.temperature, handoff.heard) == (
        "is_to_fs",
        world["fs"],
        "A",
        "予算300万、4月導入",
    )
    assert Opportunity.objects.get().owner == world["fs"]


def test_handoff_to_a_rep_at_capacity_needs_a_reason(rep_client, world):
    FSCapacityRule.objects.create(size_band="31-100", user=world["fs"], monthly_limit=1)
    earlier = make_lead(world, name="先行")
    bant_a(earlier, world["rep"])
    rep_client.post(reverse("leads:handoff", args=[earlier.pk]), handoff_data(world["fs"]), **HX)
    lead = make_lead(world)
    bant_a(lead, world["rep"])

    page = rep_client.get(reverse("leads:detail", args=[lead.pk]))
    refused = rep_client.post(reverse("leads:handoff", args=[lead.pk]), handoff_data(world["fs"]), **HX)

    lead.refresh_from_db()
    assert "at capacity" in dict(page.context["handoff_form"].fields["to_user"].choices)[world["fs"].pk]
    assert "already has 1 of 1 SQLs this month" in refused.context["handoff_form"].errors["to_user"][0]
    assert (lead.status, Handoff.objects.count(), Opportunity.objects.count()) == ("new", 1, 1)

    accepted = rep_client.post(
        reverse("leads:handoff", args=[lead.pk]),
        handoff_data(world["fs"], capacity_override_reason="既存顧客の紹介で担当指名"),
        **HX,
    )

    assert accepted.status_code == 200
    assert Handoff.objects.get(lead=lead).capacity_override_reason == "既存顧客の紹介で担当指名"


def test_handoff_without_what_was_heard_is_refused(rep_client, world):
    lead = make_lead(world)
    bant_a(lead, world["rep"])

    response = rep_client.post(reverse("leads:handoff", args=[lead.pk]), handoff_data(world["fs"], heard=""), **HX)

    assert response.context["handoff_form"].errors["heard"] == ["This field is required."]
    assert Handoff.objects.count() == 0


# --- nurture and disqualify -----------------------------------------------------------------------


def test_nurture_needs_a_reason_and_a_future_date(rep_client, world):
    lead = make_lead(world)

    missing = rep_client.post(reverse("leads:nurture", args=[lead.pk]), {"next_approach_on": "2026-12-01"}, **HX)
    past = rep_client.post(
        reverse("leads:nurture", args=[lead.pk]), {"reason": "情報収集", "next_approach_on": "2026-11-01"}, **HX
    )
    done = rep_client.post(
        reverse("leads:nurture", args=[lead.pk]), {"reason": "情報収集", "next_approach_on": "2027-02-01"}, **HX
    )

    lead.refresh_from_db()
    assert missing.context["nurture_form"].errors["reason"] == ["This field is required."]
    assert past.context["nurture_form"].errors["next_approach_on"] == ["Choose a day after today."]
    assert done.status_code == 200
    assert (lead.status, lead.status_reason, lead.next_approach_on) == ("nurturing", "情報収集", date(2027, 2, 1))


def test_disqualify_needs_a_reason(rep_client, world):
    lead = make_lead(world)

    missing = rep_client.post(reverse("leads:disqualify", args=[lead.pk]), {"reason": "  "}, **HX)
    done = rep_client.post(reverse("leads:disqualify", args=[lead.pk]), {"reason": "競合導入済み"}, **HX)

    lead.refresh_from_db()
    assert missing.context["disqualify_form"].errors["reason"] == ["This field is required."]
    assert done.status_code == 200
    assert (lead.status, lead.status_reason, lead.next_approach_on) == ("disqualified", "競合導入済み", None)
