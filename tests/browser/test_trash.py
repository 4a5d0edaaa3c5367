"""An admin deletes a lead from its page, finds it in the trash and restores it."""

from playwright.sync_api import expect

from leads.models import Lead
from tests.leads.factories import LeadFactory
from tests.org.factories import UserFactory

from .conftest import browser_db, log_in

pytestmark = browser_db


def test_an_admin_deletes_a_lead_after_confirming_and_restores_it_from_the_trash(page):
    UserFactory(username="admin1", admin=True)
    lead = LeadFactory(last_name="削除", first_name="花子")

    log_in(page, "admin1", "kakehashi-test-pass")
    page.goto(f"/leads/{lead.pk}/")
    page.get_by_test_id("delete-lead").click()
    expect(page.get_by_test_id("trash-confirm")).to_contain_text("削除 花子")
    page.get_by_test_id("confirm-delete").click()

    row = page.get_by_test_id("trash-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("削除 花子")
    assert page.goto(f"/leads/{lead.pk}/").status == 404

    page.goto("/leads/trash/")
    page.get_by_test_id("restore").click()
    expect(page.get_by_test_id("trash-empty")).to_be_visible()
    assert Lead.objects.filter(pk=lead.pk).exists()
