from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leads.models import Bant, Lead, Temperature
from opportunities.models import Opportunity
from org.history import tracked
from org.models import SizeBand


class Handoff(Bant):
    """A pass between teams. IS→FS is the SQL; its note template keeps the background of the decision.

    The BANT fields and temperature are a snapshot of what IS heard when handing off.
    """

    class Kind(models.TextChoices):
        IS_TO_FS = "is_to_fs", _("IS → FS (SQL)")
        FS_TO_IS = "fs_to_is", _("FS → IS (send-back)")
        FS_TO_CS = "fs_to_cs", _("FS → CS (won)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    class Feedback(models.TextChoices):
        YES = "yes", _("Yes, as the note promised")
        PARTLY = "partly", _("Partly")
        NO = "no", _("No")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoffs",
        help_text=_("Empty only for a won sales-generated deal handed to CS."),
    )
    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.PROTECT, related_name="handoffs"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.PROTECT, related_name="handoffs_sent"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoffs_received",
    )
    to_team = models.ForeignKey(
        "org.Team", verbose_name=_("to team"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    temperature = models.CharField(_("temperature"), max_length=1, choices=Temperature.choices, blank=True)
    heard = models.TextField(_("what was heard"), blank=True)
    why_now = models.TextField(_("why now"), blank=True)
    decision_process = models.TextField(_("decision maker and process"), blank=True)
    to_confirm = models.TextField(_("what FS must confirm"), blank=True)
    reason = models.CharField(
        _("reason"), max_length=500, blank=True, help_text=_("Why it was sent back, or why it was rejected.")
    )
    capacity_override_reason = models.CharField(
        _("capacity override reason"),
        max_length=300,
        blank=True,
        help_text=_("Required when the FS rep was at or above capacity."),
    )
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    feedback = models.CharField(_("SQL feedback"), max_length=10, choices=Feedback.choices, blank=True)
    feedback_reason = models.CharField(_("feedback reason"), max_length=500, blank=True)
    feedback_at = models.DateTimeField(_("feedback at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = tracked(fk_fields=["lead", "opportunity", "from_user", "to_user", "to_team"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        indexes = [
            models.Index(fields=["to_user", "status", "created_at"]),
            models.Index(fields=["from_user", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["updated_at", "id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(kind="is_to_fs", status="pending"),
                name="handoff_one_open_sql_per_lead",
            ),
            models.UniqueConstraint(fields=["opportunity", "kind"], name="handoff_one_per_opportunity_and_kind"),
            models.CheckConstraint(
                name="handoff_between_is_and_fs_has_lead", condition=Q(kind="fs_to_cs") | Q(lead__isnull=False)
            ),
            models.CheckConstraint(name="handoff_rejected_has_reason", condition=~Q(status="rejected") | ~Q(reason="")),
            models.CheckConstraint(name="handoff_send_back_has_reason", condition=~Q(kind="fs_to_is") | ~Q(reason="")),
            models.CheckConstraint(
                name="handoff_sql_has_temperature", condition=~Q(kind="is_to_fs") | ~Q(temperature="")
            ),
            models.CheckConstraint(
                name="handoff_has_recipient", condition=Q(to_user__isnull=False) | Q(to_team__isnull=False)
            ),
            models.CheckConstraint(
                name="handoff_responded_when_decided",
                condition=Q(status="pending", responded_at__isnull=True)
                | (~Q(status="pending") & Q(responded_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="handoff_feedback_only_on_sql",
                condition=Q(feedback="") | Q(kind="is_to_fs", feedback_at__isnull=False),
            ),
            models.CheckConstraint(
                name="handoff_negative_feedback_has_reason",
                condition=~Q(feedback__in=["partly", "no"]) | ~Q(feedback_reason=""),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class FSCapacityRule(models.Model):
    """How many SQLs a month one FS rep can fully handle in a segment; a per-rep row overrides it."""

    size_band = models.CharField(_("segment"), max_length=10, choices=SizeBand.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("FS rep"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the default for every FS rep in the segment."),
    )
    monthly_limit = models.PositiveSmallIntegerField(_("SQLs per month"))

    class Meta:
        ordering = ["size_band", "user"]
        verbose_name = _("FS capacity rule")
        verbose_name_plural = _("FS capacity rules")
        constraints = [
            models.UniqueConstraint(
                fields=["size_band"], condition=Q(user__isnull=True), name="capacity_one_default_per_band"
            ),
            models.UniqueConstraint(
                fields=["size_band", "user"], condition=Q(user__isnull=False), name="capacity_one_per_rep_and_band"
            ),
            models.CheckConstraint(name="capacity_limit_positive", condition=Q(monthly_limit__gt=0)),
        ]

    def __str__(self):
        return f"{self.get_size_band_display()}: {self.monthly_limit}"
