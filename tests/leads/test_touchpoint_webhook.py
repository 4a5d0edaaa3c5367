"""The MA tool's touch-point webhook: signed with the shared secret (HMAC-SHA256 of "<timestamp>." + body),
refused when unsigned, tampered, stale or malformed, and acting once per event id."""

import json

import pytest
from django.test import Client

from leads.models import Company, Lead, LeadEvent, TouchPoint
from leads.touchpoints import touch_point_signature
from tests.helpers import NOW
from tests.leads.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/touchpoints/"
SECRET = "test-touchpoint-secret-0123456789"
STAMP = int(NOW.timestamp())


def event(**overrides) -> dict:
    return {
        "event_id": "ma-0001",
        "kind": "page_view",
        "occurred_at": "2026-11-20T09:55:00+09:00",
        "email": "hanako@hikari.example.jp",
        "url": "https://kakehashi.example.com/pricing",
        **overrides,
    }


def send(body, *, secret=SECRET, timestamp=STAMP, signature=None, headers=None, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
    if signature is None:
        signature = "sha256=" + touch_point_signature(secret=secret, timestamp=str(timestamp), body=data)
    sent = {"X-Kakehashi-Signature": signature, "X-Kakehashi-Timestamp": str(timestamp)}
    sent = {name: value for name, value in sent.items() if value is not None}
    return Client().post(URL, data, content_type="application/json", headers={**sent, **(headers or {})})


@pytest.fixture
def lead(is_rep):
    return LeadFactory(owner=is_rep, email="hanako@hikari.example.jp", first_name="花子")


def error(response) -> tuple:
    body = response.json()
    return response.status_code, body["code"], body["field_errors"]


# --- signed and accepted ----------------------------------------------------------------------------------


def test_a_signed_event_of_a_known_email_becomes_a_touch_point_of_that_lead(frozen, lead):
    response = send(event())

    touch_point = TouchPoint.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": touch_point.pk,
        "event_id": "ma-0001",
        "kind": "page_view",
        "url": "https://kakehashi.example.com/pricing",
        "occurred_at": "2026-11-20T09:55:00+09:00",
        "lead": lead.pk,
        "received_at": "2026-11-20T10:00:00+09:00",
    }
    assert (touch_point.lead, touch_point.payload) == (lead, event())
    assert Lead.objects.count() == 1


def test_the_email_matches_case_insensitively_and_prefers_the_open_lead(frozen, is_rep, lead):
    LeadFactory(
        owner=is_rep,
        email="hanako@hikari.example.jp",
        status="disqualified",
        status_reason="重複",
        next_approach_on=None,
    )

    send(event(email="Hanako@Hikari.Example.JP"))

    assert TouchPoint.objects.get().lead == lead


def test_an_unknown_email_creates_the_company_and_an_inbound_lead_given_to_a_rep_on_shift(frozen, is_team, is_rep):
    body = event(
        kind="trial",
        email="jiro@midori.example.jp",
        contact={"last_name": "佐藤", "first_name": "次郎", "company": "株式会社みどり", "employee_count": 120},
    )

    response = send(body)

    lead = Lead.objects.get(email="jiro@midori.example.jp")
    assert response.status_code == 201
    assert (lead.full_name, lead.company.name, lead.company.size_band, lead.origin, lead.source.code) == (
        "佐藤 次郎",
        "株式会社みどり",
        "101-300",
        "inbound",
        "trial",
    )
    assert (lead.owner, lead.team, lead.status, str(lead.next_approach_on)) == (is_rep, is_team, "new", "2026-11-20")
    # A trial request makes the lead hot (a default scoring rule) once it has its owner.
    assert list(lead.events.order_by("id").values_list("kind", "to_owner", "actor", "note")) == [
        ("created", None, None, ""),
        ("owner", is_rep.pk, None, "Inbound distribution: round robin"),
        ("hot", None, None, "無料トライアル申込"),
    ]
    assert (lead.is_hot, lead.hot_since, lead.score) == (True, NOW, 30)
    assert TouchPoint.objects.get().lead == lead


def test_a_new_lead_takes_the_source_the_event_names_and_an_existing_company_of_that_name(frozen, is_rep):
    company = CompanyFactory(name="株式会社あおば")
    body = event(
        email="new@aoba.example.jp", source="seminar", contact={"last_name": "鈴木", "company": "株式会社あおば"}
    )

    assert send(body).status_code == 201

    lead = Lead.objects.get(email="new@aoba.example.jp")
    assert (lead.company, lead.source.code, Company.objects.count()) == (company, "seminar", 1)


def test_an_unknown_email_without_a_name_and_company_is_refused_and_nothing_is_saved(frozen, is_rep):
    response = send(event(email="nobody@example.jp", contact={"first_name": "太郎"}))

    assert error(response) == (
        400,
        "invalid",
        {
            "contact.last_name": [
                {"code": "required", "message": "An unknown email needs last_name to create the lead."}
            ],
            "contact.company": [{"code": "required", "message": "An unknown email needs company to create the lead."}],
        },
    )
    assert (Lead.objects.count(), Company.objects.count(), TouchPoint.objects.count()) == (0, 0, 0)


# --- signature --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"signature": ""}, "signature_missing"),
        ({"timestamp": ""}, "timestamp_missing"),
        ({"timestamp": "2026-11-20T10:00:00"}, "timestamp_invalid"),
        ({"secret": "another-secret-of-someone-else"}, "signature_mismatch"),
        ({"signature": "sha256=" + "0" * 64}, "signature_mismatch"),
        ({"signature": "md5=abc"}, "signature_mismatch"),
        ({"timestamp": STAMP - 301}, "timestamp_expired"),
        ({"timestamp": STAMP + 301}, "timestamp_expired"),
    ],
)
def test_an_unsigned_wrongly_signed_or_stale_request_is_401_and_saves_nothing(frozen, lead, headers, code):
    response = send(event(), **headers)

    assert (response.status_code, response.json()["code"]) == (401, code)
    assert response.headers["WWW-Authenticate"] == 'Signature realm="touchpoints"'
    assert TouchPoint.objects.count() == 0


def test_a_signature_up_to_300_seconds_old_or_ahead_is_accepted(frozen, lead):
    assert send(event(event_id="old"), timestamp=STAMP - 300).status_code == 201
    assert send(event(event_id="ahead"), timestamp=STAMP + 300).status_code == 201


def test_a_body_changed_after_signing_is_refused(frozen, lead):
    signed = json.dumps(event()).encode()
    signature = "sha256=" + touch_point_signature(secret=SECRET, timestamp=str(STAMP), body=signed)

    response = send(None, signature=signature, raw=json.dumps(event(kind="trial")).encode())

    assert (response.status_code, response.json()["code"], TouchPoint.objects.count()) == (401, "signature_mismatch", 0)


def test_an_api_key_is_no_substitute_for_the_signature(frozen, lead, is_rep):
    from org.services import api_token_create

    _token, key = api_token_create(user=is_rep, name="ma")
    response = Client().post(
        URL, json.dumps(event()), content_type="application/json", headers={"Authorization": f"Token {key}"}
    )

    assert (response.status_code, response.json()["code"]) == (401, "signature_missing")


def test_without_a_configured_secret_the_webhook_is_unavailable(frozen, lead, settings):
    settings.TOUCHPOINT_WEBHOOK_SECRET = ""

    response = send(event(), secret="")

    assert (response.status_code, response.json()["code"], TouchPoint.objects.count()) == (503, "not_configured", 0)


# --- replay -----------------------------------------------------------------------------------------------


def test_the_same_event_sent_again_acts_once_and_gets_the_same_answer(frozen, lead):
    responses = []
    for _ in range(3):
        responses.append(send(event(), timestamp=int(NOW.timestamp())))
        frozen.shift(60)

    assert TouchPoint.objects.count() == 1
    assert [(r.status_code, r.json()) for r in responses] == [(201, responses[0].json())] * 3
    assert [r.headers.get("Idempotent-Replayed") for r in responses] == [None, "true", "true"]


def test_the_same_event_id_with_another_body_is_refused(frozen, lead):
    send(event())

    response = send(event(kind="demo_click"))

    assert (response.status_code, response.json()["code"]) == (422, "event_id_reused")
    assert list(TouchPoint.objects.values_list("kind", flat=True)) == ["page_view"]


def test_a_replayed_event_of_a_new_person_creates_one_lead(frozen, is_rep):
    body = event(email="jiro@midori.example.jp", contact={"last_name": "佐藤", "company": "株式会社みどり"})

    send(body)
    send(body)

    assert (Lead.objects.count(), Company.objects.count(), TouchPoint.objects.count()) == (1, 1, 1)
    assert LeadEvent.objects.filter(kind="created").count() == 1


# --- malformed --------------------------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_a_400_parse_error(frozen, lead):
    response = send(None, raw=b'{"event_id": "ma-1", ')

    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_a_json_array_is_refused(frozen, lead):
    response = send([event()])

    assert error(response) == (400, "invalid", {})
    assert response.json()["errors"][0]["code"] == "invalid"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"kind": "phone_call"}, "kind", "invalid_choice"),
        ({"email": "not-an-email"}, "email", "invalid"),
        ({"occurred_at": "yesterday"}, "occurred_at", "invalid"),
        ({"occurred_at": "2026-11-20T10:05:01+09:00"}, "occurred_at", "in_future"),
        ({"url": "javascript:alert(1)"}, "url", "invalid"),
        ({"event_id": ""}, "event_id", "blank"),
        ({"event_id": "x" * 101}, "event_id", "max_length"),
        ({"source": "no_such_source"}, "source", "does_not_exist"),
        ({"owner": "is_rep"}, "owner", "not_writable"),
        (
            {"contact": {"last_name": "佐藤", "company": "株式会社みどり", "employee_count": 0}},
            "contact.employee_count",
            "min_value",
        ),
        ({"contact": {"last_name": "佐藤", "nickname": "じろう"}}, "contact.nickname", "not_writable"),
    ],
)
def test_a_malformed_event_is_a_400_naming_the_field(frozen, lead, overrides, field, code):
    response = send(event(**overrides))

    status, body_code, field_errors = error(response)
    assert (status, body_code, list(field_errors), field_errors[field][0]["code"]) == (400, "invalid", [field], code)
    assert TouchPoint.objects.count() == 0


def test_missing_required_fields_are_each_named(frozen, lead):
    response = send({})

    status, _code, field_errors = error(response)
    assert (status, sorted(field_errors)) == (400, ["email", "event_id", "kind", "occurred_at"])
    assert {items[0]["code"] for items in field_errors.values()} == {"required"}


def test_anything_extra_travels_in_data_and_is_kept(frozen, lead):
    body = event(data={"utm_campaign": "秋のセミナー", "score": 12})

    send(body)

    assert TouchPoint.objects.get().payload["data"] == {"utm_campaign": "秋のセミナー", "score": 12}


def test_the_webhook_is_not_throttled_like_api_keys(frozen, lead, monkeypatch):
    """The MA tool sends bursts from one address: the per-key limit of the API does not apply to it."""
    from config.throttling import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"api": "5/min"})

    statuses = [send(event(event_id=f"burst-{n}")).status_code for n in range(8)]

    assert (statuses, TouchPoint.objects.count()) == ([201] * 8, 8)
