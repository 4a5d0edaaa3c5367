"""Summary tables the metrics engine writes (``dashboards.rollup``), the dirty-day queue that keeps them
incremental, alerts, and the targets managers set. Metric definitions live in ``dashboards.metrics``."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from org.models import SizeBand


class Grain(models.TextChoices):
    DAY = "day", _("day")
    WEEK = "week", _("ISO week")
    MONTH = "month", _("month")


class MetricValue(models.Model):
    """One figure: a metric for one period at one grain, in total (dimension "") or for one value of one
    dimension. Counts and sums fill ``numerator``; ratios keep numerator and denominator, never a quotient,
    so any set of rows can be summed and divided again."""

    metric = models.CharField(_("metric"), max_length=50)
    grain = models.CharField(_("grain"), max_length=5, choices=Grain.choices)
    period_start = models.DateField(_("period starts"))
    dimension = models.CharField(_("dimension"), max_length=50, blank=True)
    dim_value = models.CharField(_("dimension value"), max_length=300, blank=True)
    numerator = models.BigIntegerField(_("value / numerator"))
    denominator = models.BigIntegerField(_("denominator"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("metric value")
        verbose_name_plural = _("metric values")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "grain", "period_start", "dimension", "dim_value"], name="metric_value_one_per_key"
            ),
            models.CheckConstraint(
                name="metric_value_total_has_no_value", condition=~Q(dimension="") | Q(dim_value="")
            ),
        ]
        indexes = [
            models.Index(fields=["grain", "period_start", "dimension"]),
            # Ranges of one breakdown (trailing 12 months of a campaign × rep, a year of rates) skip the
            # other breakdowns' rows, which the unique key's order would read first.
            models.Index(fields=["metric", "grain", "dimension", "period_start"], name="metric_value_range"),
        ]

    def __str__(self):
        return f"{self.metric} {self.grain} {self.period_start} {self.dimension}={self.dim_value}"


class DirtyDay(models.Model):
    """A company-time-zone day whose facts changed since its figures were computed. ``version`` grows with
    every change, so a rollup that read version N clears the mark only if nothing changed meanwhile."""

    day = models.DateField(_("day"), primary_key=True)
    version = models.PositiveBigIntegerField(_("version"), default=1)
    marked_at = models.DateTimeField(_("marked at"))

    class Meta:
        verbose_name = _("day to recompute")
        verbose_name_plural = _("days to recompute")

    def __str__(self):
        return str(self.day)


class RollupState(models.Model):
    """The single row every rollup locks first: two rollups at once take turns instead of interleaving
    their writes to the same weeks and months."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    last_rollup_at = models.DateTimeField(_("last incremental rollup"), null=True, blank=True)
    last_rollup_days = models.PositiveIntegerField(_("days in the last rollup"), default=0)
    last_rebuild_at = models.DateTimeField(_("last full rebuild"), null=True, blank=True)
    last_rebuild_range = models.CharField(_("last rebuild range"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")
        constraints = [models.CheckConstraint(name="rollup_state_single_row", condition=Q(id=1))]

    def __str__(self):
        return str(_("rollup state"))


class AssetTarget(models.Model):
    """How many leads a team wants scheduled per day and per ISO week; below it, an asset-shortfall alert."""

    team = models.OneToOneField(
        "org.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="asset_target"
    )
    daily = models.PositiveIntegerField(_("assets per day"))
    weekly = models.PositiveIntegerField(_("assets per week"))

    class Meta:
        verbose_name = _("asset target")
        verbose_name_plural = _("asset targets")

    def __str__(self):
        return f"{self.team}: {self.daily}/{self.weekly}"

    def clean(self):
        if self.daily is not None and self.weekly is not None and self.weekly < self.daily:
            raise ValidationError(
                {"weekly": ValidationError(_("A week's target cannot be below one day's."), code="week_below_day")}
            )


class Alert(models.Model):
    """A condition that needs someone's attention. At most one open alert per condition (``key``); it is
    resolved by the evaluation that no longer finds the condition, never deleted."""

    class Kind(models.TextChoices):
        CAPACITY = "capacity", _("FS capacity")
        ASSET_SHORTFALL = "assets", _("Asset shortfall")
        STAGNANT = "stagnant", _("Stagnant deal")
        HOT_LEAD = "hot_lead", _("Hot lead")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("condition"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
    )
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    lead = models.ForeignKey(
        "leads.Lead", verbose_name=_("lead"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        verbose_name=_("deal"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    params = models.JSONField(_("details"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("sent to Slack at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], condition=Q(status="open"), name="alert_one_open_per_key"),
            models.CheckConstraint(
                name="alert_resolved_has_time",
                condition=Q(status="open", resolved_at__isnull=True) | Q(status="resolved", resolved_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "kind", "opened_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.key}"

    @property
    def message(self) -> str:
        """What the alert says, in the active language (Slack gets the company's default language)."""
        p = self.params
        if self.kind == self.Kind.CAPACITY:
            return _(
                "%(rep)s has %(sqls)s SQLs of a monthly limit of %(limit)s in the %(band)s segment (%(month)s)."
            ) % {
                "rep": self.user,
                "sqls": p["sqls"],
                "limit": p["limit"],
                "band": SizeBand(p["size_band"]).label,
                "month": p["month"],
            }
        if self.kind == self.Kind.ASSET_SHORTFALL:
            text = (
                _("%(team)s: %(assets)s assets for %(on)s, target %(target)s.")
                if p["period"] == "day"
                else _("%(team)s: %(assets)s assets this week (from %(on)s), target %(target)s.")
            )
            advice = _("Raise today's activity target 1.5–2×: from %(base)s to %(low)s–%(high)s.")
            return f"{text} {advice}" % {
                "team": self.team,
                "assets": p["assets"],
                "on": p["on"],
                "target": p["target"],
                "base": p["activity_baseline"],
                "low": p["activity_low"],
                "high": p["activity_high"],
            }
        if self.kind == self.Kind.STAGNANT:
            return _("%(deal)s: %(days)s days in phase %(phase)s, %(idle)s days without activity.") % {
                "deal": self.opportunity,
                "days": p["days_in_phase"],
                "phase": p["phase"],
                "idle": p["days_idle"],
            }
        return _("Hot lead: %(lead)s (%(company)s) turned hot and has not been contacted yet.") % {
            "lead": p["lead"],
            "company": p["company"],
        }


def validate_rate(rate) -> None:
    """A stage rate is a fraction of 1: above 0 (the plan divides by it), at most 1."""
    if rate is None or not 0 < rate <= 1:
        raise ValidationError(_("Give a rate above 0 % and at most 100 %."), code="rate_out_of_range")


class KpiPlan(models.Model):
    """A month's plan, back-calculated from the revenue budget (The Model): wins = budget ÷ deal size,
    meetings = wins ÷ win rate, opportunities = meetings ÷ meeting rate, leads = opportunities ÷
    opportunity rate, visitors = leads ÷ lead acquisition rate, each rounded up. The inputs and the
    results are both kept, so a plan reads the same after the rates of later months change."""

    month = models.DateField(_("month"), unique=True, help_text=_("The first day of the month."))
    revenue_budget = models.PositiveBigIntegerField(_("revenue budget (JPY)"))
    deal_size = models.PositiveBigIntegerField(_("average deal size (JPY)"))
    win_rate = models.DecimalField(_("win rate"), max_digits=5, decimal_places=4, validators=[validate_rate])
    meeting_rate = models.DecimalField(_("meeting rate"), max_digits=5, decimal_places=4, validators=[validate_rate])
    opportunity_rate = models.DecimalField(
        _("opportunity rate"), max_digits=5, decimal_places=4, validators=[validate_rate]
    )
    lead_rate = models.DecimalField(
        _("lead acquisition rate"), max_digits=5, decimal_places=4, validators=[validate_rate]
    )
    wins = models.PositiveIntegerField(_("wins"))
    meetings = models.PositiveIntegerField(_("meetings"))
    opportunities = models.PositiveIntegerField(_("opportunities"))
    leads = models.PositiveIntegerField(_("leads"))
    visitors = models.PositiveBigIntegerField(_("visitors"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("planned by"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    RATES = ("win_rate", "meeting_rate", "opportunity_rate", "lead_rate")

    class Meta:
        ordering = ["-month"]
        verbose_name = _("KPI plan")
        verbose_name_plural = _("KPI plans")
        constraints = [
            models.CheckConstraint(name="kpi_plan_month_starts_on_the_first", condition=Q(month__day=1)),
            models.CheckConstraint(name="kpi_plan_deal_size_positive", condition=Q(deal_size__gt=0)),
            *(
                models.CheckConstraint(
                    name=f"kpi_plan_{rate}_between_0_and_1", condition=Q(**{f"{rate}__gt": 0, f"{rate}__lte": 1})
                )
                for rate in ("win_rate", "meeting_rate", "opportunity_rate", "lead_rate")
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m}"
