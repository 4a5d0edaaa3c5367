"""MQL quality feedback: IS's verdict on each inbound lead, and Marketing's page of it per source and campaign."""

import csv
import io
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import Lead, MqlRejectReason, MqlReview, Origin
from leads.selectors import mql_quality
from leads.services import lead_mql_review
from tests.helpers import TODAY, TOKYO, field_codes
from tests.leads.factories import CampaignFactory, LeadFactory, source
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def reason(code: str) -> MqlRejectReason:
    return MqlRejectReason.objects.get(code=code)


# --- the review ----------------------------------------------------------------------------------------------


def test_accepting_an_mql_records_who_and_when(frozen, is_rep):
    lead = LeadFactory(owner=is_rep)

    review = lead_mql_review(lead=lead, actor=is_rep, verdict="accepted", note="  課題が明確  ")

    assert (review.verdict, review.reason, review.note, review.reviewed_by, review.reviewed_at) == (
        "accepted",
        None,
        "課題が明確",
        is_rep,
        datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO),
    )


def test_not_a_fit_needs_a_reason(is_rep):
    lead = LeadFactory(owner=is_rep)

    with pytest.raises(ValidationError) as error:
        lead_mql_review(lead=lead, actor=is_rep, verdict="not_a_fit")

    assert field_codes(error.value) == {"reason": ["reason_required"]}
    assert MqlReview.objects.count() == 0


def test_an_unknown_verdict_is_refused(is_rep):
    with pytest.raises(ValidationError) as error:
        lead_mql_review(lead=LeadFactory(owner=is_rep), actor=is_rep, verdict="maybe")

    assert field_codes(error.value) == {"verdict": ["invalid"]}


def test_a_new_verdict_replaces_the_old_one_and_accepting_drops_the_reason(is_rep, manager):
    lead = LeadFactory(owner=is_rep)
    lead_mql_review(lead=lead, actor=is_rep, verdict="not_a_fit", reason=reason("competitor"))

    review = lead_mql_review(lead=lead, actor=manager, verdict="accepted", reason=reason("competitor"))

    assert MqlReview.objects.count() == 1
    assert (review.verdict, review.reason, review.reviewed_by) == ("accepted", None, manager)


def test_repeating_the_same_verdict_changes_nothing(frozen, is_rep, manager):
    lead = LeadFactory(owner=is_rep)
    first = lead_mql_review(lead=lead, actor=is_rep, verdict="not_a_fit", reason=reason("individual"))
    frozen.shift(3600)

    again = lead_mql_review(lead=lead, actor=manager, verdict="not_a_fit", reason=reason("individual"))

    assert (again.pk, again.reviewed_by, again.reviewed_at) == (first.pk, is_rep, first.reviewed_at)


def test_a_retired_reason_is_refused(is_rep):
    MqlRejectReason.objects.filter(code="other").update(is_active=False)

    with pytest.raises(ValidationError) as error:
        lead_mql_review(lead=LeadFactory(owner=is_rep), actor=is_rep, verdict="not_a_fit", reason=reason("other"))

    assert field_codes(error.value) == {"reason": ["reason_inactive"]}


def test_an_outbound_lead_is_not_an_mql(is_rep):
    lead = LeadFactory(owner=is_rep, origin=Origin.OUTBOUND, source=source("house_list"))

    with pytest.raises(ValidationError) as error:
        lead_mql_review(lead=lead, actor=is_rep, verdict="accepted")

    assert error.value.code == "not_mql"


# --- on the lead page ----------------------------------------------------------------------------------------


def test_the_rep_marks_an_mql_not_a_fit_in_place(client, is_rep):
    lead = LeadFactory(owner=is_rep)
    client.force_login(is_rep)

    page = client.get(reverse("leads:detail", args=[lead.pk]))
    response = client.post(
        reverse("leads:mql_review", args=[lead.pk]),
        {"verdict": "not_a_fit", "reason": reason("competitor").pk, "note": "同業の情報収集"},
        **HX,
    )

    assert b'data-testid="mql-unreviewed"' in page.content
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'data-testid="mql-verdict"' in response.content
    assert MqlReview.objects.get(lead=lead).reason == reason("competitor")


def test_not_a_fit_without_a_reason_shows_the_error_on_the_field(client, is_rep):
    lead = LeadFactory(owner=is_rep)
    client.force_login(is_rep)

    response = client.post(reverse("leads:mql_review", args=[lead.pk]), {"verdict": "not_a_fit"}, **HX)

    assert response.status_code == 200
    assert response.context["mql_form"].errors["reason"] == ["Choose why the lead is not a fit."]
    assert response.context["open_tab"] == "mql"
    assert b'data-testid="error-reason"' in response.content
    assert MqlReview.objects.count() == 0


def test_an_outbound_lead_has_no_mql_card(client, is_rep):
    lead = LeadFactory(owner=is_rep, origin=Origin.OUTBOUND, source=source("house_list"))
    client.force_login(is_rep)

    response = client.get(reverse("leads:detail", args=[lead.pk]))

    assert b'data-testid="mql-review"' not in response.content


def test_marketing_reads_the_verdict_but_cannot_give_one(client, is_rep, marketer):
    lead = LeadFactory(owner=is_rep)
    lead_mql_review(lead=lead, actor=is_rep, verdict="accepted")
    client.force_login(marketer)

    page = client.get(reverse("leads:detail", args=[lead.pk]))
    post = client.post(reverse("leads:mql_review", args=[lead.pk]), {"verdict": "not_a_fit"}, **HX)

    assert b'data-testid="mql-verdict"' in page.content
    assert b'data-testid="mql-form"' not in page.content
    assert post.status_code == 403


# --- the Marketing page --------------------------------------------------------------------------------------


def arrived(at: datetime, **kwargs) -> Lead:
    lead = LeadFactory(**kwargs)
    Lead.objects.filter(pk=lead.pk).update(created_at=at)
    return lead


@pytest.fixture
def world(is_rep):
    """November 2026, counted by hand (see each line):

    seminar / セミナーA: 4 MQLs — accepted ×2, not a fit (competitor), not reviewed
    seminar / セミナーB: 2 MQLs — not a fit (individual), not a fit (competitor)
    seminar / no campaign: 1 MQL — accepted
    trade show: 3 MQLs — accepted, not a fit (out of target), not reviewed
    web inquiry: 1 MQL on Nov 30 at 23:30 Tokyo, not reviewed
    outside: an outbound lead, an inbound lead of Oct 31 23:30 and one of Dec 1 00:00 Tokyo (all reviewed)
    """
    seminar, trade_show, web = source("seminar"), source("trade_show"), source("web_inquiry")
    campaign_a = CampaignFactory(name="セミナーA", source=seminar)
    campaign_b = CampaignFactory(name="セミナーB", source=seminar)
    nov = datetime(2026, 11, 10, 12, 0, tzinfo=TOKYO)
    verdicts = [
        (seminar, campaign_a, "accepted", None),
        (seminar, campaign_a, "accepted", None),
        (seminar, campaign_a, "not_a_fit", "competitor"),
        (seminar, campaign_a, None, None),
        (seminar, campaign_b, "not_a_fit", "individual"),
        (seminar, campaign_b, "not_a_fit", "competitor"),
        (seminar, None, "accepted", None),
        (trade_show, None, "accepted", None),
        (trade_show, None, "not_a_fit", "out_of_target"),
        (trade_show, None, None, None),
    ]
    for lead_source, campaign, verdict, why in verdicts:
        lead = arrived(nov, owner=is_rep, source=lead_source, campaign=campaign)
        if verdict:
            lead_mql_review(lead=lead, actor=is_rep, verdict=verdict, reason=why and reason(why))
    arrived(datetime(2026, 11, 30, 23, 30, tzinfo=TOKYO), owner=is_rep, source=web)
    outside = [
        arrived(nov, owner=is_rep, source=source("house_list"), origin=Origin.OUTBOUND),
        arrived(datetime(2026, 10, 31, 23, 30, tzinfo=TOKYO), owner=is_rep, source=web),
        arrived(datetime(2026, 12, 1, 0, 0, tzinfo=TOKYO), owner=is_rep, source=trade_show),
    ]
    for lead in outside[1:]:
        lead_mql_review(lead=lead, actor=is_rep, verdict="not_a_fit", reason=reason("duplicate"))


def figures(row) -> tuple:
    return (row.source, row.campaign, row.mqls, row.accepted, row.not_a_fit, row.not_reviewed, row.acceptance_rate)


def test_quality_per_source_and_campaign_is_exact(world, settings):
    settings.LANGUAGE_CODE = "en"
    quality = mql_quality(since=TODAY.replace(day=1), until=TODAY.replace(day=30))

    assert [figures(row) for row in quality.by_source] == [
        ("Web inquiry", "", 1, 0, 0, 1, None),
        ("Trade show", "", 3, 1, 1, 1, 0.5),
        ("Seminar / webinar", "", 7, 3, 3, 1, 0.5),
    ]
    assert [figures(row) for row in quality.by_campaign] == [
        ("Web inquiry", "", 1, 0, 0, 1, None),
        ("Trade show", "", 3, 1, 1, 1, 0.5),
        ("Seminar / webinar", "", 1, 1, 0, 0, 1.0),
        ("Seminar / webinar", "セミナーA", 4, 2, 1, 1, 2 / 3),
        ("Seminar / webinar", "セミナーB", 2, 0, 2, 0, 0.0),
    ]
    assert figures(quality.total) == ("", "", 11, 4, 4, 3, 0.5)
    seminar = quality.by_source[2]
    assert [(r.code, n) for r, n in quality.top_reasons(seminar)] == [("competitor", 2), ("individual", 1)]
    assert [(r.code, n) for r, n in quality.top_reasons(quality.by_campaign[4])] == [
        ("competitor", 1),
        ("individual", 1),
    ]
    assert [(r.code, n) for r, n in quality.top_reasons(quality.total)] == [
        ("competitor", 2),
        ("out_of_target", 1),
        ("individual", 1),
    ]


def test_the_period_bounds_are_company_days(world):
    december = mql_quality(since=TODAY.replace(month=12, day=1), until=TODAY.replace(month=12, day=1))
    october = mql_quality(since=TODAY.replace(month=10, day=31), until=TODAY.replace(month=10, day=31))

    assert (december.total.mqls, december.total.not_a_fit, october.total.mqls) == (1, 1, 1)


def test_the_figures_take_two_queries_whatever_the_number_of_leads(world, is_rep):
    with CaptureQueriesContext(connection) as few:
        mql_quality(since=TODAY.replace(day=1), until=TODAY.replace(day=30))
    for _ in range(20):
        arrived(datetime(2026, 11, 12, tzinfo=TOKYO), owner=is_rep, source=source("trial"))
    with CaptureQueriesContext(connection) as many:
        mql_quality(since=TODAY.replace(day=1), until=TODAY.replace(day=30))

    # The reasons picklist, then one grouped query for every figure.
    assert len(few) == len(many) == 2
    assert "GROUP BY" in many.captured_queries[1]["sql"]


@pytest.mark.parametrize(
    ("role", "status"),
    [("marketing", 200), ("manager", 200), ("admin", 200), ("is", 403), ("fs", 403), ("cs", 403)],
)
def test_the_quality_page_is_for_marketing_managers_and_admins(client, role, status):
    traits = {"is": {}, "marketing": {"marketing": True}, "manager": {"manager": True}, "admin": {"admin": True}}
    user = UserFactory(**traits.get(role, {role: True}))
    client.force_login(user)

    response = client.get(reverse("leads:mql_quality"))

    assert response.status_code == status


def test_the_page_shows_this_month_by_default_and_the_chosen_period_in_place(frozen, client, world, marketer):
    client.force_login(marketer)

    default = client.get(reverse("leads:mql_quality"))
    december = client.get(reverse("leads:mql_quality"), {"since": "2026-12-01", "until": "2026-12-31"}, **HX)

    assert (default.context["quality"].since.isoformat(), default.context["quality"].until.isoformat()) == (
        "2026-11-01",
        "2026-11-30",
    )
    assert default.content.count(b'data-testid="source-row"') == 3
    assert default.content.count(b'data-testid="campaign-row"') == 5
    assert b"<html" not in december.content
    assert december.context["quality"].total.mqls == 1


def test_a_reversed_period_is_reported_and_the_month_shown(frozen, client, world, marketer):
    client.force_login(marketer)

    response = client.get(reverse("leads:mql_quality"), {"since": "2026-11-30", "until": "2026-11-01"})

    assert response.context["form"].errors["until"] == ["The end is before the start."]
    assert response.context["quality"].total.mqls == 11


def test_csv_by_campaign_has_every_row_and_the_reason_counts(frozen, client, world, marketer, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(marketer)

    response = client.get(
        reverse("leads:mql_quality"), {"since": "2026-11-01", "until": "2026-11-30", "csv": "campaign"}
    )

    text = response.content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    reasons = list(MqlRejectReason.objects.values_list("name_en", flat=True))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert text.startswith("\ufeff")
    assert rows[0] == [
        "Source",
        "Campaign",
        "MQLs",
        "Accepted",
        "Not a fit",
        "Not reviewed",
        "Acceptance rate",
        *reasons,
    ]
    competitor, individual = reasons.index("Competitor or peer company"), reasons.index("Individual or student")
    row_b = rows[5]
    assert row_b[:7] == ["Seminar / webinar", "セミナーB", "2", "0", "2", "0", "0.0000"]
    assert (row_b[7 + competitor], row_b[7 + individual]) == ("1", "1")
    assert rows[-1][:7] == ["Total", "", "11", "4", "4", "3", "0.5000"]
    assert len(rows) == 7


def test_csv_by_source(frozen, client, world, marketer):
    client.force_login(marketer)

    response = client.get(reverse("leads:mql_quality"), {"since": "2026-11-01", "until": "2026-11-30", "csv": "source"})

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    assert [row[1:6] for row in rows[1:]] == [
        ["1", "0", "0", "1", ""],
        ["3", "1", "1", "1", "0.5000"],
        ["7", "3", "3", "1", "0.5000"],
        ["11", "4", "4", "3", "0.5000"],
    ]
