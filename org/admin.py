import json

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken, OutboxMessage, Team, User, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .services import api_token_revoke
from .webhooks import webhook_delivery_retry


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
    list_display = ("username", "display_name", "role", "team", "on_shift", "is_active", "is_staff")
    list_editable = ("on_shift",)
    list_filter = ("role", "team", "on_shift", "is_active", "is_staff")
    list_select_related = ("team",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Kakehashi"), {"fields": ("role", "team", "language", "on_shift")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Kakehashi"), {"fields": ("last_name", "first_name", "email", "role", "team")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Admins see and revoke keys; keys are created by their users on the profile page (shown once)."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = readonly_fields
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, actor=request.user)


class WebhookEndpointForm(forms.ModelForm):
    # A host typed without a scheme is meant to be reached over TLS.
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "secret", "events", "is_active")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints are deactivated rather than deleted: their deliveries are the record of what was sent."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "event_names", "masked_secret", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "url")

    @admin.display(description=_("events"))
    def event_names(self, obj):
        return ", ".join(obj.events)

    @admin.display(description=_("signing secret"))
    def masked_secret(self, obj):
        return "••••••••" + obj.secret[-4:]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status", "event", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("event_id",)
    date_hierarchy = "created_at"
    fields = (
        "endpoint",
        "event",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "formatted_payload",
    )
    readonly_fields = fields
    actions = ("retry_now",)

    @admin.display(description=_("payload"))
    def formatted_payload(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, ensure_ascii=False, indent=2))

    def has_retry_permission(self, request):
        return request.user.has_perm("org.change_webhookdelivery")

    @admin.action(description=_("Retry now (a failed delivery gets one more attempt)"), permissions=["retry"])
    def retry_now(self, request, queryset):
        count = webhook_delivery_retry(deliveries=queryset)
        self.message_user(
            request,
            ngettext("%(count)d delivery will be sent again.", "%(count)d deliveries will be sent again.", count)
            % {"count": count},
        )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Work set off by changes: a message not done after its attempts shows why in its last error."""

    list_display = ("created_at", "task", "args", "attempts", "sent_at", "done_at", "available_at")
    list_filter = (("done_at", admin.EmptyFieldListFilter), "task")
    date_hierarchy = "created_at"
    fields = (
        *("task", "args", "created_at", "available_at", "attempts"),
        *("lease_until", "sent_at", "done_at", "last_error"),
    )
    readonly_fields = fields
