from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from org.admin import HistoryAdmin, PicklistAdmin, ReadOnlyAdmin

from .models import (
    Campaign,
    CampaignEmailRequest,
    CampaignEmailRequestEvent,
    Company,
    DistributionCursor,
    DistributionRule,
    ImportJob,
    ImportMapping,
    Industry,
    Lead,
    LeadCheckpoint,
    LeadEvent,
    LeadRecycle,
    LeadSource,
    MqlRejectReason,
    MqlReview,
    NurturingCheckpoint,
    RecycleReason,
    ScoringRule,
    TouchPoint,
)

admin.site.register(Industry, PicklistAdmin)
admin.site.register(RecycleReason, PicklistAdmin)


class NurturingCheckpointInline(admin.TabularInline):
    model = NurturingCheckpoint
    extra = 0
    fields = (
        "position",
        "title_ja",
        "title_en",
        "instructions_ja",
        "instructions_en",
        "send",
        "send_detail",
        "is_active",
    )

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LeadSource)
class LeadSourceAdmin(PicklistAdmin):
    list_display = (*PicklistAdmin.list_display, "channel")
    list_filter = ("channel", "is_active")
    inlines = (NurturingCheckpointInline,)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "starts_on", "ends_on", "is_active")
    list_filter = ("source", "is_active")
    search_fields = ("name",)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "industry", "employee_count", "size_band", "prefecture", "area")
    list_filter = ("size_band", "area", "industry")
    search_fields = ("name", "phone", "website")
    readonly_fields = ("size_band", "area", "created_at", "updated_at")
    list_select_related = ("industry",)

    def has_delete_permission(self, request, obj=None):
        return False  # deleting goes through the app's trash, so it can be restored and leaves the figures


class LeadRecycleInline(admin.TabularInline):
    model = LeadRecycle
    extra = 0
    can_delete = False
    readonly_fields = (
        "reason",
        "precision",
        "approach_on",
        "year",
        "month",
        "week",
        "assignee",
        "method",
        "note",
        "created_by",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class LeadEventInline(LeadRecycleInline):
    model = LeadEvent
    readonly_fields = ("at", "kind", "from_status", "to_status", "from_owner", "to_owner", "actor", "note")
    fields = readonly_fields


@admin.register(Lead)
class LeadAdmin(HistoryAdmin):
    """Status, owner and plan change through the app's transitions so every move is recorded."""

    list_display = ("full_name", "company", "status", "owner", "team", "next_approach_on", "temperature", "is_hot")
    list_filter = ("status", "origin", "temperature", "is_hot", "source", "team")
    search_fields = ("last_name", "first_name", "email", "phone", "company__name")
    list_select_related = ("company", "owner", "team")
    raw_id_fields = ("company", "campaign")
    readonly_fields = (
        "status",
        "status_reason",
        "owner",
        "next_approach_on",
        "recycle_reason",
        "temperature",
        "is_hot",
        "hot_since",
        "score",
        "last_activity_at",
        "created_at",
        "updated_at",
    )
    inlines = (LeadRecycleInline, LeadEventInline)

    def has_delete_permission(self, request, obj=None):
        return False  # deleting goes through the app's trash, so it can be restored and leaves the figures


@admin.register(LeadRecycle)
class LeadRecycleAdmin(ReadOnlyAdmin):
    list_display = ("lead", "reason", "approach_on", "precision", "assignee", "method", "created_at")
    list_filter = ("reason", "precision", "method")
    list_select_related = ("lead", "lead__company", "reason", "assignee")


@admin.register(LeadEvent)
class LeadEventAdmin(ReadOnlyAdmin):
    list_display = ("lead", "kind", "from_status", "to_status", "to_owner", "actor", "at")
    list_filter = ("kind", "to_status")
    list_select_related = ("lead", "lead__company", "to_owner", "actor")


@admin.register(TouchPoint)
class TouchPointAdmin(ReadOnlyAdmin):
    list_display = ("lead", "kind", "url", "occurred_at", "external_id")
    list_filter = ("kind",)
    search_fields = ("external_id", "url")
    list_select_related = ("lead", "lead__company")


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    """Rules are switched off rather than deleted, so the history of why leads turned hot keeps its names."""

    list_display = ("name", "kind", "min_count", "window_days", "url_contains", "points", "makes_hot", "is_active")
    list_editable = ("is_active",)
    list_filter = ("kind", "makes_hot", "is_active")
    search_fields = ("name", "url_contains")
    fields = ("name", "kind", "min_count", "window_days", "url_contains", "points", "makes_hot", "is_active")


class DistributionRuleForm(forms.ModelForm):
    class Meta:
        model = DistributionRule
        fields = ("name", "sort_order", "source", "size_band", "team", "reps", "is_active")

    def clean(self):
        cleaned = super().clean()
        team, reps = cleaned.get("team"), cleaned.get("reps")
        if team is not None and reps:
            outside = [rep for rep in reps if rep.team_id != team.pk]
            if outside:
                self.add_error(
                    "reps",
                    _("Not in %(team)s: %(reps)s.") % {"team": team, "reps": ", ".join(str(rep) for rep in outside)},
                )
        return cleaned


@admin.register(DistributionRule)
class DistributionRuleAdmin(admin.ModelAdmin):
    form = DistributionRuleForm
    list_display = ("name", "sort_order", "source", "size_band", "team", "rep_names", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("source", "size_band", "team", "is_active")
    list_select_related = ("source", "team")
    filter_horizontal = ("reps",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("reps")

    @admin.display(description=_("only these reps"))
    def rep_names(self, obj):
        return ", ".join(str(rep) for rep in obj.reps.all()) or "—"


@admin.register(DistributionCursor)
class DistributionCursorAdmin(ReadOnlyAdmin):
    list_display = ("pool", "last_rep", "assigned", "updated_at")
    list_select_related = ("last_rep",)


@admin.register(ImportMapping)
class ImportMappingAdmin(admin.ModelAdmin):
    """A source's saved column mappings (saved from the import page; editable here)."""

    list_display = ("source", "name", "origin", "team", "updated_by", "updated_at")
    list_filter = ("source", "origin")
    search_fields = ("name",)
    list_select_related = ("source", "team", "updated_by")
    readonly_fields = ("updated_by", "updated_at")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Imports are made on the import page; the admin shows them (without the stored rows)."""

    list_display = (
        "file_name",
        "source",
        "status",
        "mode",
        "total_rows",
        "valid_rows",
        "error_rows",
        "imported_rows",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "source")
    search_fields = ("file_name",)
    list_select_related = ("source", "created_by")
    exclude = ("rows", "report")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("rows", "report")


admin.site.register(MqlRejectReason, PicklistAdmin)


@admin.register(NurturingCheckpoint)
class NurturingCheckpointAdmin(admin.ModelAdmin):
    """Steps are retired (inactive), never deleted: the leads' marks keep pointing at them."""

    list_display = ("source", "position", "title_ja", "title_en", "send", "is_active")
    list_display_links = ("title_ja",)
    list_editable = ("position", "is_active")
    list_filter = ("source", "send", "is_active")
    search_fields = ("title_ja", "title_en", "instructions_ja", "instructions_en")
    list_select_related = ("source",)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LeadCheckpoint)
class LeadCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("lead", "checkpoint", "outcome", "marked_by", "marked_at")
    list_filter = ("outcome", "checkpoint__source")
    list_select_related = ("lead", "lead__company", "checkpoint", "checkpoint__source", "marked_by")


@admin.register(MqlReview)
class MqlReviewAdmin(ReadOnlyAdmin):
    list_display = ("lead", "verdict", "reason", "reviewed_by", "reviewed_at")
    list_filter = ("verdict", "reason", "lead__source")
    list_select_related = ("lead", "lead__company", "reason", "reviewed_by")


class CampaignEmailRequestEventInline(admin.TabularInline):
    model = CampaignEmailRequestEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "from_status", "to_status", "actor", "note")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CampaignEmailRequest)
class CampaignEmailRequestAdmin(ReadOnlyAdmin):
    """Requests are filed and moved on the Mail requests pages, where every move is checked and recorded."""

    list_display = ("subject", "requested_by", "desired_send_on", "status", "handled_by", "requested_at")
    list_filter = ("status", "campaign")
    search_fields = ("subject", "body", "recipient_list")
    list_select_related = ("requested_by", "handled_by")
    inlines = (CampaignEmailRequestEventInline,)
