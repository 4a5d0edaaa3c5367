from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import PicklistPagination, StrictSerializer, SyncCursorPagination, django_validation_body, idempotent
from leads.api import PicklistSerializer, UpdatedSinceFilter

from .gates import GateFailed
from .models import LostReason, Opportunity, Phase, Service
from .selectors import opportunity_list, with_stagnation
from .services import opportunity_move, opportunity_update


class PhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Phase
        fields = [
            "code",
            "name_ja",
            "name_en",
            "sort_order",
            "outcome",
            "is_valid_opportunity",
            "required_fields",
            "rules",
            "may_skip_into",
            "may_move_back_into",
            "stagnant_after_days",
            "inactive_after_days",
            "is_active",
        ]
        read_only_fields = fields


class OpportunitySerializer(serializers.ModelSerializer):
    company = serializers.SerializerMethodField()
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    phase = serializers.SlugRelatedField(slug_field="code", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    lost_reason = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    is_stagnant = serializers.BooleanField(read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "company",
            "origin",
            "origin_lead",
            "owner",
            "phase",
            "phase_entered_at",
            "status",
            "is_stagnant",
            "amount",
            "service",
            "quantity",
            "first_meeting_on",
            "first_meeting_attendees",
            "decision_maker",
            "expected_close_on",
            "contract_on",
            "next_action_on",
            "next_action",
            "bant_budget",
            "bant_authority",
            "bant_needs",
            "bant_timeframe",
            "lost_reason",
            "lost_note",
            "closed_at",
            "last_activity_at",
            "revived_from",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_company(self, obj) -> dict:
        return {"id": obj.company_id, "name": obj.company.name, "size_band": obj.company.size_band}


class OpportunityUpdateSerializer(StrictSerializer):
    """The fields a deal's owner may change; owner, phase and status move only through actions."""

    name = serializers.CharField(max_length=200, required=False)
    amount = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    service = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.filter(is_active=True), allow_null=True, required=False
    )
    quantity = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    first_meeting_on = serializers.DateField(allow_null=True, required=False)
    first_meeting_attendees = serializers.IntegerField(min_value=0, max_value=32767, allow_null=True, required=False)
    decision_maker = serializers.CharField(max_length=200, allow_blank=True, required=False)
    expected_close_on = serializers.DateField(allow_null=True, required=False)
    contract_on = serializers.DateField(allow_null=True, required=False)
    next_action_on = serializers.DateField(required=False)
    next_action = serializers.CharField(max_length=300, allow_blank=True, required=False)
    bant_budget = serializers.CharField(max_length=300, allow_blank=True, required=False)
    bant_authority = serializers.CharField(max_length=300, allow_blank=True, required=False)
    bant_needs = serializers.CharField(max_length=500, allow_blank=True, required=False)
    bant_timeframe = serializers.CharField(max_length=300, allow_blank=True, required=False)


class MoveSerializer(StrictSerializer):
    phase = serializers.SlugRelatedField(slug_field="code", queryset=Phase.objects.filter(is_active=True))
    changes = OpportunityUpdateSerializer(required=False)
    lost_reason = serializers.SlugRelatedField(
        slug_field="code", queryset=LostReason.objects.filter(is_active=True), required=False
    )
    note = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class OpportunityApiFilter(UpdatedSinceFilter):
    phase = filters.CharFilter(field_name="phase__code")
    service = filters.CharFilter(field_name="service__code")
    segment = filters.CharFilter(field_name="company__size_band")
    stagnant = filters.BooleanFilter(field_name="is_stagnant")

    class Meta:
        model = Opportunity
        fields = ["status", "origin", "phase", "service", "segment", "stagnant", "updated_since"]


class OpportunityViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Deals you may see. PATCH changes the editable fields; ``move`` takes the deal through a phase gate."""

    serializer_class = OpportunitySerializer
    pagination_class = SyncCursorPagination
    filterset_class = OpportunityApiFilter
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, maybe no tables yet
            return Opportunity.objects.none()
        deals = opportunity_list(user=self.request.user).select_related("lost_reason")
        return with_stagnation(deals, today=timezone.localdate())

    @extend_schema(request=OpportunityUpdateSerializer, responses=OpportunitySerializer)
    def partial_update(self, request, *args, **kwargs):
        opportunity = self.get_object()
        serializer = OpportunityUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        opportunity_update(opportunity=opportunity, actor=request.user, data=serializer.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=MoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def move(self, request, pk=None):
        """A gate failure is a 400 with code ``gate_failed``: ``field_errors`` names the missing fields,
        ``errors`` the broken rules, each with its code."""
        opportunity = self.get_object()
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            opportunity_move(
                opportunity=opportunity,
                to_phase=data["phase"],
                actor=request.user,
                changes=dict(data.get("changes") or {}),
                lost_reason=data.get("lost_reason"),
                note=data["note"],
            )
        except GateFailed as error:
            return Response(django_validation_body(error, code="gate_failed"), status=400)
        return Response(self.get_serializer(self.get_object()).data)


class PhaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Phase.objects.all()
    serializer_class = PhaseSerializer
    pagination_class = PicklistPagination
    filter_backends = []


class LostReasonViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = LostReason.objects.all()
    serializer_class = PicklistSerializer
    pagination_class = PicklistPagination
    filter_backends = []
