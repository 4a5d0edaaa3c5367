"""The trash: deleting a company, lead or deal takes it (and what hangs off it) out of the queues, lists,
pages, the API and the figures; an admin restores it within 30 days; the nightly purge deletes it then."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from activities.models import Activity
from dashboards.models import DirtyDay, MetricValue
from dashboards.services import metrics_rollup_dirty
from handoffs.models import Handoff
from leads.models import Company, Lead, LeadEvent
from leads.selectors import lead_queue
from leads.services import company_delete, company_restore, lead_delete, lead_restore, trash_purge
from leads.tasks import purge_trash
from opportunities.models import Opportunity
from opportunities.services import opportunity_delete, opportunity_restore
from tests.activities.factories import ActivityFactory
from tests.handoffs.factories import HandoffFactory
from tests.helpers import TODAY
from tests.leads.factories import CompanyFactory, LeadFactory
from tests.opportunities.factories import CSAccountFactory, OpportunityFactory
from tests.org.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def roll_up() -> None:
    while metrics_rollup_dirty(today=TODAY).more:
        pass


def today_figure(metric: str) -> int:
    row = MetricValue.objects.filter(metric=metric, grain="day", period_start=TODAY, dimension="").first()
    return row.numerator if row else 0


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def called_lead(is_rep):
    """A lead of ``is_rep`` due today, with one connected call today, and the figures rolled up."""
    lead = LeadFactory(owner=is_rep)
    ActivityFactory(lead=lead)
    roll_up()
    return lead


class TestDeleteAndRestoreALead:
    def test_a_deleted_lead_leaves_the_queue_page_api_and_figures_and_restoring_brings_all_back(
        self, admin, is_rep, called_lead
    ):
        assert today_figure("calls") == 1
        assert today_figure("leads") == 1

        lead_delete(lead=called_lead, actor=admin)
        roll_up()

        assert list(lead_queue(user=is_rep, today=TODAY)) == []
        assert client_of(is_rep).get(f"/leads/{called_lead.pk}/").status_code == 404
        api = client_of(admin)
        assert api.get(f"/api/v1/leads/{called_lead.pk}/").status_code == 404
        assert api.get("/api/v1/leads/").json()["results"] == []
        assert api.get("/api/v1/activities/").json()["results"] == []
        assert (today_figure("calls"), today_figure("leads"), today_figure("assets")) == (0, 0, 0)

        lead_restore(lead=called_lead, actor=admin)
        roll_up()

        assert list(lead_queue(user=is_rep, today=TODAY)) == [called_lead]
        assert client_of(is_rep).get(f"/leads/{called_lead.pk}/").status_code == 200
        assert [row["id"] for row in api.get("/api/v1/leads/").json()["results"]] == [called_lead.pk]
        assert (today_figure("calls"), today_figure("leads"), today_figure("assets")) == (1, 1, 1)

    def test_delete_and_restore_are_recorded_and_idempotent(self, admin, called_lead, frozen):
        lead_delete(lead=called_lead, actor=admin)
        first = Lead.all_objects.get(pk=called_lead.pk).deleted_at
        frozen.shift(60)
        lead_delete(lead=called_lead, actor=admin)
        lead_restore(lead=called_lead, actor=admin)
        lead_restore(lead=called_lead, actor=admin)

        kinds = list(LeadEvent.objects.filter(lead=called_lead).order_by("id").values_list("kind", "actor"))
        assert kinds[-2:] == [(LeadEvent.Kind.DELETED, admin.pk), (LeadEvent.Kind.RESTORED, admin.pk)]
        assert first is not None
        assert Lead.objects.get(pk=called_lead.pk).deleted_at is None

    def test_deleting_marks_the_days_of_the_leads_facts(self, admin, is_rep):
        lead = LeadFactory(owner=is_rep, next_approach_on=TODAY + timedelta(days=5))
        ActivityFactory(lead=lead, occurred_at=lead.created_at - timedelta(days=3))
        DirtyDay.objects.all().delete()

        lead_delete(lead=lead, actor=admin)

        assert set(DirtyDay.objects.values_list("day", flat=True)) == {
            TODAY,
            TODAY - timedelta(days=3),
            TODAY + timedelta(days=5),
        }

    @pytest.mark.parametrize("role", ["is", "fs", "manager", "marketing"])
    def test_only_admins_delete_and_restore(self, admin, called_lead, role):
        user = UserFactory(role=role)
        with pytest.raises(PermissionDenied):
            lead_delete(lead=called_lead, actor=user)
        lead_delete(lead=called_lead, actor=admin)
        with pytest.raises(PermissionDenied):
            lead_restore(lead=called_lead, actor=user)
        assert client_of(user).post(f"/leads/trash/lead/{called_lead.pk}/restore/").status_code == 403
        assert client_of(user).get("/leads/trash/").status_code == 403
        assert Lead.all_objects.get(pk=called_lead.pk).deleted_at is not None

    def test_a_lead_with_a_deal_is_refused_until_the_deal_is_deleted(self, admin):
        handoff = HandoffFactory()
        with pytest.raises(ValidationError) as refused:
            lead_delete(lead=handoff.lead, actor=admin)
        assert refused.value.code == "lead_has_deals"
        assert Lead.objects.filter(pk=handoff.lead_id).exists()

        opportunity_delete(opportunity=handoff.opportunity, actor=admin)
        lead_delete(lead=handoff.lead, actor=admin)
        assert not Lead.objects.filter(pk=handoff.lead_id).exists()


class TestDeals:
    def test_a_deleted_deal_takes_its_sql_out_of_the_api_and_figures_until_restored(self, admin, frozen):
        handoff = HandoffFactory()
        deal = handoff.opportunity
        roll_up()
        fs = client_of(handoff.to_user)
        assert today_figure("sqls") == 1

        opportunity_delete(opportunity=deal, actor=admin)
        roll_up()

        assert today_figure("sqls") == 0
        assert fs.get(f"/deals/{deal.pk}/").status_code == 404
        assert fs.get(f"/api/v1/opportunities/{deal.pk}/").status_code == 404
        assert fs.get("/api/v1/handoffs/").json()["results"] == []

        opportunity_restore(opportunity=deal, actor=admin)
        roll_up()

        assert today_figure("sqls") == 1
        assert [row["id"] for row in fs.get("/api/v1/handoffs/").json()["results"]] == [handoff.pk]

    def test_a_won_deal_with_a_customer_account_is_not_deleted(self, admin):
        account = CSAccountFactory()
        with pytest.raises(ValidationError) as refused:
            opportunity_delete(opportunity=account.opportunity, actor=admin)
        assert refused.value.code == "deal_has_customer_account"

    def test_a_deal_whose_lead_is_in_the_trash_is_restored_after_the_lead(self, admin):
        deal = HandoffFactory().opportunity
        opportunity_delete(opportunity=deal, actor=admin)
        lead_delete(lead=deal.origin_lead, actor=admin)

        with pytest.raises(ValidationError) as refused:
            opportunity_restore(opportunity=deal, actor=admin)
        assert refused.value.code == "lead_in_trash"

        lead_restore(lead=deal.origin_lead, actor=admin)
        opportunity_restore(opportunity=deal, actor=admin)
        assert Opportunity.objects.filter(pk=deal.pk).exists()


class TestCompanies:
    def test_a_company_goes_with_its_leads_and_deals_and_comes_back_with_exactly_those(self, admin, is_rep, frozen):
        company = CompanyFactory()
        leads = [LeadFactory(company=company, owner=is_rep) for _ in range(2)]
        deal = OpportunityFactory(company=company)
        elsewhere = OpportunityFactory(sql=True, origin_lead=leads[0])  # the lead's deal with a group company
        earlier = LeadFactory(company=company, owner=is_rep)
        lead_delete(lead=earlier, actor=admin)
        frozen.shift(60)

        company_delete(company=company, actor=admin)

        assert not Company.objects.filter(pk=company.pk).exists()
        assert client_of(admin).get(f"/api/v1/companies/{company.pk}/").status_code == 404
        assert not Lead.objects.filter(company_id=company.pk).exists()
        assert not Opportunity.objects.filter(pk__in=[deal.pk, elsewhere.pk]).exists()
        with pytest.raises(ValidationError) as refused:
            lead_restore(lead=leads[0], actor=admin)
        assert refused.value.code == "company_in_trash"

        company_restore(company=company, actor=admin)

        assert set(Lead.objects.filter(company_id=company.pk)) == set(leads)
        assert Opportunity.objects.filter(pk__in=[deal.pk, elsewhere.pk]).count() == 2
        assert Lead.all_objects.get(pk=earlier.pk).deleted_at is not None


class TestPurge:
    def test_after_30_days_the_trash_is_deleted_for_good_with_the_leads_history(self, admin, called_lead, frozen):
        lead_delete(lead=called_lead, actor=admin)

        frozen.shift(timedelta(days=29, hours=23))
        assert trash_purge() == (0, 0)
        assert Lead.all_objects.filter(pk=called_lead.pk).exists()

        frozen.shift(timedelta(hours=2))
        assert purge_trash.delay().get() == 1
        assert not Lead.all_objects.filter(pk=called_lead.pk).exists()
        assert not Activity.objects.filter(lead_id=called_lead.pk).exists()
        assert trash_purge() == (0, 0)

    def test_a_lead_whose_deal_is_still_restorable_is_kept_until_the_deal_goes(self, admin, frozen):
        handoff = HandoffFactory()
        lead, deal = handoff.lead, handoff.opportunity
        frozen.shift(timedelta(days=1))
        opportunity_delete(opportunity=deal, actor=admin)
        frozen.shift(timedelta(days=-1))
        lead_delete(lead=lead, actor=admin)  # allowed: its deal is in the trash

        frozen.shift(timedelta(days=30, hours=12))
        assert trash_purge() == (0, 1)
        assert Lead.all_objects.filter(pk=lead.pk).exists()

        frozen.shift(timedelta(days=1))
        assert trash_purge() == (2, 0)
        assert not Handoff.objects.filter(pk=handoff.pk).exists()

    def test_the_purge_runs_every_night(self, settings):
        assert settings.CELERY_BEAT_SCHEDULE["trash-purge"]["task"] == "leads.tasks.purge_trash"


class TestPages:
    def test_the_trash_lists_what_was_deleted_with_days_left_and_restores(self, admin, called_lead, frozen):
        client = client_of(admin)
        page = client.get("/leads/trash/")
        assert 'data-testid="trash-empty"' in page.content.decode()

        assert client.get(f"/leads/{called_lead.pk}/delete/").status_code == 200
        assert client.post(f"/leads/{called_lead.pk}/delete/").status_code == 302
        frozen.shift(timedelta(days=10))
        client = client_of(admin)  # a login lasts a working day
        page = client.get("/leads/trash/").content.decode()

        assert f'data-kind="lead" data-pk="{called_lead.pk}"' in page
        assert '<td data-testid="days-left">20</td>' in page
        assert admin.display_name in page

        assert client.post(f"/leads/trash/lead/{called_lead.pk}/restore/").status_code == 302
        assert Lead.objects.filter(pk=called_lead.pk).exists()

    def test_a_refused_delete_says_why_and_keeps_the_lead(self, admin):
        handoff = HandoffFactory()
        response = client_of(admin).post(f"/leads/{handoff.lead_id}/delete/")
        assert response.status_code == 400
        assert 'data-testid="trash-error"' in response.content.decode()
        assert Lead.objects.filter(pk=handoff.lead_id).exists()

    def test_the_delete_buttons_show_for_admins_only(self, admin, is_rep, called_lead):
        assert 'data-testid="delete-lead"' in client_of(admin).get(f"/leads/{called_lead.pk}/").content.decode()
        assert 'data-testid="delete-lead"' not in client_of(is_rep).get(f"/leads/{called_lead.pk}/").content.decode()
        assert client_of(is_rep).get(f"/leads/{called_lead.pk}/delete/").status_code == 403

    def test_an_admin_deletes_a_deal_from_its_page_after_confirming(self, admin):
        deal = OpportunityFactory()
        client = client_of(admin)
        assert 'data-testid="delete-deal"' in client.get(f"/deals/{deal.pk}/").content.decode()
        assert 'data-testid="confirm-delete"' in client.get(f"/deals/{deal.pk}/delete/").content.decode()
        assert Opportunity.objects.filter(pk=deal.pk).exists()

        assert client.post(f"/deals/{deal.pk}/delete/").status_code == 302

        assert client.get(f"/deals/{deal.pk}/").status_code == 404
        assert Opportunity.all_objects.get(pk=deal.pk).deleted_by == admin
