"""Read-only metrics API: the catalogue, and one metric's figures over a range of periods, from the summary
tables (the numbers the dashboards show)."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.api import StrictSerializer

from .metrics import METRICS, Metric, ratio_dimensions
from .models import Grain
from .rollup import period_start
from .selectors import can_read_metrics, dimension_labels, metric_series

# The longest range one request may ask for, per grain (and the default range when none is given).
MAX_PERIODS = {Grain.DAY: 92, Grain.WEEK: 106, Grain.MONTH: 60}
DEFAULT_PERIODS = {Grain.DAY: 30, Grain.WEEK: 12, Grain.MONTH: 12}


class CanReadMetrics(permissions.BasePermission):
    """Managers, Marketing and administrators read the company's figures; reps see theirs on the pages."""

    message = "Metrics are for managers, Marketing and administrators."

    def has_permission(self, request, view):
        return can_read_metrics(request.user)


def _kind(metric: Metric) -> str:
    return "ratio" if metric.is_ratio else "snapshot" if metric.snapshot else "count"


def _dimensions(metric: Metric) -> list[str]:
    return [code for code in ratio_dimensions(metric) if code] if metric.is_ratio else list(metric.dimensions)


class MetricSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    help = serializers.CharField()
    kind = serializers.ChoiceField(choices=["count", "ratio", "snapshot"])
    additive = serializers.BooleanField(help_text="Sums across periods (false: a distinct count, read per period).")
    grains = serializers.ListField(child=serializers.ChoiceField(choices=Grain.choices))
    dimensions = serializers.ListField(child=serializers.CharField())
    numerator = serializers.CharField(allow_blank=True)
    denominator = serializers.CharField(allow_blank=True)

    def to_representation(self, metric: Metric):
        return {
            "code": metric.code,
            "label": str(metric.label),
            "help": str(metric.help),
            "kind": _kind(metric),
            "additive": metric.additive,
            "grains": list(metric.grains),
            "dimensions": _dimensions(metric),
            "numerator": metric.numerator,
            "denominator": metric.denominator,
        }


class FigureSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    dim_value = serializers.CharField(allow_blank=True, help_text='The breakdown value ("" for the total).')
    label = serializers.CharField(allow_blank=True)
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True)
    value = serializers.FloatField(allow_null=True, help_text="The count, or numerator ÷ denominator (null if 0).")


class SeriesSerializer(serializers.Serializer):
    metric = MetricSerializer()
    grain = serializers.ChoiceField(choices=Grain.choices)
    since = serializers.DateField()
    until = serializers.DateField()
    dimension = serializers.CharField(allow_blank=True)
    figures = FigureSerializer(many=True)


class SeriesQuerySerializer(StrictSerializer):
    grain = serializers.ChoiceField(choices=Grain.choices, default=Grain.MONTH)
    since = serializers.DateField(required=False, help_text="First period (default: a range ending with `until`).")
    until = serializers.DateField(required=False, help_text="Last period (default: today, company time zone).")
    dimension = serializers.CharField(required=False, default="", allow_blank=True, help_text="A breakdown.")

    def validate(self, attrs):
        metric: Metric = self.context["metric"]
        grain = attrs["grain"]
        if grain not in metric.grains:
            raise serializers.ValidationError({"grain": [f"{metric.code} is kept by day only."]}, code="invalid")
        if attrs["dimension"] and attrs["dimension"] not in _dimensions(metric):
            choices = ", ".join(_dimensions(metric)) or "none"
            raise serializers.ValidationError(
                {"dimension": [f"{metric.code} is not broken down by that; its dimensions: {choices}."]},
                code="invalid_choice",
            )
        until = period_start(grain, attrs.get("until") or timezone.localdate())
        since = attrs.get("since")
        since = period_start(grain, since) if since else _periods_back(grain, until, DEFAULT_PERIODS[grain] - 1)
        if since > until:
            raise serializers.ValidationError({"since": ["since is after until."]}, code="invalid_range")
        if since < _periods_back(grain, until, MAX_PERIODS[grain] - 1):
            raise serializers.ValidationError(
                {"since": [f"At most {MAX_PERIODS[grain]} periods of a {grain} per request."]}, code="range_too_long"
            )
        return {**attrs, "since": since, "until": until}


def _periods_back(grain: str, day, periods: int):
    if grain == Grain.DAY:
        return day - timedelta(days=periods)
    if grain == Grain.WEEK:
        return day - timedelta(weeks=periods)
    month = day.year * 12 + day.month - 1 - periods
    return day.replace(year=month // 12, month=month % 12 + 1, day=1)


class MetricViewSet(viewsets.ViewSet):
    """The metric catalogue and each metric's figures (counts, or a ratio's numerator and denominator)."""

    permission_classes = [CanReadMetrics]
    lookup_field = "code"
    lookup_value_regex = "[a-z_]+"

    @extend_schema(responses=MetricSerializer(many=True))
    def list(self, request):
        return Response(MetricSerializer(list(METRICS.values()), many=True).data)

    @extend_schema(parameters=[SeriesQuerySerializer], responses=SeriesSerializer)
    def retrieve(self, request, code=None):
        metric = METRICS.get(code)
        if metric is None:
            raise NotFound("No such metric.")
        query = SeriesQuerySerializer(data=request.query_params.dict(), context={"metric": metric})
        query.is_valid(raise_exception=True)
        grain, since, until, dimension = (query.validated_data[key] for key in ("grain", "since", "until", "dimension"))
        figures = metric_series(metric=code, grain=grain, first=since, last=until, dimension=dimension, dim_value=None)
        labels = dimension_labels(dimension, [figure.dim_value for _day, figure in figures]) if dimension else {}
        body = {
            "metric": metric,
            "grain": grain,
            "since": since,
            "until": until,
            "dimension": dimension,
            "figures": [
                {
                    "period_start": day,
                    "dim_value": figure.dim_value,
                    "label": labels.get(figure.dim_value, ""),
                    "numerator": figure.numerator,
                    "denominator": figure.denominator,
                    "value": figure.value,
                }
                for day, figure in figures
            ],
        }
        return Response(SeriesSerializer(body).data)
