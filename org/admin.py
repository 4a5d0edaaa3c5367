import json

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .forms import AdminLoginForm
from .models import (
    ApiToken,
    LoginThrottle,
    OutboxMessage,
    Team,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from .services import api_token_revoke, login_throttle_clear
from .webhooks import webhook_delivery_retry

# The admin's login is counted like any other (the backend does that); this form says when to try again.
admin.site.login_form = AdminLoginForm


class PicklistAdmin(admin.ModelAdmin):
    """Picklist values are retired (inactive), never deleted, so history and metrics keep their labels."""

    list_display = ("code", "name_ja", "name_en", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name_ja", "name_en")

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdmin(SimpleHistoryAdmin):
    """A record's change history, to read: reverting to an old snapshot would write past the services'
    transitions and checks (the setting hides the button; this refuses the form too)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


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


class LockedNowFilter(admin.SimpleListFilter):
    title = _("locked")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Locked now")), ("no", _("Not locked"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "no":
            return queryset.exclude(locked_until__gt=now)
        return queryset


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Failed logins per username and per address; clearing one lets logins through again at once."""

    list_display = ("scope", "key", "failures", "window_started_at", "locked_until", "locked_now", "last_attempt_at")
    list_filter = (LockedNowFilter, "scope")
    search_fields = ("key", "last_ip_address")
    fields = (
        "scope",
        "key",
        "failures",
        "window_started_at",
        "locked_until",
        "last_attempt_at",
        "last_ip_address",
    )
    readonly_fields = fields
    actions = ("clear",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("locked now"), boolean=True)
    def locked_now(self, obj):
        return obj.is_locked(timezone.now())

    @admin.action(
        description=_("Clear the selected lockouts (unlock and start counting again)"), permissions=["delete"]
    )
    def clear(self, request, queryset):
        count = login_throttle_clear(throttles=queryset, actor=request.user)
        self.message_user(
            request, ngettext("%(count)d lockout cleared.", "%(count)d lockouts cleared.", count) % {"count": count}
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
