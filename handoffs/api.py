from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import StrictSerializer, SyncCursorPagination, UtcDateTimeFilter, idempotent
from leads.api import LeadSerializer, UpdatedSinceFilter
from leads.models import Temperature

from .models import Handoff
from .selectors import handoff_list
from .services import handoff_accept, handoff_feedback, handoff_reject


class HandoffSerializer(serializers.ModelSerializer):
    """A handoff with its note, the BANT heard, and the lead and company facts FS needs."""

    lead = LeadSerializer(read_only=True, allow_null=True)
    from_user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    to_user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    temperature = serializers.ChoiceField(choices=Temperature.choices, allow_blank=True, read_only=True)
    feedback = serializers.ChoiceField(choices=Handoff.Feedback.choices, allow_blank=True, read_only=True)
    opportunity = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "kind",
            "status",
            "lead",
            "opportunity",
            "from_user",
            "to_user",
            "temperature",
            "bant_budget",
            "bant_authority",
            "bant_needs",
            "bant_timeframe",
            "heard",
            "why_now",
            "decision_process",
            "to_confirm",
            "reason",
            "capacity_override_reason",
            "responded_at",
            "feedback",
            "feedback_reason",
            "feedback_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RejectSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=500)


class FeedbackSerializer(StrictSerializer):
    feedback = serializers.ChoiceField(choices=Handoff.Feedback.choices)
    feedback_reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class HandoffApiFilter(UpdatedSinceFilter):
    created_since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    segment = filters.CharFilter(field_name="lead__company__size_band")
    mine = filters.BooleanFilter(method="filter_mine", label="addressed to me")

    class Meta:
        model = Handoff
        fields = ["status", "kind", "created_since", "updated_since", "segment", "mine"]

    def filter_mine(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(to_user=user) if value else queryset.exclude(to_user=user)


class HandoffViewSet(viewsets.ReadOnlyModelViewSet):
    """Handoffs you may see: for an FS rep, the SQLs handed to them. Answer with accept / reject."""

    serializer_class = HandoffSerializer
    pagination_class = SyncCursorPagination
    filterset_class = HandoffApiFilter

    def get_queryset(self):
        return handoff_list(user=self.request.user).select_related(
            "lead__company__industry", "lead__source", "lead__campaign", "lead__owner", "lead__recycle_reason"
        )

    @extend_schema(request=None, responses=HandoffSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, pk=None):
        handoff = handoff_accept(handoff=self.get_object(), actor=request.user)
        return Response(self.get_serializer(self._fresh(handoff)).data)

    @extend_schema(request=RejectSerializer, responses=HandoffSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request, pk=None):
        handoff = self.get_object()
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handoff = handoff_reject(handoff=handoff, actor=request.user, reason=serializer.validated_data["reason"])
        return Response(self.get_serializer(self._fresh(handoff)).data)

    @extend_schema(request=FeedbackSerializer, responses=HandoffSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def feedback(self, request, pk=None):
        handoff = self.get_object()
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        handoff = handoff_feedback(
            handoff=handoff,
            actor=request.user,
            feedback=serializer.validated_data["feedback"],
            reason=serializer.validated_data["feedback_reason"],
        )
        return Response(self.get_serializer(self._fresh(handoff)).data, status=status.HTTP_200_OK)

    def _fresh(self, handoff):
        return self.get_queryset().get(pk=handoff.pk)
