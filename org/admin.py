from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Team, User


class PicklistAdmin(admin.ModelAdmin):
    """Picklist values are retired (inactive), never deleted, so history and metrics keep their labels."""

    list_display = ("code", "name_ja", "name_en", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_ja", "name_en")

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """History rows are written by services only; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "placement", "segment", "manager")
    list_filter = ("kind", "placement", "segment")
    search_fields = ("name",)
    autocomplete_fields = ("manager",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "team", "is_active", "is_staff")
    list_filter = ("role", "team", "is_active", "is_staff")
    list_select_related = ("team",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Kakehashi"), {"fields": ("role", "team", "language")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Kakehashi"), {"fields": ("last_name", "first_name", "email", "role", "team")}),
    )
