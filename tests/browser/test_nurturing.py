"""In a real browser: a rep follows the suggested nurturing step and reviews an MQL from the keyboard; Marketing
reads the verdict on the lead-quality page."""

from django.utils import timezone
from playwright.sync_api import expect

from leads.models import LeadCheckpoint, LeadSource, MqlReview
from leads.services import company_create, lead_create
from org.models import Team
from org.services import user_create

from .conftest import browser_db, log_in

pytestmark = browser_db
PASSWORD = "rep-pass-2024"


def test_rep_marks_the_suggested_step_and_the_mql_verdict_from_the_keyboard(page, artifacts):
    sdr = Team.objects.create(name="SDR", kind=Team.Kind.SDR)
    marketing = Team.objects.create(name="マーケ", kind=Team.Kind.MARKETING)
    rep = user_create(username="rep", password=PASSWORD, role="is", team=sdr, last_name="佐藤")
    user_create(username="mkt", password=PASSWORD, role="marketing", team=marketing, last_name="高橋")
    lead = lead_create(
        actor=None,
        company=company_create(name="株式会社展示会", employee_count=80, prefecture="13"),
        last_name="青木",
        source=LeadSource.objects.get(code="trade_show"),
        origin="inbound",
        owner=rep,
    )

    log_in(page, "rep", PASSWORD)
    page.goto(f"/leads/{lead.pk}/")
    page.evaluate("window.__samePage = true")
    suggested = page.get_by_test_id("suggested-step")
    expect(suggested).to_contain_text("Hear the current situation")

    # C goes to the suggested step's Done button; Enter presses it, and the next step is suggested in place.
    page.keyboard.press("c")
    expect(suggested.locator("button[value=done]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("suggested-step")).to_contain_text("Offer the booklet")
    assert page.evaluate("window.__samePage") is True
    assert LeadCheckpoint.objects.get(lead=lead).checkpoint.position == 1

    # M opens the MQL verdict; "not a fit" without a reason is refused on the field, then saved with one.
    page.keyboard.press("m")
    form = page.get_by_test_id("mql-form")
    form.locator("input[name=verdict][value=not_a_fit]").check()
    form.locator("input[name=note]").fill("学生の情報収集")
    form.locator("input[name=note]").press("Control+Enter")
    expect(page.get_by_test_id("error-reason")).to_be_visible()
    assert MqlReview.objects.count() == 0
    form = page.get_by_test_id("mql-form")
    form.locator("select[name=reason]").select_option(label="Individual or student")
    form.locator("input[name=note]").press("Control+Enter")
    expect(page.get_by_test_id("mql-verdict")).to_contain_text("Individual or student")
    assert page.evaluate("window.__samePage") is True
    page.screenshot(path=str(artifacts / "nurturing-lead.png"), full_page=True)

    # Marketing sees it on the lead-quality page.
    page.context.clear_cookies()
    log_in(page, "mkt", PASSWORD)
    day = timezone.localtime(lead.created_at).date().isoformat()
    page.goto(f"/leads/quality/?since={day}&until={day}")
    row = page.get_by_test_id("source-row").filter(has_text="Trade show")
    expect(row.locator("[data-col=not_a_fit]")).to_have_text("1")
    expect(row.locator("[data-col=reasons]")).to_contain_text("Individual or student (1)")
    page.screenshot(path=str(artifacts / "lead-quality.png"), full_page=True)
