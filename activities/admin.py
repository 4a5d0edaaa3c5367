from django.contrib import admin

from org.admin import PicklistAdmin

from .models import Activity, CallOutcome

admin.site.register(CallOutcome, PicklistAdmin)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "direction", "connected", "effective_conversation", "actor", "company")
    list_filter = ("kind", "direction", "connected", "effective_conversation", "team")
    search_fields = ("note", "company__name")
    list_select_related = ("actor", "company")
    raw_id_fields = ("lead", "opportunity", "company")
    readonly_fields = ("actor", "team", "created_at", "updated_at")
    date_hierarchy = "occurred_at"
