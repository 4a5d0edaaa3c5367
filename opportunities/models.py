from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leads.models import Bant, Company, Lead
from org.history import tracked
from org.models import Picklist, Trashable


class Service(Picklist):
    class Meta(Picklist.Meta):
        verbose_name = _("service")
        verbose_name_plural = _("services")


class LostReason(Picklist):
    class Meta(Picklist.Meta):
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")


class Phase(models.Model):
    """A step of the FS pipeline with its gate: what must hold before a deal may enter it."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    code = models.CharField(_("code"), max_length=10, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), unique=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    is_valid_opportunity = models.BooleanField(
        _("counts as valid opportunity"),
        default=False,
        help_text=_("Deals in or past this phase count as valid opportunities (phase 03+ by default)."),
    )
    required_fields = models.JSONField(
        _("required fields"), default=list, blank=True, help_text=_("Deal fields that must be filled to enter.")
    )
    rules = models.JSONField(_("rules"), default=list, blank=True, help_text=_("Rules that must hold to enter."))
    may_skip_into = models.BooleanField(
        _("may be entered by skipping phases"),
        default=False,
        help_text=_("Allow a deal to jump into this phase past the phases before it."),
    )
    may_move_back_into = models.BooleanField(
        _("may be entered from a later phase"), default=True, help_text=_("Allow moving a deal back to this phase.")
    )
    stagnant_after_days = models.PositiveSmallIntegerField(_("stagnant after days in phase"), default=30)
    inactive_after_days = models.PositiveSmallIntegerField(_("stagnant after days without activity"), default=14)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def name(self):
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja

    @property
    def is_closed(self):
        return self.outcome != self.Outcome.OPEN


class Opportunity(Bant, Trashable):
    class Origin(models.TextChoices):
        SQL = "sql", _("SQL (from Inside Sales)")
        SGL = "sgl", _("SGL (sales-generated)")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("deal name"), max_length=200)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="opportunities"
    )
    origin_lead = models.ForeignKey(
        Lead,
        verbose_name=_("origin lead"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    origin = models.CharField(_("origin"), max_length=3, choices=Origin.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("FS owner"), on_delete=models.PROTECT, related_name="opportunities"
    )
    phase = models.ForeignKey(Phase, verbose_name=_("phase"), on_delete=models.PROTECT, related_name="+")
    phase_entered_at = models.DateTimeField(_("in phase since"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    amount = models.PositiveBigIntegerField(_("amount (JPY)"), null=True, blank=True)
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT, null=True, blank=True)
    quantity = models.PositiveIntegerField(
        _("quantity considered"), null=True, blank=True, help_text=_("e.g. vehicles or seats considered.")
    )
    first_meeting_on = models.DateField(_("first meeting date"), null=True, blank=True)
    first_meeting_attendees = models.PositiveSmallIntegerField(
        _("first meeting attendees"), null=True, blank=True, help_text=_("People on the customer's side.")
    )
    decision_maker = models.CharField(_("decision maker"), max_length=200, blank=True)
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    contract_on = models.DateField(_("contract date"), null=True, blank=True)
    next_action_on = models.DateField(_("next action date"), null=True, blank=True)
    next_action = models.CharField(_("next action"), max_length=300, blank=True)
    lost_reason = models.ForeignKey(
        LostReason, verbose_name=_("lost reason"), on_delete=models.PROTECT, null=True, blank=True
    )
    lost_note = models.CharField(_("lost note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    revived_from = models.ForeignKey(
        "self",
        verbose_name=_("revived from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revivals",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = tracked(
        fk_fields=[
            "company",
            "origin_lead",
            "owner",
            "phase",
            "service",
            "lost_reason",
            "revived_from",
            "created_by",
        ]
    )

    class Meta:
        ordering = ["next_action_on", "id"]
        base_manager_name = "all_objects"
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            models.Index(fields=["owner", "status", "phase"]),
            models.Index(fields=["status", "phase_entered_at"]),
            models.Index(fields=["closed_at"]),
            models.Index(fields=["updated_at", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="opportunity_open_has_next_action",
                condition=Q(status="open", next_action_on__isnull=False, closed_at__isnull=True)
                | (~Q(status="open") & Q(closed_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="opportunity_lost_has_reason", condition=~Q(status="lost") | Q(lost_reason__isnull=False)
            ),
            models.CheckConstraint(
                name="opportunity_won_has_amount_and_contract",
                condition=~Q(status="won") | Q(amount__isnull=False, contract_on__isnull=False),
            ),
            models.CheckConstraint(
                name="opportunity_sql_has_origin_lead", condition=~Q(origin="sql") | Q(origin_lead__isnull=False)
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_open(self):
        return self.status == self.Status.OPEN


class PhaseHistory(models.Model):
    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="phase_history"
    )
    from_phase = models.ForeignKey(
        Phase, verbose_name=_("from phase"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_phase = models.ForeignKey(Phase, verbose_name=_("to phase"), on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("phase change")
        verbose_name_plural = _("phase history")
        indexes = [
            models.Index(fields=["opportunity", "at"]),
            models.Index(fields=["to_phase", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self):
        return f"{self.opportunity_id}: {self.from_phase_id}→{self.to_phase_id}"


class CSAccount(models.Model):
    """A won deal in Customer Success' hands: what success means to this customer, and how it goes."""

    class Health(models.TextChoices):
        GREEN = "green", _("Green")
        YELLOW = "yellow", _("Yellow")
        RED = "red", _("Red")

    opportunity = models.OneToOneField(
        Opportunity, verbose_name=_("won deal"), on_delete=models.PROTECT, related_name="cs_account"
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="cs_accounts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("CS owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cs_accounts",
    )
    contract_on = models.DateField(_("contract date"))
    contract_amount = models.PositiveBigIntegerField(_("contract amount (JPY)"))
    renewal_on = models.DateField(_("renewal date"), null=True, blank=True)
    success_definition = models.TextField(_("customer's definition of success"), blank=True)
    health = models.CharField(_("health"), max_length=10, choices=Health.choices, default=Health.GREEN)
    expansion_notes = models.TextField(_("upsell / cross-sell chances"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = tracked(fk_fields=["opportunity", "company", "owner"])

    class Meta:
        ordering = ["renewal_on", "id"]
        verbose_name = _("CS account")
        verbose_name_plural = _("CS accounts")
        constraints = [
            models.CheckConstraint(
                name="cs_account_renewal_after_contract",
                condition=Q(renewal_on__isnull=True) | Q(renewal_on__gt=models.F("contract_on")),
            )
        ]

    def __str__(self):
        return str(self.company_id and self.company.name)
