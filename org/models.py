from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
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
