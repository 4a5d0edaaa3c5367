from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from org.admin import HistoryAdmin, PicklistAdmin, ReadOnlyAdmin

from .gates import GATE_FIELDS, GATE_RULES
from .models import CSAccount, LostReason, Opportunity, Phase, PhaseHistory, Service

admin.site.register(Service, PicklistAdmin)
admin.site.register(LostReason, PicklistAdmin)


class PhaseForm(forms.ModelForm):
    required_fields = forms.MultipleChoiceField(
        label=_("required fields"),
        choices=list(GATE_FIELDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    rules = forms.MultipleChoiceField(
        label=_("rules"),
        choices=[(code, rule[0]) for code, rule in GATE_RULES.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Phase
        fields = (
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
        )


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    form = PhaseForm
    list_display = (
        "code",
        "name_ja",
        "name_en",
        "sort_order",
        "outcome",
        "is_valid_opportunity",
        "stagnant_after_days",
        "inactive_after_days",
        "is_active",
    )
    list_editable = ("sort_order",)

    def has_delete_permission(self, request, obj=None):
        return False


class PhaseHistoryInline(admin.TabularInline):
    model = PhaseHistory
    extra = 0
    can_delete = False
    readonly_fields = ("at", "from_phase", "to_phase", "actor", "note")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(HistoryAdmin):
    """Phase, status and owner move through the app's transitions (gates, history)."""

    list_display = ("name", "company", "origin", "owner", "phase", "status", "amount", "next_action_on")
    list_filter = ("status", "origin", "phase", "service")
    search_fields = ("name", "company__name")
    list_select_related = ("company", "owner", "phase")
    raw_id_fields = ("company", "origin_lead", "revived_from")
    readonly_fields = (
        "owner",
        "phase",
        "phase_entered_at",
        "status",
        "closed_at",
        "last_activity_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    inlines = (PhaseHistoryInline,)

    def has_delete_permission(self, request, obj=None):
        return False  # deleting goes through the app's trash, so it can be restored and leaves the figures


@admin.register(PhaseHistory)
class PhaseHistoryAdmin(ReadOnlyAdmin):
    list_display = ("opportunity", "from_phase", "to_phase", "actor", "at")
    list_filter = ("to_phase",)
    list_select_related = ("opportunity", "from_phase", "to_phase", "actor")


@admin.register(CSAccount)
class CSAccountAdmin(HistoryAdmin):
    list_display = ("company", "owner", "contract_on", "contract_amount", "renewal_on", "health")
    list_filter = ("health",)
    search_fields = ("company__name",)
    list_select_related = ("company", "owner")
    readonly_fields = ("opportunity", "company", "contract_on", "contract_amount", "created_at", "updated_at")
