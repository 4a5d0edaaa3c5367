from django.contrib import admin

from org.admin import HistoryAdmin

from .models import FSCapacityRule, Handoff


@admin.register(Handoff)
class HandoffAdmin(HistoryAdmin):
    """Handoffs are created and answered in the app; the admin reads them and can fix the note's text."""

    list_display = ("id", "kind", "lead", "from_user", "to_user", "status", "temperature", "feedback", "created_at")
    list_filter = ("kind", "status", "temperature", "feedback")
    search_fields = ("lead__last_name", "lead__company__name")
    list_select_related = ("lead", "lead__company", "from_user", "to_user")
    readonly_fields = (
        "kind",
        "lead",
        "opportunity",
        "from_user",
        "to_user",
        "to_team",
        "status",
        "temperature",
        "bant_budget",
        "bant_authority",
        "bant_needs",
        "bant_timeframe",
        "responded_at",
        "feedback",
        "feedback_reason",
        "feedback_at",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request):
        return False


@admin.register(FSCapacityRule)
class FSCapacityRuleAdmin(admin.ModelAdmin):
    list_display = ("size_band", "user", "monthly_limit")
    list_filter = ("size_band",)
    autocomplete_fields = ("user",)
