from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from config.api import IdFilter, StrictSerializer, SyncCursorPagination, UtcDateTimeFilter, idempotent
from leads.api import UpdatedSinceFilter
from leads.models import Lead, Origin
from leads.selectors import lead_list
from opportunities.models import Opportunity
from opportunities.selectors import opportunity_list
from org.models import User

from .models import Activity, CallOutcome
from .selectors import activity_list
from .services import activity_log


class ActivitySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    outcome = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "direction",
            "connected",
            "effective_conversation",
            "outcome",
            "duration_seconds",
            "note",
            "occurred_at",
            "actor",
            "company",
            "lead",
            "opportunity",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ActivityCreateSerializer(StrictSerializer):
    """A call, mail or meeting from a dialer or another tool, logged as the key's owner."""

    lead = serializers.IntegerField(required=False, allow_null=True)
    opportunity = serializers.IntegerField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=Activity.Kind.choices)
    direction = serializers.ChoiceField(choices=Origin.choices)
    connected = serializers.BooleanField(required=False, allow_null=True, default=None)
    effective_conversation = serializers.BooleanField(required=False, default=False)
    outcome = serializers.SlugRelatedField(
        slug_field="code", queryset=CallOutcome.objects.filter(is_active=True), required=False, allow_null=True
    )
    duration_seconds = serializers.IntegerField(min_value=0, max_value=86_400, required=False, allow_null=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    next_approach_on = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        if not attrs.get("lead") and not attrs.get("opportunity"):
            raise serializers.ValidationError(
                "Give the lead or the opportunity the activity belongs to.", code="no_subject"
            )
        if attrs.get("kind") == Activity.Kind.CALL and attrs.get("connected") is None:
            raise serializers.ValidationError({"connected": ["Say whether the call connected."]})
        return attrs


class ActivityApiFilter(UpdatedSinceFilter):
    occurred_since = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    lead = IdFilter(field_name="lead_id")
    opportunity = IdFilter(field_name="opportunity_id")

    class Meta:
        model = Activity
        fields = ["kind", "direction", "lead", "opportunity", "occurred_since", "updated_since"]


WRITING_ROLES = (User.Role.IS, User.Role.FS, User.Role.MANAGER, User.Role.ADMIN)


class ActivityViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ActivitySerializer
    pagination_class = SyncCursorPagination
    filterset_class = ActivityApiFilter

    def get_queryset(self):
        return activity_list(user=self.request.user)

    @extend_schema(request=ActivityCreateSerializer, responses={201: ActivitySerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or user.role in WRITING_ROLES):
            raise PermissionDenied
        serializer = ActivityCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        lead = self._visible(lead_list(user=user), data.pop("lead", None), Lead)
        opportunity = self._visible(opportunity_list(user=user), data.pop("opportunity", None), Opportunity)
        activity = activity_log(actor=user, lead=lead, opportunity=opportunity, **data)
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _visible(queryset, pk, model):
        if pk is None:
            return None
        try:
            return queryset.get(pk=pk)
        except model.DoesNotExist:
            raise Http404 from None
