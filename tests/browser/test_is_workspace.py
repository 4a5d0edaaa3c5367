"""An IS rep's morning, in a real browser: queue, a connected call, a recycle, an SQL handoff."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from leads.models import Lead, LeadSource, RecycleReason
from leads.services import company_create, lead_create
from org.models import Team
from org.services import user_create

from .conftest import browser_db, log_in

pytestmark = browser_db
PASSWORD = "rep-pass-2024"


def build_world():
    sdr = Team.objects.create(name="SDR", kind=Team.Kind.SDR, placement=Team.Placement.INDEPENDENT)
    fs_team = Team.objects.create(name="FS SMB", kind=Team.Kind.FS_SEGMENT, segment="31-100")
    rep = user_create(username="rep", password=PASSWORD, role="is", team=sdr, last_name="佐藤", first_name="健太")
    fs = user_create(username="fs", password=PASSWORD, role="fs", team=fs_team, last_name="鈴木", first_name="一郎")
    source = LeadSource.objects.get(code="web_inquiry")
    today = timezone.localdate()
    leads = []
    for i, (name, days_ago) in enumerate([("青木", 2), ("井上", 1), ("上田", 0)]):
        company = company_create(name=f"株式会社サンプル{i}", employee_count=40 + i, prefecture="13")
        leads.append(
            lead_create(
                actor=None,
                company=company,
                last_name=name,
                first_name="太郎",
                source=source,
                origin="inbound",
                owner=rep,
                phone="03-0000-0000",
                next_approach_on=today - timedelta(days=days_ago),
            )
        )
    return rep, fs, leads


def test_rep_works_the_queue_from_call_to_sql(page, artifacts):
    _rep, fs, (first, second, third) = build_world()

    log_in(page, "rep", PASSWORD)
    # The rep lands on the queue: three leads due, two of them overdue, oldest first.
    assert page.url.endswith("/leads/queue/")
    assert page.get_by_test_id("count-today").inner_text() == "3"
    assert page.get_by_test_id("count-overdue").inner_text() == "2"
    rows = page.get_by_test_id("queue-row")
    assert [rows.nth(i).get_attribute("data-lead") for i in range(3)] == [str(first.pk), str(second.pk), str(third.pk)]

    # Open the first lead from the keyboard: j selects the first row, Enter opens it.
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/leads/{first.pk}/")
    assert "株式会社サンプル0" in page.get_by_test_id("company-facts").inner_text()

    # Log a connected call with an effective conversation, in place: no page load.
    page.evaluate("window.__samePage = true")
    log_form = page.get_by_test_id("log-form")
    log_form.locator("input[name=connected][value='1']").check()
    log_form.locator("input[name=effective_conversation]").check()
    log_form.locator("textarea[name=note]").fill("総務部長と会話。来月の定例で検討。")
    log_form.locator("input[name=note], textarea[name=note]").press("Control+Enter")
    page.get_by_test_id("log-ok").wait_for()
    assert page.evaluate("window.__samePage") is True
    timeline = page.get_by_test_id("timeline")
    assert timeline.get_by_test_id("activity").count() == 1
    assert "総務部長と会話" in timeline.inner_text()
    expect(page.get_by_test_id("lead-status")).to_have_class(re.compile("status-working"))
    # The call moved the lead to the next business day, so today's queue shrank beside it.
    assert page.get_by_test_id("sidebar-today").inner_text() == "2"

    # Recycle the second lead with a reason and "month M, week W".
    page.goto(f"/leads/{second.pk}/")
    page.keyboard.press("r")
    recycle = page.get_by_test_id("recycle-form")
    reason = RecycleReason.objects.get(code="timing")
    recycle.locator("select[name=reason]").select_option(str(reason.pk))
    next_month = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    recycle.locator("select[name=month]").select_option(str(next_month.month))
    recycle.locator("select[name=week]").select_option("2")
    recycle.locator("button[type=submit]").click()
    expect(page.get_by_test_id("lead-status")).to_have_class(re.compile("status-recycled"))
    recycles = page.get_by_test_id("recycles").inner_text()
    assert reason.name_en in recycles
    second.refresh_from_db()
    assert second.status == Lead.Status.RECYCLED
    assert second.next_approach_on.month == next_month.month

    # Qualify the third: BANT complete gives temperature A, then hand it to FS.
    page.goto(f"/leads/{third.pk}/")
    page.keyboard.press("b")
    bant = page.get_by_test_id("bant-form")
    bant.locator("input[name=budget]").fill("年間300万円")
    bant.locator("input[name=authority]").fill("人事部長が決裁")
    bant.locator("input[name=needs]").fill("勤怠集計の手作業をなくしたい")
    bant.locator("input[name=timeframe]").fill("来年4月導入")
    bant.locator("input[name=temperature][value=A]").check()
    bant.locator("button[type=submit]").click()
    expect(page.get_by_test_id("lead-temperature")).to_have_text(re.compile("A$"))

    page.keyboard.press("h")
    handoff = page.get_by_test_id("handoff-form")
    assert handoff.locator("select[name=to_user]").input_value() == str(fs.pk)
    handoff.locator("textarea[name=heard]").fill("予算300万円、4月導入、人事部長決裁")
    handoff.locator("textarea[name=why_now]").fill("法改正対応の期限")
    handoff.locator("textarea[name=decision_process]").fill("人事部長→役員会")
    handoff.locator("textarea[name=to_confirm]").fill("既存の給与システムとの連携")
    handoff.locator("button[type=submit]").dblclick()
    expect(page.get_by_test_id("lead-status")).to_have_class(re.compile("status-qualified"))
    assert "予算300万円" in page.get_by_test_id("handoffs").inner_text()
    third.refresh_from_db()
    assert third.status == Lead.Status.QUALIFIED
    assert third.handoffs.count() == 1
    assert third.opportunities.get().owner == fs

    # Called, recycled and qualified: nothing is left in today's queue.
    page.goto("/leads/queue/")
    assert page.get_by_test_id("queue-empty").is_visible()
    page.screenshot(path=str(artifacts / "is-workspace-queue-empty.png"), full_page=True)
