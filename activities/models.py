from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leads.models import Company, Lead, Origin
from opportunities.models import Opportunity
from org.models import Picklist


class CallOutcome(Picklist):
    class Meta(Picklist.Meta):
        verbose_name = _("call outcome")
        verbose_name_plural = _("call outcomes")


class Activity(models.Model):
    """One call, mail, web meeting or visit. Calls are connected or not; a connect may be an effective
    conversation (有効会話). Meetings and visits are connected by nature."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        MAIL = "mail", _("Mail")
        WEB_MEETING = "web_meeting", _("Web meeting")
        VISIT = "visit", _("Visit")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CALL)
    direction = models.CharField(_("direction"), max_length=10, choices=Origin.choices, default=Origin.OUTBOUND)
    connected = models.BooleanField(_("connected"), null=True, blank=True)
    effective_conversation = models.BooleanField(_("effective conversation"), default=False)
    outcome = models.ForeignKey(CallOutcome, verbose_name=_("outcome"), on_delete=models.PROTECT, null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="activities"
    )
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The actor's team when the activity happened."),
    )
    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(
        Lead, verbose_name=_("lead"), on_delete=models.PROTECT, null=True, blank=True, related_name="activities"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["lead", "occurred_at"]),
            models.Index(fields=["opportunity", "occurred_at"]),
            models.Index(fields=["actor", "occurred_at"]),
            models.Index(fields=["occurred_at"]),
            models.Index(fields=["updated_at", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="activity_on_lead_or_opportunity",
                condition=Q(lead__isnull=False) | Q(opportunity__isnull=False),
            ),
            models.CheckConstraint(
                name="activity_call_connected_known",
                condition=~Q(kind="call") | Q(connected__isnull=False),
            ),
            models.CheckConstraint(
                name="activity_effective_needs_connect",
                # "connected = true" is NULL for a mail, and NULL passes a CHECK: test for NULL first.
                condition=Q(effective_conversation=False)
                | Q(connected__isnull=False, connected=True)
                | Q(kind__in=["web_meeting", "visit"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"
