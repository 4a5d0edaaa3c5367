from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets

from config.api import IdFilter, PicklistPagination, SyncCursorPagination, UtcDateTimeFilter
from org.models import SizeBand

from .geography import PREFECTURE_CHOICES, Area
from .models import Company, Lead, RecycleReason, Temperature
from .selectors import company_list, lead_list


class CompanySerializer(serializers.ModelSerializer):
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    # Plain strings: an empty website is "", which a uri format would reject.
    website = serializers.CharField(read_only=True)
    prefecture = serializers.ChoiceField(choices=PREFECTURE_CHOICES, allow_blank=True, read_only=True)

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "industry",
            "employee_count",
            "size_band",
            "prefecture",
            "area",
            "website",
            "phone",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LeadSerializer(serializers.ModelSerializer):
    company = CompanySerializer(read_only=True)
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    campaign = serializers.StringRelatedField(read_only=True, allow_null=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    recycle_reason = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    email = serializers.CharField(read_only=True)
    temperature = serializers.ChoiceField(choices=Temperature.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "last_name",
            "first_name",
            "department",
            "title",
            "email",
            "phone",
            "company",
            "source",
            "campaign",
            "origin",
            "owner",
            "status",
            "status_reason",
            "next_approach_on",
            "recycle_reason",
            "temperature",
            "bant_budget",
            "bant_authority",
            "bant_needs",
            "bant_timeframe",
            "is_hot",
            "last_activity_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class UpdatedSinceFilter(filters.FilterSet):
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")


class LeadApiFilter(UpdatedSinceFilter):
    company = IdFilter(field_name="company_id")
    email = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Lead
        fields = ["status", "origin", "temperature", "company", "email", "updated_since"]


class CompanyApiFilter(UpdatedSinceFilter):
    name = filters.CharFilter(lookup_expr="icontains")
    size_band = filters.ChoiceFilter(choices=SizeBand.choices)
    area = filters.ChoiceFilter(choices=Area.choices)

    class Meta:
        model = Company
        fields = ["name", "size_band", "area", "prefecture", "updated_since"]


class LeadViewSet(viewsets.ReadOnlyModelViewSet):
    """Leads you may see (your own and your team's pool for IS reps; those behind your deals for FS)."""

    serializer_class = LeadSerializer
    pagination_class = SyncCursorPagination
    filterset_class = LeadApiFilter

    def get_queryset(self):
        return lead_list(user=self.request.user)


class CompanyViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CompanySerializer
    pagination_class = SyncCursorPagination
    filterset_class = CompanyApiFilter

    def get_queryset(self):
        return company_list(user=self.request.user)


class PicklistSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ja = serializers.CharField()
    name_en = serializers.CharField()
    is_active = serializers.BooleanField()


class RecycleReasonViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = RecycleReason.objects.all()
    serializer_class = PicklistSerializer
    pagination_class = PicklistPagination
    filter_backends = []
