import django_filters
from django.utils.translation import gettext_lazy as _

from .models import Campaign, Lead, LeadSource, Temperature


class QueueFilter(django_filters.FilterSet):
    """Narrows the call queue; shared by the page and, later, the API."""

    source = django_filters.ModelChoiceFilter(
        queryset=LeadSource.objects.filter(is_active=True), label=_("lead source"), empty_label=_("All sources")
    )
    campaign = django_filters.ModelChoiceFilter(
        queryset=Campaign.objects.filter(is_active=True), label=_("campaign"), empty_label=_("All campaigns")
    )
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in Lead.OPEN_STATUSES], label=_("status"), empty_label=_("All statuses")
    )
    temperature = django_filters.ChoiceFilter(
        choices=Temperature.choices, label=_("temperature"), empty_label=_("Any temperature")
    )

    class Meta:
        model = Lead
        fields = ["source", "campaign", "status", "temperature"]
