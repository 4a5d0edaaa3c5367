import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.models import SizeBand

from .models import Opportunity, Phase, Service


class OpportunityFilter(django_filters.FilterSet):
    """Narrows the pipeline; shared by the list page and the API. ``stagnant`` needs ``with_stagnation``."""

    phase = django_filters.ModelChoiceFilter(
        queryset=Phase.objects.filter(is_active=True), label=_("phase"), empty_label=_("All phases")
    )
    status = django_filters.ChoiceFilter(
        choices=Opportunity.Status.choices, label=_("status"), empty_label=_("All statuses")
    )
    origin = django_filters.ChoiceFilter(
        choices=Opportunity.Origin.choices, label=_("SQL / SGL"), empty_label=_("SQL and SGL")
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.filter(is_active=True), label=_("service"), empty_label=_("All services")
    )
    segment = django_filters.ChoiceFilter(
        field_name="company__size_band", choices=SizeBand.choices, label=_("segment"), empty_label=_("All segments")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("next action overdue"))
    stagnant = django_filters.BooleanFilter(field_name="is_stagnant", label=_("stagnant"))

    class Meta:
        model = Opportunity
        fields = ["phase", "status", "origin", "service", "segment", "overdue", "stagnant"]

    def filter_overdue(self, queryset, name, value):
        overdue = {"status": Opportunity.Status.OPEN, "next_action_on__lt": timezone.localdate()}
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)
