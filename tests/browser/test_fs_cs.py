"""Field Sales takes an SQL to a win and Customer Success picks it up; a stalled deal goes back to IS."""

import re
from datetime import timedelta

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from leads.models import RecycleReason
from opportunities.models import CSAccount, Phase, Service
from tests.worlds import PASSWORD, pipeline_world, sql

from .conftest import browser_db, log_in

pytestmark = browser_db


def move(page, code):
    page.get_by_test_id("deal-form").locator("select[name=to_phase]").select_option(
        str(Phase.objects.get(code=code).pk)
    )
    page.get_by_test_id("deal-form").locator("button[type=submit]").click()


def test_fs_rep_accepts_an_sql_passes_the_gates_and_wins_then_cs_sees_the_account(page, artifacts):
    w = pipeline_world()
    handoff = sql(w, name="小林")
    today = timezone.localdate()

    log_in(page, "fsa", PASSWORD)
    # FS lands on the inbox with the pending SQL and its note.
    page.get_by_test_id("inbox-row").locator("a").click()
    expect(page.get_by_test_id("handoff-note")).to_contain_text("予算300万円、4月導入、部長決裁")
    page.get_by_test_id("accept-form").locator("button").click()
    expect(page.get_by_test_id("handoff-status")).to_have_class(re.compile("status-accepted"))

    page.get_by_test_id("deal-link").click()
    expect(page.get_by_test_id("deal-phase")).to_contain_text("01")

    # Moving to 02 without the first-meeting facts: the page names both missing fields.
    move(page, "02")
    form = page.get_by_test_id("deal-form")
    expect(form.get_by_test_id("error-first_meeting_on")).to_have_text("Required to enter this phase.")
    expect(form.get_by_test_id("error-first_meeting_attendees")).to_have_text("Required to enter this phase.")
    expect(page.get_by_test_id("deal-phase")).to_contain_text("01")

    # Fill them and pass; then through 03 and 04.
    form.locator("input[name=first_meeting_on]").fill((today - timedelta(days=1)).isoformat())
    form.locator("input[name=first_meeting_attendees]").fill("3")
    move(page, "02")
    expect(page.get_by_test_id("deal-phase")).to_contain_text("02")

    form = page.get_by_test_id("deal-form")
    form.locator("input[name=amount]").fill("1800000")
    form.locator("select[name=service]").select_option(str(Service.objects.get(code="payroll").pk))
    move(page, "03")
    expect(page.get_by_test_id("deal-phase")).to_contain_text("03")

    form = page.get_by_test_id("deal-form")
    form.locator("input[name=expected_close_on]").fill((today + timedelta(days=20)).isoformat())
    form.locator("input[name=decision_maker]").fill("人事部長 小林")
    move(page, "04")
    expect(page.get_by_test_id("deal-phase")).to_contain_text("04")

    # Win: the CS account opens and goes to the CS rep.
    page.locator("#act-win summary").click()
    win = page.get_by_test_id("win-form")
    win.locator("input[name=contract_on]").fill(today.isoformat())
    win.locator("select[name=cs_owner]").select_option(str(w["cs"].pk))
    win.locator("button[type=submit]").click()
    expect(page.get_by_test_id("deal-status")).to_have_class(re.compile("status-won"))
    account = CSAccount.objects.get(opportunity=handoff.opportunity)
    assert account.contract_amount == 1_800_000

    page.context.clear_cookies()
    log_in(page, "cs", PASSWORD)
    # CS lands on the accounts list with the new customer.
    expect(page.get_by_test_id("cs-row")).to_have_count(1)
    expect(page.get_by_test_id("cs-row")).to_contain_text("株式会社小林")
    page.get_by_test_id("cs-row").locator("a").click()
    page.get_by_test_id("cs-form").locator("textarea[name=success_definition]").fill("給与計算の工数を半減")
    page.get_by_test_id("cs-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("messages")).to_be_visible()
    account.refresh_from_db()
    assert account.success_definition == "給与計算の工数を半減"
    page.screenshot(path=str(artifacts / "cs-account.png"), full_page=True)


def test_a_stalled_deal_sent_back_shows_up_in_the_recycle_queue(page):
    w = pipeline_world()
    handoff = sql(w, name="松本")
    today = timezone.localdate()

    log_in(page, "fsa", PASSWORD)
    page.goto(f"/deals/{handoff.opportunity_id}/")
    page.locator("#act-send-back summary").click()
    form = page.get_by_test_id("send-back-form")
    form.locator("textarea[name=reason]").fill("予算凍結。来月再検討とのこと")
    form.locator("select[name=recycle_reason]").select_option(str(RecycleReason.objects.get(code="budget").pk))
    form.locator("input[name=approach_on]").fill((today + timedelta(days=3)).isoformat())
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("deal-status")).to_have_class(re.compile("status-lost"))

    # Three days later the recycle group's rep finds the lead in the team pool, due today.
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        page.context.clear_cookies()
        log_in(page, "recycler", PASSWORD)
        page.goto("/leads/queue/?scope=pool")
        rows = page.get_by_test_id("queue-row")
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text("株式会社松本")
        expect(rows).to_contain_text("Recycle due")
