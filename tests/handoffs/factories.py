import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from handoffs.models import FSCapacityRule, Handoff
from org.models import SizeBand
from tests.leads.factories import LeadFactory
from tests.opportunities.factories import OpportunityFactory
from tests.org.factories import TeamFactory, UserFactory


class HandoffFactory(DjangoModelFactory):
    """A pending SQL (IS → FS, temperature A) from the lead's owner to ``fs_rep``, who owns the deal.

    ``send_back`` makes it the FS rep's pass back to a recycle team; ``accepted`` answers it.
    """

    class Meta:
        model = Handoff

    class Params:
        fs_rep = factory.SubFactory(UserFactory, fs=True)
        accepted = factory.Trait(status=Handoff.Status.ACCEPTED, responded_at=factory.LazyFunction(timezone.now))
        send_back = factory.Trait(
            kind=Handoff.Kind.FS_TO_IS,
            from_user=factory.SelfAttribute("fs_rep"),
            to_user=None,
            to_team=factory.SubFactory(TeamFactory, recycle=True),
            reason="3か月動きなし",
        )

    kind = Handoff.Kind.IS_TO_FS
    lead = factory.SubFactory(LeadFactory)
    to_user = factory.SelfAttribute("fs_rep")
    opportunity = factory.SubFactory(
        OpportunityFactory,
        sql=True,
        origin_lead=factory.SelfAttribute("..lead"),
        company=factory.SelfAttribute("..lead.company"),
        owner=factory.SelfAttribute("..fs_rep"),
    )
    from_user = factory.SelfAttribute("lead.owner")
    temperature = "A"
    bant_budget = "300万円"
    bant_authority = "部長"
    bant_needs = "勤怠集計の自動化"
    bant_timeframe = "来年4月"
    heard = "予算300万円、来年4月導入"


class FSCapacityRuleFactory(DjangoModelFactory):
    """A rep's own monthly limit for companies of 31-100 employees."""

    class Meta:
        model = FSCapacityRule

    size_band = SizeBand.S
    user = factory.SubFactory(UserFactory, fs=True)
    monthly_limit = 2
