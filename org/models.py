import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class SizeBand(models.TextChoices):
    """Company size by employee count: the segment FS capacity and SQL mix are cut by."""

    XS = "1-30", _("1–30 employees")
    S = "31-100", _("31–100 employees")
    M = "101-300", _("101–300 employees")
    L = "301-999", _("301–999 employees")
    XL = "1000+", _("1,000+ employees")


class Picklist(models.Model):
    """A value an admin maintains, shown in Japanese or English, never deleted once used."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja


class TrashQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)

    def trashed(self):
        return self.filter(deleted_at__isnull=False)


class LiveManager(models.Manager.from_queryset(TrashQuerySet)):
    """The default manager of a record that can be put in the trash: trashed rows do not exist for it."""

    def get_queryset(self):
        return super().get_queryset().live()


class Trashable(models.Model):
    """A record an admin can delete into the trash and restore from it until it is purged.

    ``objects`` hides trashed rows, so every list, page, API, search and metric that reads through it
    forgets them; ``all_objects`` sees them (the trash, restore, purge). Concrete models set
    ``base_manager_name = "all_objects"`` so a history row still reaches its trashed parent."""

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        "org.User",
        verbose_name=_("deleted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = LiveManager()
    all_objects = TrashQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_trashed(self):
        return self.deleted_at is not None


class Team(models.Model):
    class Kind(models.TextChoices):
        SDR = "sdr", _("SDR (inbound)")
        BDR = "bdr", _("BDR (outbound)")
        RECYCLE = "recycle", _("Recycle")
        FS_SEGMENT = "fs_segment", _("Field Sales segment")
        CS = "cs", _("Customer Success")
        MARKETING = "marketing", _("Marketing")

    class Placement(models.TextChoices):
        INDEPENDENT = "independent", _("Independent")
        UNDER_SALES = "under_sales", _("Under Sales")
        UNDER_MARKETING = "under_marketing", _("Under Marketing")

    IS_KINDS = (Kind.SDR, Kind.BDR, Kind.RECYCLE)

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    placement = models.CharField(
        _("where IS sits"),
        max_length=20,
        choices=Placement.choices,
        blank=True,
        help_text=_("For inside-sales teams: independent, under Sales or under Marketing."),
    )
    segment = models.CharField(
        _("segment"),
        max_length=10,
        choices=SizeBand.choices,
        blank=True,
        help_text=_("For Field Sales teams: the company size band the team covers."),
    )
    manager = models.ForeignKey(
        "org.User",
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.CheckConstraint(
                name="team_placement_only_for_is",
                condition=Q(placement="") | Q(kind__in=["sdr", "bdr", "recycle"]),
            ),
            models.CheckConstraint(
                name="team_segment_only_for_fs",
                condition=Q(segment="") | Q(kind="fs_segment"),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_inside_sales(self):
        return self.kind in self.IS_KINDS


class User(AbstractUser):
    class Role(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        IS = "is", _("Inside Sales")
        FS = "fs", _("Field Sales")
        CS = "cs", _("Customer Success")
        MANAGER = "manager", _("Manager")
        ADMIN = "admin", _("Administrator")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.IS)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    language = models.CharField(
        _("language"),
        max_length=5,
        choices=[("", _("Company default")), ("ja", "日本語"), ("en", "English")],
        blank=True,
    )
    on_shift = models.BooleanField(
        _("on shift"),
        default=True,
        help_text=_("For inside-sales reps: takes new inbound leads now. Managers take reps off shift when away."),
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        full = f"{self.last_name} {self.first_name}".strip()
        return full or self.username

    @property
    def sees_everything(self):
        return self.is_superuser or self.role == self.Role.ADMIN


class ApiToken(models.Model):
    """A personal API key for one tool. Only a hash is stored; the key is shown once, when created."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("Which tool uses it, e.g. the dialer."))
    prefix = models.CharField(_("key starts with"), max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first answer to a POST made with an Idempotency-Key, replayed to every retry of it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return self.key


class WebhookEvent(models.TextChoices):
    """What Kakehashi pushes to other systems. Receivers route on these names, so they never change."""

    HANDOFF_CREATED = "handoff.created", _("SQL handed to Field Sales")
    HANDOFF_ACCEPTED = "handoff.accepted", _("SQL accepted by Field Sales")
    OPPORTUNITY_PHASE_CHANGED = "opportunity.phase_changed", _("Deal changed phase")
    OPPORTUNITY_WON = "opportunity.won", _("Deal won")


def validate_webhook_events(value):
    if not isinstance(value, list) or not value or any(event not in WebhookEvent.values for event in value):
        raise ValidationError(_("Choose one or more events from the catalogue."), code="invalid_events")


class WebhookEndpoint(models.Model):
    """A system that is pushed the events it subscribes to, each request signed with the shared secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500, validators=[URLValidator(schemes=["https", "http"])])
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        validators=[MinLengthValidator(16)],
        help_text=_("Shared with the receiving system, which checks the X-Kakehashi-Signature header with it."),
    )
    events = models.JSONField(_("events"), default=list, validators=[validate_webhook_events])
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive endpoint is sent nothing; its pending deliveries wait until it is active again."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [models.CheckConstraint(name="webhook_endpoint_has_secret", condition=~Q(secret=""))]

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint. It is written in the transaction of the change it reports (the outbox),
    so it exists exactly when the change does, and is sent until the endpoint answers 2xx or attempts run out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed (gave up)")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.PROTECT, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=50, choices=WebhookEvent.choices)
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(name="webhook_delivery_attempts_not_negative", condition=Q(attempts__gte=0)),
            models.CheckConstraint(
                name="webhook_delivery_status_valid", condition=Q(status__in=["pending", "succeeded", "failed"])
            ),
            models.CheckConstraint(
                name="webhook_delivery_delivered_iff_succeeded",
                condition=Q(status="succeeded", delivered_at__isnull=False)
                | (~Q(status="succeeded") & Q(delivered_at__isnull=True)),
            ),
            models.CheckConstraint(
                name="webhook_delivery_finished_was_attempted",
                condition=Q(status="pending") | Q(attempts__gte=1),
            ),
        ]

    def __str__(self):
        return f"{self.event} {self.event_id}"


class LoginThrottle(models.Model):
    """Failed logins for one username (as typed, whether or not such a user exists) or one client address,
    counted from the window's first attempt. Reaching the limit locks logins there until ``locked_until``."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", _("Username")
        IP = "ip", _("IP address")

    scope = models.CharField(_("counted per"), max_length=10, choices=Scope.choices)
    key = models.CharField(_("username or address"), max_length=150)
    failures = models.PositiveIntegerField(_("failed attempts"), default=0)
    window_started_at = models.DateTimeField(_("counting since"))
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_ip_address = models.CharField(_("last attempt from"), max_length=50, blank=True)

    class Meta:
        ordering = ["-last_attempt_at", "-id"]
        verbose_name = _("login lockout")
        verbose_name_plural = _("login lockouts")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_unique_key"),
            models.CheckConstraint(name="login_throttle_scope_valid", condition=Q(scope__in=["account", "ip"])),
        ]

    def __str__(self):
        return f"{self.get_scope_display()}: {self.key}"

    def is_locked(self, now) -> bool:
        return self.locked_until is not None and self.locked_until > now


class OutboxMessage(models.Model):
    """A task to run because of a change, written in the transaction of that change (the transactional
    outbox), so it exists exactly when the change does. It is published to the broker after commit and
    again by the relay until a worker has run it to the end: at least once, and the task runs once per
    message because a worker claims the row before running it and marks it done after."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    available_at = models.DateTimeField(_("available at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["available_at"], name="outbox_message_due", condition=Q(done_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(name="outbox_message_task_named", condition=~Q(task="")),
            models.CheckConstraint(
                name="outbox_message_done_not_leased", condition=Q(done_at__isnull=True) | Q(lease_until__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.task}{tuple(self.args)!r}"
