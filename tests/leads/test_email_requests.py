"""Campaign mail requests: IS files one for Marketing, Marketing moves it requested → accepted → scheduled → sent
or declines it with a reason."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from leads.models import CampaignEmailRequest, CampaignEmailRequestEvent
from leads.services import (
    campaign_email_request_accept,
    campaign_email_request_create,
    campaign_email_request_decline,
    campaign_email_request_mark_sent,
    campaign_email_request_schedule,
)
from tests.helpers import NOW, TODAY, TOKYO, field_codes
from tests.leads.factories import CampaignFactory
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
S = CampaignEmailRequest.Status
LATER = NOW + timedelta(days=3)


@pytest.fixture(autouse=True)
def _frozen(frozen):
    """Every request here is dated against Friday 2026-11-20, 10:00 in Tokyo."""
    return frozen


def filed(actor, **overrides) -> CampaignEmailRequest:
    data = {
        "subject": "【導入事例】製造業A社の勤怠集計を月20時間削減",
        "body": "いつもお世話になっております。\n新しい導入事例を公開しました。",
        "recipient_list": "2026年秋の展示会リードのうち商談化していない方",
        "desired_send_on": TODAY + timedelta(days=5),
    }
    return campaign_email_request_create(actor=actor, **(data | overrides))


def moved_to(status: str, actor, handler) -> CampaignEmailRequest:
    email_request = filed(actor)
    steps = {
        S.ACCEPTED: [S.ACCEPTED],
        S.SCHEDULED: [S.ACCEPTED, S.SCHEDULED],
        S.SENT: [S.ACCEPTED, S.SCHEDULED, S.SENT],
        S.DECLINED: [S.DECLINED],
        S.REQUESTED: [],
    }[status]
    for step in steps:
        email_request = MOVES[step](email_request, handler)
    return email_request


MOVES = {
    S.ACCEPTED: lambda r, actor: campaign_email_request_accept(email_request=r, actor=actor),
    S.SCHEDULED: lambda r, actor: campaign_email_request_schedule(email_request=r, actor=actor, scheduled_for=LATER),
    S.SENT: lambda r, actor: campaign_email_request_mark_sent(email_request=r, actor=actor),
    S.DECLINED: lambda r, actor: campaign_email_request_decline(
        email_request=r, actor=actor, reason="配信枠が埋まっている"
    ),
}


# --- filing ----------------------------------------------------------------------------------------------------


def test_filing_records_the_request_and_its_first_event(is_rep):
    campaign = CampaignFactory()

    email_request = filed(is_rep, campaign=campaign, desired_send_time=time(9, 30), subject="  事例のご案内  ")

    assert (email_request.status, email_request.subject, email_request.campaign, email_request.requested_by) == (
        "requested",
        "事例のご案内",
        campaign,
        is_rep,
    )
    assert email_request.requested_at == NOW
    assert list(email_request.events.values_list("from_status", "to_status", "actor")) == [("", "requested", is_rep.pk)]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"desired_send_on": TODAY - timedelta(days=1)}, "desired_send_on", "date_in_past"),
        ({"desired_send_on": TODAY, "desired_send_time": time(9, 59)}, "desired_send_time", "time_in_past"),
        ({"subject": "   "}, "subject", "blank"),
        ({"body": ""}, "body", "blank"),
        ({"recipient_list": " "}, "recipient_list", "blank"),
        ({"subject": "件" * 151}, "subject", "max_length"),
        ({"body": "本" * 10001}, "body", "max_length"),
        ({"recipient_list": "先" * 1001}, "recipient_list", "max_length"),
    ],
)
def test_filing_validates_and_saves_nothing_when_wrong(is_rep, overrides, field, code):
    with pytest.raises(ValidationError) as error:
        filed(is_rep, **overrides)

    assert field_codes(error.value) == {field: [code]}
    assert CampaignEmailRequest.objects.count() == 0


def test_today_later_in_the_day_is_fine(is_rep):
    email_request = filed(is_rep, desired_send_on=TODAY, desired_send_time=time(10, 1))

    assert email_request.desired_send_on == TODAY


@pytest.mark.parametrize("who", ["fs_rep", "cs_rep", "marketer"])
def test_only_inside_sales_and_their_managers_file(request, who):
    with pytest.raises(PermissionDenied):
        filed(request.getfixturevalue(who))


# --- moving it on -------------------------------------------------------------------------------------------------


def test_the_whole_way_to_sent_is_recorded(is_rep, marketer):
    email_request = moved_to(S.SENT, is_rep, marketer)

    assert (email_request.status, email_request.handled_by, email_request.scheduled_for) == ("sent", marketer, LATER)
    assert (email_request.accepted_at, email_request.scheduled_at, email_request.sent_at) == (NOW, NOW, NOW)
    assert list(email_request.events.values_list("from_status", "to_status")) == [
        ("", "requested"),
        ("requested", "accepted"),
        ("accepted", "scheduled"),
        ("scheduled", "sent"),
    ]


# Every (from, to) that is not in the transition table is refused with a code and changes nothing.
ILLEGAL = [
    (S.REQUESTED, S.SCHEDULED),
    (S.REQUESTED, S.SENT),
    (S.ACCEPTED, S.SENT),
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.SCHEDULED),
    (S.SENT, S.DECLINED),
    (S.DECLINED, S.ACCEPTED),
    (S.DECLINED, S.SCHEDULED),
    (S.DECLINED, S.SENT),
    (S.SCHEDULED, S.ACCEPTED),
]


@pytest.mark.parametrize(("start", "to"), ILLEGAL)
def test_illegal_moves_are_refused_with_a_code(is_rep, marketer, start, to):
    email_request = moved_to(start, is_rep, marketer)
    events = CampaignEmailRequestEvent.objects.count()

    with pytest.raises(ValidationError) as error:
        MOVES[to](email_request, marketer)

    email_request.refresh_from_db()
    assert error.value.code == "illegal_transition"
    assert email_request.status == start
    assert CampaignEmailRequestEvent.objects.count() == events


@pytest.mark.parametrize("status", [S.ACCEPTED, S.SENT, S.DECLINED])
def test_repeating_a_move_changes_nothing(is_rep, marketer, status):
    email_request = moved_to(status, is_rep, marketer)
    events = CampaignEmailRequestEvent.objects.count()

    again = MOVES[status](email_request, marketer)

    assert again.status == status
    assert CampaignEmailRequestEvent.objects.count() == events


@pytest.mark.parametrize("start", [S.REQUESTED, S.ACCEPTED, S.SCHEDULED])
def test_declining_works_until_it_is_sent_and_needs_a_reason(is_rep, marketer, start):
    email_request = moved_to(start, is_rep, marketer)

    with pytest.raises(ValidationError) as error:
        campaign_email_request_decline(email_request=email_request, actor=marketer, reason="  ")
    declined = campaign_email_request_decline(email_request=email_request, actor=marketer, reason="重複配信になる")

    assert field_codes(error.value) == {"reason": ["reason_required"]}
    assert (declined.status, declined.decline_reason, declined.declined_at) == ("declined", "重複配信になる", NOW)


def test_scheduling_needs_a_time_to_come_and_rescheduling_records_the_new_time(is_rep, marketer):
    email_request = moved_to(S.ACCEPTED, is_rep, marketer)

    with pytest.raises(ValidationError) as error:
        campaign_email_request_schedule(email_request=email_request, actor=marketer, scheduled_for=NOW)
    campaign_email_request_schedule(email_request=email_request, actor=marketer, scheduled_for=LATER)
    rescheduled = campaign_email_request_schedule(
        email_request=email_request, actor=marketer, scheduled_for=LATER + timedelta(hours=2)
    )

    assert field_codes(error.value) == {"scheduled_for": ["time_in_past"]}
    assert rescheduled.scheduled_for == LATER + timedelta(hours=2)
    assert list(rescheduled.events.values_list("to_status", "note"))[-2:] == [
        ("scheduled", "2026-11-23 10:00"),
        ("scheduled", "2026-11-23 12:00"),
    ]


@pytest.mark.parametrize("who", ["is_rep", "manager", "fs_rep"])
def test_only_marketing_and_admins_handle_requests(request, is_rep, who):
    email_request = filed(is_rep)

    with pytest.raises(PermissionDenied):
        campaign_email_request_accept(email_request=email_request, actor=request.getfixturevalue(who))

    email_request.refresh_from_db()
    assert email_request.status == "requested"


def test_an_administrator_handles_requests(is_rep, admin):
    assert campaign_email_request_accept(email_request=filed(is_rep), actor=admin).handled_by == admin


# --- pages -------------------------------------------------------------------------------------------------------


def test_the_rep_files_a_request_from_the_form(client, is_rep):
    client.force_login(is_rep)

    page = client.get(reverse("leads:email_request_new"))
    response = client.post(
        reverse("leads:email_request_new"),
        {
            "subject": "業界ニュースのご案内",
            "body": "本文",
            "recipient_list": "製造業のハウスリスト",
            "desired_send_on": "2026-11-27",
            "desired_send_time": "09:00",
        },
    )

    email_request = CampaignEmailRequest.objects.get()
    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:email_request", args=[email_request.pk])
    assert (email_request.desired_send_on, email_request.desired_send_time) == (date(2026, 11, 27), time(9, 0))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"desired_send_on": "2026-11-19"}, "desired_send_on", "The send date is in the past."),
        ({"subject": ""}, "subject", "This field is required."),
        ({"body": ""}, "body", "This field is required."),
        (
            {"subject": "件" * 151},
            "subject",
            "Ensure this value has at most 150 characters (it has 151).",
        ),
    ],
)
def test_the_form_says_what_is_wrong_where_and_saves_nothing(client, is_rep, data, field, message):
    client.force_login(is_rep)
    valid = {"subject": "件名", "body": "本文", "recipient_list": "リスト", "desired_send_on": "2026-11-27"}

    response = client.post(reverse("leads:email_request_new"), valid | data)

    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert f'data-testid="error-{field}"'.encode() in response.content
    assert CampaignEmailRequest.objects.count() == 0


@pytest.mark.parametrize(("who", "status"), [("marketer", 403), ("fs_rep", 403), ("cs_rep", 403)])
def test_only_requesters_open_the_form(client, request, who, status):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("leads:email_request_new")).status_code == status


def test_each_sees_the_requests_they_should(client, is_rep, is_team, manager, marketer):
    mine = filed(is_rep, subject="自分の依頼")
    teammate = UserFactory(team=is_team)
    theirs = filed(teammate, subject="同じチーム")
    elsewhere = filed(UserFactory(), subject="別チーム")

    def listed(user):
        client.force_login(user)
        response = client.get(reverse("leads:email_requests"))
        return {r.pk for r in response.context["page"].object_list}

    assert listed(is_rep) == {mine.pk}
    assert listed(manager) == {mine.pk, theirs.pk}
    assert listed(marketer) == {mine.pk, theirs.pk, elsewhere.pk}
    client.force_login(is_rep)
    assert client.get(reverse("leads:email_request", args=[elsewhere.pk])).status_code == 404


@pytest.mark.parametrize("who", ["fs_rep", "cs_rep"])
def test_field_sales_and_cs_have_no_mail_requests_page(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("leads:email_requests")).status_code == 403


def test_the_list_tabs_filter_by_status(client, is_rep, marketer):
    open_one = filed(is_rep)
    sent = moved_to(S.SENT, is_rep, marketer)
    declined = moved_to(S.DECLINED, is_rep, marketer)
    client.force_login(marketer)

    def tab(name):
        response = client.get(reverse("leads:email_requests"), {"status": name})
        return {r.pk for r in response.context["page"].object_list}

    assert tab("open") == {open_one.pk}
    assert tab("sent") == {sent.pk}
    assert tab("declined") == {declined.pk}
    assert tab("all") == {open_one.pk, sent.pk, declined.pk}
    assert tab("nonsense") == {open_one.pk}


def test_marketing_moves_a_request_on_in_place(client, is_rep, marketer):
    email_request = filed(is_rep)
    client.force_login(marketer)

    def act(action, data=None):
        url = reverse("leads:email_request_action", args=[email_request.pk, action])
        return client.post(url, data or {}, **HX)

    accepted = act("accept")
    scheduled = act("schedule", {"scheduled_for": "2026-11-25T09:00"})
    sent = act("sent")

    email_request.refresh_from_db()
    assert [r.status_code for r in (accepted, scheduled, sent)] == [200, 200, 200]
    assert b"<html" not in sent.content
    assert b'id="email-request"' in sent.content
    assert b'data-testid="email-request-actions"' not in sent.content
    assert (email_request.status, email_request.scheduled_for) == ("sent", datetime(2026, 11, 25, 9, tzinfo=TOKYO))


def test_a_bad_schedule_or_decline_shows_the_error_on_the_field(client, is_rep, marketer):
    email_request = moved_to(S.ACCEPTED, is_rep, marketer)
    client.force_login(marketer)

    past = client.post(
        reverse("leads:email_request_action", args=[email_request.pk, "schedule"]),
        {"scheduled_for": "2026-11-19T09:00"},
        **HX,
    )
    no_reason = client.post(reverse("leads:email_request_action", args=[email_request.pk, "decline"]), {}, **HX)
    no_reason_plain = client.post(reverse("leads:email_request_action", args=[email_request.pk, "decline"]), {})

    email_request.refresh_from_db()
    assert past.status_code == 200
    assert past.context["schedule_form"].errors["scheduled_for"] == ["Schedule it for a time still to come."]
    assert no_reason.context["decline_form"].errors["reason"] == ["This field is required."]
    assert no_reason_plain.status_code == 400
    assert email_request.status == "accepted"


def test_an_illegal_button_press_says_why(client, is_rep, marketer):
    email_request = moved_to(S.SENT, is_rep, marketer)
    client.force_login(marketer)

    response = client.post(reverse("leads:email_request_action", args=[email_request.pk, "accept"]), **HX)

    assert response.status_code == 200
    assert "A Sent request cannot become Accepted." in response.content.decode()


def test_the_requester_sees_the_decline_reason_but_has_no_buttons(client, is_rep, marketer):
    email_request = moved_to(S.DECLINED, is_rep, marketer)
    client.force_login(is_rep)

    page = client.get(reverse("leads:email_request", args=[email_request.pk]))
    press = client.post(reverse("leads:email_request_action", args=[email_request.pk, "accept"]), **HX)

    assert b'data-testid="decline-reason"' in page.content
    assert b'data-testid="email-request-actions"' not in page.content
    assert press.status_code == 403


def test_an_unknown_action_is_not_found(client, is_rep, marketer):
    email_request = filed(is_rep, desired_send_on=date(2099, 1, 1))
    client.force_login(marketer)

    assert client.post(reverse("leads:email_request_action", args=[email_request.pk, "launch"])).status_code == 404
