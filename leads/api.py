from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import (
    IdFilter,
    PicklistPagination,
    StrictSerializer,
    SyncCursorPagination,
    UtcDateTimeFilter,
    error_body,
    storable_json,
)
from org.models import SizeBand

from .geography import PREFECTURE_CHOICES, Area
from .models import Company, Lead, LeadSource, RecycleReason, Temperature, TouchPoint
from .selectors import company_list, lead_list
from .touchpoints import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    touch_point_receive,
    touch_point_verify,
)


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


# --- the MA tool's touch-point webhook --------------------------------------------------------------------


class TouchPointContactSerializer(StrictSerializer):
    """Who the person is; used only when the email is unknown and a lead is created."""

    last_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    employee_count = serializers.IntegerField(min_value=1, max_value=10_000_000, required=False, allow_null=True)
    department = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class TouchPointEventSerializer(StrictSerializer):
    event_id = serializers.CharField(
        max_length=100, help_text="The MA tool's id of the event: sent again, it acts once."
    )
    kind = serializers.ChoiceField(choices=TouchPoint.Kind.choices)
    occurred_at = serializers.DateTimeField()
    email = serializers.EmailField(max_length=254)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    source = serializers.SlugRelatedField(
        slug_field="code",
        queryset=LeadSource.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Lead source code for a new lead; by default trial, seminar or web_inquiry by kind.",
    )
    contact = TouchPointContactSerializer(required=False)
    data = serializers.DictField(required=False, help_text="Anything else the MA tool wants kept with the event.")

    def validate_occurred_at(self, value):
        if value > timezone.now() + timedelta(seconds=settings.TOUCHPOINT_WEBHOOK_TOLERANCE_SECONDS):
            raise serializers.ValidationError(_("The event cannot have happened in the future."), code="in_future")
        return value


class TouchPointSerializer(serializers.ModelSerializer):
    event_id = serializers.CharField(source="external_id", read_only=True)
    received_at = serializers.DateTimeField(source="created_at", read_only=True)
    url = serializers.CharField(read_only=True)

    class Meta:
        model = TouchPoint
        fields = ["id", "event_id", "kind", "url", "occurred_at", "lead", "received_at"]
        read_only_fields = fields


def _dotted(detail, prefix="") -> dict:
    """Nested serializer errors as ``{"contact.last_name": [...]}``, so each one says where it is."""
    if isinstance(detail, dict):
        flat = {}
        for field, items in detail.items():
            nested = f"{prefix}.{field}" if field != "non_field_errors" else prefix
            name = nested if prefix else field
            flat.update(_dotted(items, name) if isinstance(items, dict) else {name: items})
        return flat
    return {prefix or "non_field_errors": detail}


class TouchPointWebhookView(APIView):
    """Touch points from the MA tool, signed with the shared secret instead of an API key."""

    authentication_classes = []
    permission_classes = [AllowAny]
    # The MA tool sends bursts; a signature is required anyway, and checking one costs less than counting.
    throttle_classes = []

    def get_authenticate_header(self, request):
        return 'Signature realm="touchpoints"'

    @extend_schema(
        operation_id="touchpoints_create",
        auth=[],
        request=TouchPointEventSerializer,
        responses={201: TouchPointSerializer},
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description='"sha256=" + hex HMAC-SHA256 of "<timestamp>." + raw body with the shared secret.',
            ),
            OpenApiParameter(
                TIMESTAMP_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description="Unix seconds when the request was signed.",
            ),
        ],
    )
    def post(self, request):
        secret = settings.TOUCHPOINT_WEBHOOK_SECRET
        if not secret:
            return Response(
                error_body("not_configured", _("The touch-point webhook has no secret configured.")), status=503
            )
        try:
            touch_point_verify(
                secret=secret,
                signature=request.headers.get(SIGNATURE_HEADER, ""),
                timestamp=request.headers.get(TIMESTAMP_HEADER, "").strip(),
                body=request.body,
                tolerance=settings.TOUCHPOINT_WEBHOOK_TOLERANCE_SECONDS,
            )
        except SignatureError as error:
            raise exceptions.AuthenticationFailed(str(error.message), code=error.code) from None
        serializer = TouchPointEventSerializer(data=request.data)
        if not serializer.is_valid():
            raise exceptions.ValidationError(_dotted(serializer.errors))
        event = serializer.validated_data
        try:
            receipt = touch_point_receive(
                event_id=event["event_id"],
                kind=event["kind"],
                occurred_at=event["occurred_at"],
                email=event["email"],
                url=event["url"],
                source=event.get("source"),
                contact=event.get("contact"),
                payload=storable_json(request.data),
            )
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "event_id_reused":
                return Response(error_body("event_id_reused", error.messages[0]), status=422)
            raise
        headers = {} if receipt.created else {"Idempotent-Replayed": "true"}
        return Response(TouchPointSerializer(receipt.touch_point).data, status=status.HTTP_201_CREATED, headers=headers)
