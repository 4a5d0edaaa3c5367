import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from activities.models import Activity
from tests.leads.factories import LeadFactory


class ActivityFactory(DjangoModelFactory):
    """A connected outbound call on a lead by the lead's owner, just now."""

    class Meta:
        model = Activity

    kind = Activity.Kind.CALL
    direction = "outbound"
    connected = True
    occurred_at = factory.LazyFunction(timezone.now)
    lead = factory.SubFactory(LeadFactory)
    actor = factory.SelfAttribute("lead.owner")
    team = factory.SelfAttribute("actor.team")
    company = factory.SelfAttribute("lead.company")
