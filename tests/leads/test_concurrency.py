"""Two people act on the same mail request or nurturing step at the same moment: it happens once.

Row locks make this hold; SQLite has none, so these run on PostgreSQL."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from leads.models import CampaignEmailRequestEvent, LeadCheckpoint, NurturingCheckpoint
from leads.services import (
    campaign_email_request_accept,
    campaign_email_request_create,
    campaign_email_request_decline,
    campaign_email_request_mark_sent,
    campaign_email_request_schedule,
    lead_checkpoint_mark,
)
from tests.defaults import ensure_default_data
from tests.handoffs.test_concurrency import race
from tests.leads.factories import LeadFactory, source
from tests.org.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_postgres]


@pytest.fixture(autouse=True)
def default_data():
    ensure_default_data()


def mail_request():
    return campaign_email_request_create(
        actor=UserFactory(),
        subject="事例のご案内",
        body="本文",
        recipient_list="ハウスリスト",
        desired_send_on=timezone.localdate() + timedelta(days=7),
    )


@pytest.mark.parametrize("attempt", range(3))
def test_two_accepts_at_once_accept_once(attempt):
    email_request = mail_request()
    marketers = [UserFactory(marketing=True), UserFactory(marketing=True)]

    first, second = race(
        *[lambda m=m: campaign_email_request_accept(email_request=email_request, actor=m) for m in marketers]
    )

    assert (first.status, second.status) == ("accepted", "accepted")
    assert CampaignEmailRequestEvent.objects.filter(email_request=email_request, to_status="accepted").count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_sent_and_declined_at_once_exactly_one_wins(attempt):
    marketer = UserFactory(marketing=True)
    email_request = campaign_email_request_accept(email_request=mail_request(), actor=marketer)
    email_request = campaign_email_request_schedule(
        email_request=email_request, actor=marketer, scheduled_for=timezone.now() + timedelta(days=1)
    )

    sent, declined = race(
        lambda: campaign_email_request_mark_sent(email_request=email_request, actor=marketer),
        lambda: campaign_email_request_decline(email_request=email_request, actor=marketer, reason="リスト不備"),
    )

    email_request.refresh_from_db()
    losers = [result for result in (sent, declined) if isinstance(result, ValidationError)]
    assert [loser.code for loser in losers] == ["illegal_transition"]
    assert email_request.status in ("sent", "declined")
    assert CampaignEmailRequestEvent.objects.filter(email_request=email_request).count() == 4


@pytest.mark.parametrize("attempt", range(3))
def test_two_reps_marking_the_same_step_make_one_mark(attempt):
    rep = UserFactory()
    lead = LeadFactory(owner=rep, source=source("trial"))
    step = NurturingCheckpoint.objects.get(source__code="trial", position=1)

    first, second = race(
        lambda: lead_checkpoint_mark(lead=lead, checkpoint=step, actor=rep),
        lambda: lead_checkpoint_mark(lead=lead, checkpoint=step, actor=rep, outcome="skipped"),
    )

    assert first.pk == second.pk
    assert LeadCheckpoint.objects.filter(lead=lead).count() == 1
