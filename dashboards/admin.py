from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from org.admin import ReadOnlyAdmin

from .models import Alert, AssetTarget, DirtyDay, MetricValue, RollupState


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
