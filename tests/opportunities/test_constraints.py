"""The database keeps the deal invariants even when a write bypasses the services."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from opportunities.models import CSAccount, LostReason, Opportunity
from tests.helpers import NOW, picklist_pk
from tests.opportunities.factories import CSAccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

CONTRACT = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("constraint", "changes"),
    [
        pytest.param("opportunity_open_has_next_action", {"next_action_on": None}, id="open-without-next-action"),
        pytest.param("opportunity_open_has_next_action", {"closed_at": NOW}, id="open-but-closed"),
        pytest.param(
            "opportunity_open_has_next_action",
            {"status": "won", "amount": 1_000_000, "contract_on": CONTRACT},
            id="won-without-closed-at",
        ),
        pytest.param("opportunity_lost_has_reason", {"status": "lost", "closed_at": NOW}, id="lost-without-reason"),
        pytest.param(
            "opportunity_won_has_amount_and_contract",
            {"status": "won", "closed_at": NOW, "contract_on": CONTRACT},
            id="won-without-amount",
        ),
        pytest.param(
            "opportunity_won_has_amount_and_contract",
            {"status": "won", "closed_at": NOW, "amount": 1_000_000},
            id="won-without-contract",
        ),
        pytest.param("opportunity_sql_has_origin_lead", {"origin": "sql"}, id="sql-without-lead"),
    ],
)
def test_opportunity_constraint_refuses_a_raw_update(constraint, changes):
    opportunity = OpportunityFactory()

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Opportunity.objects.filter(pk=opportunity.pk).update(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"status": "lost", "closed_at": NOW, "lost_reason": picklist_pk(LostReason, "price")}, id="lost"),
        pytest.param(
            {"status": "won", "closed_at": NOW, "amount": 1_000_000, "contract_on": CONTRACT, "next_action_on": None},
            id="won",
        ),
    ],
)
def test_opportunity_constraints_accept_closed_deals_done_right(changes):
    opportunity = OpportunityFactory()

    assert Opportunity.objects.filter(pk=opportunity.pk).update(**changes) == 1


def test_sql_deal_with_its_lead_is_accepted():
    opportunity = OpportunityFactory(sql=True)

    assert (opportunity.origin, opportunity.origin_lead.company) == ("sql", opportunity.company)


@pytest.mark.parametrize(
    "renewal_on", [pytest.param(CONTRACT, id="same-day"), pytest.param(CONTRACT - timedelta(days=1), id="before")]
)
def test_cs_account_renews_after_the_contract(renewal_on):
    account = CSAccountFactory(opportunity__contract_on=CONTRACT)

    with pytest.raises(IntegrityError, match="cs_account_renewal_after_contract"), transaction.atomic():
        CSAccount.objects.filter(pk=account.pk).update(renewal_on=renewal_on)


@pytest.mark.parametrize("renewal_on", [None, CONTRACT + timedelta(days=1)])
def test_cs_account_renewal_may_be_open_or_later(renewal_on):
    account = CSAccountFactory(opportunity__contract_on=CONTRACT)

    assert CSAccount.objects.filter(pk=account.pk).update(renewal_on=renewal_on) == 1
