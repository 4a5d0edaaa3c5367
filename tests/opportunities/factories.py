from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from opportunities.models import CSAccount, LostReason, Opportunity, Phase, Service
from tests.leads.factories import CompanyFactory, LeadFactory
from tests.org.factories import UserFactory


def phase(code: str) -> Phase:
    return Phase.objects.get(code=code)


def lost_reason(code: str = "price") -> LostReason:
    return LostReason.objects.get(code=code)


def service(code: str = "attendance") -> Service:
    return Service.objects.get(code=code)


class OpportunityFactory(DjangoModelFactory):
    """An open sales-generated deal in phase ``phase_code`` (01 by default) with nothing filled in but its
    next action; ``sql`` gives it an origin lead, ``won`` / ``lost`` close it as the services would."""

    class Meta:
        model = Opportunity

    class Params:
        phase_code = "01"
        sql = factory.Trait(
            origin=Opportunity.Origin.SQL,
            origin_lead=factory.SubFactory(LeadFactory, company=factory.SelfAttribute("..company")),
        )
        won = factory.Trait(
            phase_code="05W",
            status=Opportunity.Status.WON,
            amount=1_200_000,
            contract_on=factory.LazyFunction(timezone.localdate),
            closed_at=factory.LazyFunction(timezone.now),
        )
        lost = factory.Trait(
            phase_code="05L",
            status=Opportunity.Status.LOST,
            lost_reason=factory.LazyFunction(lost_reason),
            closed_at=factory.LazyFunction(timezone.now),
        )

    name = factory.Sequence(lambda n: f"商談 {n}")
    company = factory.SubFactory(CompanyFactory)
    origin = Opportunity.Origin.SGL
    owner = factory.SubFactory(UserFactory, fs=True)
    phase = factory.LazyAttribute(lambda o: phase(o.phase_code))
    phase_entered_at = factory.LazyFunction(timezone.now)
    next_action_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=3))
    created_by = factory.SelfAttribute("owner")


class CSAccountFactory(DjangoModelFactory):
    """The account of a won deal, renewing a year after the contract."""

    class Meta:
        model = CSAccount

    opportunity = factory.SubFactory(OpportunityFactory, won=True)
    company = factory.SelfAttribute("opportunity.company")
    owner = factory.SubFactory(UserFactory, cs=True)
    contract_on = factory.SelfAttribute("opportunity.contract_on")
    contract_amount = factory.SelfAttribute("opportunity.amount")
    renewal_on = factory.LazyAttribute(lambda o: o.contract_on + timedelta(days=365))
