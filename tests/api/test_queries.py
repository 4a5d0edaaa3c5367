"""A list page runs the same number of queries whatever it holds: no query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.services import activity_log
from leads.models import Company, Industry
from opportunities.models import LostReason, Opportunity
from tests.handoffs.factories import HandoffFactory
from tests.helpers import NOW

pytestmark = pytest.mark.django_db

LISTS = ["handoffs", "opportunities", "leads", "activities", "companies"]


def sqls_to_fs_a(w, count: int) -> None:
    """``count`` SQLs to fs_a, each with its own industry, a visit logged and its deal lost for its own
    reason: every related row a serializer shows differs from one row to the next."""
    industries, reasons = list(Industry.objects.order_by("pk")), list(LostReason.objects.order_by("pk"))
    for n, handoff in enumerate(HandoffFactory.create_batch(count, fs_rep=w["fs_a"], lead__owner=w["rep"])):
        Company.objects.filter(pk=handoff.lead.company_id).update(industry=industries[n])
        activity_log(actor=w["fs_a"], kind="visit", direction="outbound", opportunity=handoff.opportunity)
        Opportunity.objects.filter(pk=handoff.opportunity_id).update(
            status=Opportunity.Status.LOST, lost_reason=reasons[n], closed_at=NOW
        )


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert len(response.json()["results"]) > 0
    return len(captured.captured_queries)


@pytest.mark.parametrize("resource", LISTS)
def test_a_list_runs_as_many_queries_for_five_rows_as_for_one(api, w, resource):
    client = api["fs_a"]
    # The first request of a key records its use; later ones within the minute do not.
    client.get("/api/v1/phases/")
    sqls_to_fs_a(w, 1)
    one = queries(client, f"/api/v1/{resource}/")

    sqls_to_fs_a(w, 4)
    five = queries(client, f"/api/v1/{resource}/")

    assert five == one
