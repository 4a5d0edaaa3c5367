from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from org.history import tracked
from org.models import Picklist, SizeBand, Trashable

from . import normalize
from .geography import PREFECTURE_CHOICES, Area, prefectures_in


class Industry(Picklist):
    class Meta(Picklist.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


class LeadSource(Picklist):
    class Channel(models.TextChoices):
        WEB = "web", _("Web / inquiry")
        TRADE_SHOW = "trade_show", _("Trade show")
        SEMINAR = "seminar", _("Seminar / webinar")
        TRIAL = "trial", _("Trial request")
        LIST = "list", _("House list / outbound")
        REFERRAL = "referral", _("Referral / partner")
        OTHER = "other", _("Other")

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.OTHER)

    class Meta(Picklist.Meta):
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")


class RecycleReason(Picklist):
    class Meta(Picklist.Meta):
        verbose_name = _("recycle reason")
        verbose_name_plural = _("recycle reasons")


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    source = models.ForeignKey(
        LeadSource, verbose_name=_("lead source"), on_delete=models.PROTECT, related_name="campaigns"
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                name="campaign_ends_after_start",
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            )
        ]

    def __str__(self):
        return self.name


def _size_band_expression():
    return Case(
        When(employee_count__lte=30, then=Value(SizeBand.XS.value)),
        When(employee_count__lte=100, then=Value(SizeBand.S.value)),
        When(employee_count__lte=300, then=Value(SizeBand.M.value)),
        When(employee_count__lte=999, then=Value(SizeBand.L.value)),
        When(employee_count__gte=1000, then=Value(SizeBand.XL.value)),
        default=Value(""),
    )


def _area_expression():
    return Case(
        *[When(prefecture__in=prefectures_in(area), then=Value(area.value)) for area in Area],
        default=Value(""),
    )


class Company(Trashable):
    name = models.CharField(_("company name"), max_length=200)
    industry = models.ForeignKey(Industry, verbose_name=_("industry"), on_delete=models.PROTECT, null=True, blank=True)
    employee_count = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    size_band = models.GeneratedField(
        expression=_size_band_expression(),
        output_field=models.CharField(_("size band"), max_length=10, choices=SizeBand.choices),
        db_persist=True,
    )
    prefecture = models.CharField(_("prefecture"), max_length=2, choices=PREFECTURE_CHOICES, blank=True)
    area = models.GeneratedField(
        expression=_area_expression(),
        output_field=models.CharField(_("area"), max_length=10, choices=Area.choices),
        db_persist=True,
    )
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # The name without legal form, width, case or punctuation: what the import matches companies on.
    name_key = models.CharField(_("name key"), max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        base_manager_name = "all_objects"
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["updated_at", "id"]),
            models.Index(fields=["name_key"]),
        ]
        constraints = [
            models.CheckConstraint(name="company_employee_count_positive", condition=Q(employee_count__gt=0))
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = normalize.company_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    # Generated fields get no get_FOO_display(); these give the same labels.
    @property
    def size_band_label(self):
        return SizeBand(self.size_band).label if self.size_band else ""

    @property
    def area_label(self):
        return Area(self.area).label if self.area else ""


class Temperature(models.TextChoices):
    A = "A", _("A: BANT complete")
    B = "B", _("B: budget or timeframe missing")
    C = "C", _("C: agreed to a sales meeting")


class Bant(models.Model):
    """What was heard of Budget, Authority, Needs and Timeframe, in the rep's words."""

    bant_budget = models.CharField(_("budget"), max_length=300, blank=True)
    bant_authority = models.CharField(_("authority"), max_length=300, blank=True)
    bant_needs = models.CharField(_("needs"), max_length=500, blank=True)
    bant_timeframe = models.CharField(_("timeframe"), max_length=300, blank=True)

    class Meta:
        abstract = True

    @property
    def bant_complete(self):
        return all(
            value.strip() for value in (self.bant_budget, self.bant_authority, self.bant_needs, self.bant_timeframe)
        )


class Origin(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Lead(Bant, Trashable):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        WORKING = "working", _("Working")
        NURTURING = "nurturing", _("Nurturing")
        RECYCLED = "recycled", _("Recycled")
        QUALIFIED = "qualified", _("Qualified (SQL)")
        DISQUALIFIED = "disqualified", _("Disqualified")

    OPEN_STATUSES = (Status.NEW, Status.WORKING, Status.NURTURING, Status.RECYCLED)

    company = models.ForeignKey(Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="leads")
    last_name = models.CharField(_("last name"), max_length=60)
    first_name = models.CharField(_("first name"), max_length=60, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # The phone's digits in the national format: what the import matches people on (with their name).
    phone_key = models.CharField(_("phone key"), max_length=20, blank=True, editable=False)
    source = models.ForeignKey(LeadSource, verbose_name=_("lead source"), on_delete=models.PROTECT)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, null=True, blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("IS team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_leads",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    status_reason = models.CharField(
        _("reason"), max_length=300, blank=True, help_text=_("Why the lead is nurtured or disqualified.")
    )
    next_approach_on = models.DateField(_("next approach date"), null=True, blank=True)
    recycle_reason = models.ForeignKey(
        RecycleReason, verbose_name=_("recycle reason"), on_delete=models.PROTECT, null=True, blank=True
    )
    temperature = models.CharField(_("temperature"), max_length=1, choices=Temperature.choices, blank=True)
    score = models.IntegerField(_("score"), default=0)
    is_hot = models.BooleanField(_("hot"), default=False)
    hot_since = models.DateTimeField(_("hot since"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = tracked(fk_fields=["company", "source", "campaign", "team", "owner", "recycle_reason"])

    class Meta:
        ordering = ["next_approach_on", "id"]
        base_manager_name = "all_objects"
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            # The queue and its counts read from the index alone.
            models.Index(
                fields=["owner", "status", "next_approach_on"],
                include=["is_hot", "id", "deleted_at"],
                name="lead_queue_owner_idx",
            ),
            models.Index(fields=["team", "status", "next_approach_on"]),
            # The metrics engine reads a day's new leads and a day's assets.
            models.Index(fields=["created_at"]),
            models.Index(fields=["next_approach_on"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone_key"]),
            models.Index(fields=["updated_at", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="lead_open_iff_next_approach",
                condition=(
                    Q(status__in=["new", "working", "nurturing", "recycled"], next_approach_on__isnull=False)
                    | (~Q(status__in=["new", "working", "nurturing", "recycled"]) & Q(next_approach_on__isnull=True))
                ),
            ),
            models.CheckConstraint(
                name="lead_recycled_iff_reason",
                condition=Q(status="recycled", recycle_reason__isnull=False)
                | (~Q(status="recycled") & Q(recycle_reason__isnull=True)),
            ),
            models.CheckConstraint(
                name="lead_nurture_disqualify_need_reason",
                condition=~Q(status__in=["nurturing", "disqualified"]) | ~Q(status_reason=""),
            ),
            models.CheckConstraint(
                name="lead_qualified_has_temperature",
                condition=~Q(status="qualified") | ~Q(temperature=""),
            ),
            models.CheckConstraint(
                name="lead_temperature_a_bant_complete",
                condition=~Q(temperature="A")
                | (~Q(bant_budget="") & ~Q(bant_authority="") & ~Q(bant_needs="") & ~Q(bant_timeframe="")),
            ),
            models.CheckConstraint(
                name="lead_temperature_b_budget_or_timeframe_missing",
                condition=~Q(temperature="B")
                | (~Q(bant_authority="") & ~Q(bant_needs="") & (Q(bant_budget="") | Q(bant_timeframe=""))),
            ),
            models.CheckConstraint(name="lead_hot_has_since", condition=Q(is_hot=False) | Q(hot_since__isnull=False)),
            models.CheckConstraint(name="lead_has_contact_name", condition=~Q(last_name="")),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.company_id and self.company.name})"

    def save(self, *args, **kwargs):
        self.phone_key = normalize.phone_key(self.phone)[:20]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_key"}
        super().save(*args, **kwargs)

    @property
    def full_name(self):
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class LeadRecycle(models.Model):
    """One recycle decision: why, when to approach again (a day, or at least a week), who and how."""

    class Precision(models.TextChoices):
        DAY = "day", _("Day")
        WEEK = "week", _("Month and week")

    class Method(models.TextChoices):
        CALL = "call", _("Call")
        MAIL = "mail", _("Mail")
        SEMINAR = "seminar", _("Seminar invitation")
        MATERIALS = "materials", _("Send materials")
        OTHER = "other", _("Other")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="recycles")
    reason = models.ForeignKey(RecycleReason, verbose_name=_("reason"), on_delete=models.PROTECT)
    precision = models.CharField(_("precision"), max_length=5, choices=Precision.choices)
    approach_on = models.DateField(_("approach again on"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    week = models.PositiveSmallIntegerField(_("week of month"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who approaches"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(_("how"), max_length=20, choices=Method.choices, default=Method.CALL)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recycled by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recycled at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("recycle")
        verbose_name_plural = _("recycles")
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["lead", "created_at"])]
        constraints = [
            models.CheckConstraint(
                name="recycle_week_precision_has_month_week",
                condition=Q(precision="day", year__isnull=True, month__isnull=True, week__isnull=True)
                | Q(
                    precision="week",
                    year__isnull=False,
                    month__isnull=False,
                    week__isnull=False,
                    month__gte=1,
                    month__lte=12,
                    week__gte=1,
                    week__lte=6,
                ),
            )
        ]

    def __str__(self):
        return f"{self.lead_id}: {self.reason} → {self.approach_on}"


class LeadEvent(models.Model):
    """The lead's history: every status and owner change, who made it, when and why."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        OWNER = "owner", _("Owner changed")
        BANT = "bant", _("BANT updated")
        HOT = "hot", _("Turned hot")
        DELETED = "deleted", _("Moved to the trash")
        RESTORED = "restored", _("Restored from the trash")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    from_status = models.CharField(_("from status"), max_length=20, choices=Lead.Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=Lead.Status.choices, blank=True)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system made the change."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("lead event")
        verbose_name_plural = _("lead history")
        indexes = [models.Index(fields=["lead", "at"]), models.Index(fields=["to_status", "at"])]

    def __str__(self):
        return f"{self.lead_id} {self.kind} {self.from_status}→{self.to_status}"


class TouchPoint(models.Model):
    """A sign of interest reported by the MA tool."""

    class Kind(models.TextChoices):
        PAGE_VIEW = "page_view", _("Web page viewed")
        DEMO_CLICK = "demo_click", _("Demo link clicked")
        EMAIL_OPEN = "email_open", _("Email opened")
        EMAIL_CLICK = "email_click", _("Email link clicked")
        FORM = "form", _("Form submitted")
        SEMINAR = "seminar", _("Seminar attended")
        TRIAL = "trial", _("Trial requested")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="touch_points")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    external_id = models.CharField(_("event id"), max_length=100, null=True, blank=True, unique=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("touch point")
        verbose_name_plural = _("touch points")
        indexes = [models.Index(fields=["lead", "occurred_at"]), models.Index(fields=["occurred_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class ScoringRule(models.Model):
    """A sign of interest that counts: at least ``min_count`` touch points of ``kind`` (whose URL contains
    ``url_contains``, when given) in the last ``window_days`` days. The rule fires when a touch point brings
    that count to the minimum; it adds ``points`` to the lead's score and, with ``makes_hot``, makes it hot."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("touch point kind"), max_length=20, choices=TouchPoint.Kind.choices)
    min_count = models.PositiveSmallIntegerField(
        _("at least"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("How many touch points of this kind within the window; 1 means any."),
    )
    window_days = models.PositiveSmallIntegerField(
        _("within days"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Touch points of the last N days count (N × 24 hours back from now)."),
    )
    url_contains = models.CharField(
        _("URL contains"),
        max_length=200,
        blank=True,
        help_text=_("Only touch points whose URL contains this text (e.g. /demo); empty counts every URL."),
    )
    points = models.SmallIntegerField(_("points"), default=0, help_text=_("Added to the lead's score when it fires."))
    makes_hot = models.BooleanField(
        _("makes the lead hot"),
        default=False,
        help_text=_("The lead goes to the top of its owner's queue and the owner is notified (app and Slack)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["kind", "min_count", "id"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        constraints = [
            models.CheckConstraint(name="scoring_rule_min_count_positive", condition=Q(min_count__gte=1)),
            models.CheckConstraint(
                name="scoring_rule_window_in_range", condition=Q(window_days__gte=1, window_days__lte=365)
            ),
            models.CheckConstraint(
                name="scoring_rule_does_something",
                condition=~Q(points=0) | Q(makes_hot=True),
                violation_error_message=_("A rule must add points, make the lead hot, or both."),
            ),
        ]

    def __str__(self):
        return self.name


class DistributionRule(models.Model):
    """Where new inbound leads of a source and/or company-size segment go: an inside-sales team, and
    optionally only some of its reps. Rules are tried in order; the first that matches wins. A lead no
    rule matches goes round robin over its own team, else over the first SDR team."""

    name = models.CharField(_("name"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    source = models.ForeignKey(
        LeadSource,
        verbose_name=_("lead source"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty matches every source."),
    )
    size_band = models.CharField(
        _("company size"),
        max_length=10,
        choices=SizeBand.choices,
        blank=True,
        help_text=_("Empty matches every company size (and companies whose size is unknown)."),
    )
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("IS team"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind__in": ["sdr", "bdr", "recycle"]},
    )
    reps = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("only these reps"),
        blank=True,
        related_name="+",
        limit_choices_to={"role": "is"},
        help_text=_("Empty: every rep of the team who is on shift, in turn."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("distribution rule")
        verbose_name_plural = _("distribution rules")

    def __str__(self):
        return self.name


class DistributionCursor(models.Model):
    """Where one round robin stands: the rep who got the last lead. Every assignment locks this row, so
    concurrent assignments take turns and none skips or repeats a rep."""

    pool = models.CharField(_("pool"), max_length=50, unique=True, help_text=_("team:<id> or rule:<id>"))
    last_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last rep"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned = models.PositiveIntegerField(_("leads assigned"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["pool"]
        verbose_name = _("distribution cursor")
        verbose_name_plural = _("distribution cursors")

    def __str__(self):
        return self.pool


class ImportMapping(models.Model):
    """A lead source's saved column mapping: which column of its files holds which lead field, the origin
    its leads get (blank: from the source's channel) and the IS team whose pool receives them."""

    source = models.ForeignKey(
        LeadSource, verbose_name=_("lead source"), on_delete=models.PROTECT, related_name="import_mappings"
    )
    name = models.CharField(_("name"), max_length=100)
    columns = models.JSONField(_("columns"), default=dict, blank=True, help_text=_("Lead field → column heading."))
    origin = models.CharField(
        _("origin"), max_length=10, choices=Origin.choices, blank=True, help_text=_("Blank: from the lead source.")
    )
    team = models.ForeignKey(
        "org.Team", verbose_name=_("IS team"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saved by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["source__sort_order", "name"]
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        constraints = [
            models.UniqueConstraint(fields=["source", "name"], name="import_mapping_name_unique_per_source"),
            models.CheckConstraint(name="import_mapping_has_name", condition=~Q(name="")),
        ]

    def __str__(self):
        return f"{self.source} / {self.name}"


class ImportJob(models.Model):
    """One uploaded file of leads: its parsed rows, the mapping used, the validation report and the
    import's outcome. Nothing is imported until the file is clean or the user asks for the valid rows."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Validating")
        VALIDATED = "validated", _("Validated")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        ALL = "all", _("Every row")
        VALID_ONLY = "valid_only", _("Only the valid rows")

    RUNNING = (Status.VALIDATING, Status.IMPORTING)

    file_name = models.CharField(_("file"), max_length=255)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    source = models.ForeignKey(LeadSource, verbose_name=_("lead source"), on_delete=models.PROTECT, related_name="+")
    mapping = models.ForeignKey(
        ImportMapping,
        verbose_name=_("saved mapping"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
    )
    columns = models.JSONField(_("columns"), default=dict, blank=True, help_text=_("Lead field → column heading."))
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, blank=True)
    team = models.ForeignKey(
        "org.Team", verbose_name=_("IS team"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    headers = models.JSONField(_("headings"), default=list, blank=True)
    # [[spreadsheet row number, [cells]], ...]; emptied once imported (the report keeps the bad rows).
    rows = models.JSONField(_("rows"), default=list, blank=True)
    # The rows that passed the checks of their own cells, as the checks read them: [[row number, [values in
    # the order of imports.VALUE_KEYS]], ...]. The import checks only these again, for duplicates (the
    # database may have changed since); emptied once imported.
    checked = models.JSONField(_("checked rows"), default=list, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED)
    mode = models.CharField(_("import"), max_length=20, choices=Mode.choices, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    imported_rows = models.PositiveIntegerField(_("leads imported"), default=0)
    companies_created = models.PositiveIntegerField(_("companies created"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    # [{"row": n, "cells": [...], "errors": [{"field", "column", "code", "params"}]}, ...]
    report = models.JSONField(_("error report"), default=list, blank=True)
    failure = models.TextField(_("why it failed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("lead import")
        verbose_name_plural = _("lead imports")
        indexes = [models.Index(fields=["created_by", "created_at"])]
        constraints = [
            models.CheckConstraint(
                name="import_job_counts_add_up",
                condition=Q(valid_rows__lte=models.F("total_rows"))
                & Q(error_rows__lte=models.F("total_rows"))
                & Q(imported_rows__lte=models.F("total_rows")),
            ),
            models.CheckConstraint(
                name="import_job_done_has_mode_and_time",
                condition=~Q(status="done") | (~Q(mode="") & Q(finished_at__isnull=False)),
            ),
            models.CheckConstraint(name="import_job_failed_says_why", condition=~Q(status="failed") | ~Q(failure="")),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_running(self):
        return self.status in self.RUNNING

    @property
    def is_clean(self):
        return self.status == self.Status.VALIDATED and self.error_rows == 0 and self.valid_rows > 0


class NurturingCheckpoint(models.Model):
    """One step of nurturing a lead from a source, in order: what the rep does and what is sent.

    The lead page suggests the first active step of the lead's source that the rep has not marked yet.
    """

    class Send(models.TextChoices):
        BOOKLET = "booklet", _("Booklet")
        MATERIALS = "materials", _("Service materials")
        CAMPAIGN = "campaign", _("Campaign information")
        CASE_STUDY = "case_study", _("Case study")
        MEETING = "meeting_proposal", _("Meeting proposal")
        OTHER = "other", _("Other")

    source = models.ForeignKey(
        LeadSource, verbose_name=_("lead source"), on_delete=models.PROTECT, related_name="checkpoints"
    )
    position = models.PositiveSmallIntegerField(_("step"), default=1)
    title_ja = models.CharField(_("title (Japanese)"), max_length=100)
    title_en = models.CharField(_("title (English)"), max_length=100)
    instructions_ja = models.CharField(_("what to do (Japanese)"), max_length=500, blank=True)
    instructions_en = models.CharField(_("what to do (English)"), max_length=500, blank=True)
    send = models.CharField(_("what to send"), max_length=20, choices=Send.choices, blank=True)
    send_detail = models.CharField(
        _("which material"), max_length=200, blank=True, help_text=_("e.g. the booklet's title or the file's name.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["source", "position", "id"]
        verbose_name = _("nurturing checkpoint")
        verbose_name_plural = _("nurturing checkpoints")
        constraints = [
            models.UniqueConstraint(fields=["source", "position"], name="checkpoint_one_step_per_position"),
            models.CheckConstraint(name="checkpoint_position_positive", condition=Q(position__gte=1)),
        ]

    def __str__(self):
        return f"{self.source} {self.position}. {self.title}"

    @property
    def title(self):
        return self.title_en if _english() else self.title_ja

    @property
    def instructions(self):
        return (self.instructions_en or self.instructions_ja) if _english() else self.instructions_ja


def _english() -> bool:
    return (get_language() or "ja").startswith("en")


class LeadCheckpoint(models.Model):
    """A rep's mark on one nurturing step of a lead: done, or skipped because it does not apply."""

    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped (not needed)")

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="checkpoints")
    checkpoint = models.ForeignKey(
        NurturingCheckpoint, verbose_name=_("checkpoint"), on_delete=models.PROTECT, related_name="marks"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.DONE)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["lead", "checkpoint__position"]
        verbose_name = _("lead checkpoint")
        verbose_name_plural = _("lead checkpoints")
        constraints = [
            models.UniqueConstraint(fields=["lead", "checkpoint"], name="lead_checkpoint_once"),
            models.CheckConstraint(name="lead_checkpoint_outcome_valid", condition=Q(outcome__in=["done", "skipped"])),
        ]

    def __str__(self):
        return f"{self.lead_id}: {self.checkpoint_id} {self.outcome}"


class MqlRejectReason(Picklist):
    """Why Inside Sales found a Marketing-qualified lead not a fit (for Marketing to aggregate)."""

    class Meta(Picklist.Meta):
        verbose_name = _("MQL not-a-fit reason")
        verbose_name_plural = _("MQL not-a-fit reasons")


class MqlReview(models.Model):
    """Inside Sales' verdict on an inbound lead (an MQL): accepted, or not a fit and why. The last one counts."""

    class Verdict(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        NOT_A_FIT = "not_a_fit", _("Not a fit")

    lead = models.OneToOneField(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="mql_review")
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    reason = models.ForeignKey(
        MqlRejectReason, verbose_name=_("reason"), on_delete=models.PROTECT, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"))

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        verbose_name = _("MQL review")
        verbose_name_plural = _("MQL reviews")
        constraints = [
            models.CheckConstraint(
                name="mql_review_not_a_fit_iff_reason",
                condition=Q(verdict="not_a_fit", reason__isnull=False) | Q(verdict="accepted", reason__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.lead_id}: {self.get_verdict_display()}"


class CampaignEmailRequest(models.Model):
    """A mail IS asks Marketing to send through the MA tool: subject, body, list and the desired day.

    Its status moves requested → accepted → scheduled → sent, or to declined (with a reason) before it is
    sent; only ``leads.services`` moves it, and every move is recorded.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        DECLINED = "declined", _("Declined")

    OPEN_STATUSES = (Status.REQUESTED, Status.ACCEPTED, Status.SCHEDULED)
    SUBJECT_MAX = 150
    BODY_MAX = 10000
    LIST_MAX = 1000

    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    body = models.TextField(_("body"), validators=[MaxLengthValidator(BODY_MAX)])
    recipient_list = models.TextField(
        _("recipient list"),
        validators=[MaxLengthValidator(LIST_MAX)],
        help_text=_("Who receives it: the list or segment, e.g. trade-show leads of 2026 not yet in a deal."),
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    desired_send_on = models.DateField(_("desired send date"))
    desired_send_time = models.TimeField(_("desired time"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="campaign_email_requests",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    decline_reason = models.CharField(_("why declined"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["desired_send_on", "id"]
        verbose_name = _("campaign email request")
        verbose_name_plural = _("campaign email requests")
        indexes = [
            models.Index(fields=["status", "desired_send_on"]),
            models.Index(fields=["requested_by", "requested_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="mail_request_status_valid",
                condition=Q(status__in=["requested", "accepted", "scheduled", "sent", "declined"]),
            ),
            models.CheckConstraint(
                name="mail_request_has_content", condition=~Q(subject="") & ~Q(body="") & ~Q(recipient_list="")
            ),
            models.CheckConstraint(
                name="mail_request_handled_after_requested",
                condition=Q(status="requested") | Q(handled_by__isnull=False),
            ),
            models.CheckConstraint(
                name="mail_request_scheduled_has_time",
                condition=~Q(status__in=["scheduled", "sent"]) | Q(scheduled_for__isnull=False),
            ),
            models.CheckConstraint(
                name="mail_request_sent_iff_sent_at",
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="mail_request_declined_iff_reason",
                condition=Q(status="declined", declined_at__isnull=False) & ~Q(decline_reason="")
                | (~Q(status="declined") & Q(decline_reason="") & Q(declined_at__isnull=True)),
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class CampaignEmailRequestEvent(models.Model):
    """The request's history: every status move, who made it, when and why."""

    email_request = models.ForeignKey(
        CampaignEmailRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("from status"), max_length=10, choices=CampaignEmailRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=10, choices=CampaignEmailRequest.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("campaign email request event")
        verbose_name_plural = _("campaign email request history")

    def __str__(self):
        return f"{self.email_request_id} {self.from_status}→{self.to_status}"
