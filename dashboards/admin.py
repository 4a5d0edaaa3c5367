from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from org.admin import ReadOnlyAdmin

from .models import Alert, AssetTarget, DirtyDay, KpiPlan, MetricValue, RollupState
from .services import kpi_plan_save


@admin.register(AssetTarget)
class AssetTargetAdmin(admin.ModelAdmin):
    list_display = ("team", "daily", "weekly")
    list_editable = ("daily", "weekly")
    autocomplete_fields = ("team",)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("opened_at", "kind", "status", "user", "team", "message", "notified_at", "resolved_at")
    list_filter = ("status", "kind")
    search_fields = ("key",)
    date_hierarchy = "opened_at"

    @admin.display(description=_("message"))
    def message(self, obj):
        return obj.message


@admin.register(MetricValue)
class MetricValueAdmin(ReadOnlyAdmin):
    """Figures are written by the rollup only; ``manage.py rebuild_metrics`` recomputes them."""

    list_display = ("metric", "grain", "period_start", "dimension", "dim_value", "numerator", "denominator")
    list_filter = ("grain", "metric", "dimension")
    date_hierarchy = "period_start"


@admin.register(DirtyDay)
class DirtyDayAdmin(ReadOnlyAdmin):
    list_display = ("day", "version", "marked_at")


@admin.register(RollupState)
class RollupStateAdmin(ReadOnlyAdmin):
    list_display = ("last_rollup_at", "last_rollup_days", "last_rebuild_at", "last_rebuild_range")


@admin.register(KpiPlan)
class KpiPlanAdmin(admin.ModelAdmin):
    """The inputs are edited; the stage counts are the back-calculation's (``kpi_plan_save``)."""

    list_display = ("month", "revenue_budget", "deal_size", "wins", "meetings", "opportunities", "leads", "visitors")
    fields = (
        "month",
        "revenue_budget",
        "deal_size",
        "win_rate",
        "meeting_rate",
        "opportunity_rate",
        "lead_rate",
        "wins",
        "meetings",
        "opportunities",
        "leads",
        "visitors",
        "created_by",
    )
    readonly_fields = ("wins", "meetings", "opportunities", "leads", "visitors", "created_by")

    def save_model(self, request, obj, form, change):
        saved = kpi_plan_save(
            actor=request.user,
            **{name: form.cleaned_data[name] for name in ("month", "revenue_budget", "deal_size", *KpiPlan.RATES)},
        )
        obj.pk = saved.pk
