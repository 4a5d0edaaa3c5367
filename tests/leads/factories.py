"""Leads built as rows (factories) and leads brought to a status through the services (``lead_in_status``)."""

from collections.abc import Callable
from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from leads.models import Campaign, Company, Lead, LeadRecycle, LeadSource, Origin, RecycleReason
from leads.services import (
    lead_disqualify,
    lead_nurture,
    lead_qualify,
    lead_recycle,
    lead_start_working,
    lead_update_bant,
)
from org.models import User
from tests.org.factories import UserFactory

S = Lead.Status
BANT_A = {"budget": "300万円", "authority": "部長", "needs": "勤怠集計の自動化", "timeframe": "来年4月"}


def source(code: str = "web_inquiry") -> LeadSource:
    return LeadSource.objects.get(code=code)


def recycle_reason(code: str = "timing") -> RecycleReason:
    return RecycleReason.objects.get(code=code)


class CompanyFactory(DjangoModelFactory):
    """50 employees in Tokyo: size band 31-100, area Kanto."""

    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"株式会社テスト{n}")
    employee_count = 50
    prefecture = "13"


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"秋のセミナー {n}")
    source = factory.LazyFunction(lambda: source("seminar"))


class RecycleReasonFactory(DjangoModelFactory):
    """Only for reasons the data migration does not hold (e.g. a retired one)."""

    class Meta:
        model = RecycleReason

    code = factory.Sequence(lambda n: f"retired_{n}")
    name_ja = "廃止した理由"
    name_en = "Retired reason"


class LeadFactory(DjangoModelFactory):
    """A new lead owned by an IS rep, in the rep's team, due today (company time zone)."""

    class Meta:
        model = Lead

    company = factory.SubFactory(CompanyFactory)
    last_name = "山田"
    first_name = "太郎"
    source = factory.LazyFunction(source)
    origin = Origin.INBOUND
    owner = factory.SubFactory(UserFactory)
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    status = S.NEW
    next_approach_on = factory.LazyFunction(timezone.localdate)


class LeadRecycleFactory(DjangoModelFactory):
    """A day-precision plan for tomorrow."""

    class Meta:
        model = LeadRecycle

    lead = factory.SubFactory(LeadFactory)
    reason = factory.LazyFunction(recycle_reason)
    precision = LeadRecycle.Precision.DAY
    approach_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=1))
    created_by = factory.SelfAttribute("lead.owner")


# The service that moves a lead into each status a rep can choose ("new" is only ever a start).
MOVES: dict[str, Callable[[Lead, User], Lead]] = {
    S.WORKING: lambda lead, actor: lead_start_working(lead=lead, actor=actor),
    S.NURTURING: lambda lead, actor: lead_nurture(
        lead=lead, actor=actor, reason="来期に再検討", next_approach_on=timezone.localdate() + timedelta(days=30)
    ),
    S.RECYCLED: lambda lead, actor: lead_recycle(
        lead=lead, actor=actor, reason=recycle_reason(), approach_on=timezone.localdate() + timedelta(days=14)
    ),
    S.QUALIFIED: lambda lead, actor: lead_qualify(lead=lead, actor=actor),
    S.DISQUALIFIED: lambda lead, actor: lead_disqualify(lead=lead, actor=actor, reason="競合導入済み"),
}
REACH = {S.NEW: lambda lead, actor: lead, **MOVES}


def lead_with_bant(**kwargs) -> Lead:
    """A new lead whose rep heard all of BANT (temperature A), through the service."""
    lead = LeadFactory(**kwargs)
    return lead_update_bant(lead=lead, actor=lead.owner, **BANT_A)


def lead_in_status(status: str, **kwargs) -> Lead:
    """A lead with BANT heard (temperature A, so it may be qualified), moved to ``status`` by its owner
    through the services."""
    lead = lead_with_bant(**kwargs)
    REACH[status](lead, lead.owner)
    lead.refresh_from_db()
    return lead
