"""The catalogue: every metric of the funnel, defined once (PRODUCT.md, "Metrics").

A metric is either

* **counted** from facts: a queryset of fact rows, the field that places a fact on a company-time-zone
  day, a measure (``Count``, a distinct count, a ``Sum``) and the dimensions it is broken down by
  (dimension code → ORM path or expression on the fact); or
* a **ratio** of two counted metrics: stored as their numerator and denominator for every key both
  have, never as a quotient.

``additive`` metrics build their ISO weeks and months by summing day rows; the others (distinct counts)
are counted again from the facts at each grain. ``snapshot`` metrics describe the state of today (e.g.
stagnant deals) and are kept day by day, never recomputed for the past. Adding a metric is adding one
entry to ``METRICS``: ``dashboards.rollup`` computes, stores and rebuilds every entry the same way.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from activities.models import Activity
from handoffs.models import Handoff
from leads.geography import Area
from leads.models import Lead, LeadRecycle, Origin, Temperature, TouchPoint
from opportunities.models import Opportunity, PhaseHistory
from opportunities.selectors import stagnant_q
from org.models import SizeBand

# A recycled lead counts as revived when it becomes an SQL within this many days of the recycle.
REVIVAL_DAYS = 183
# Deal-size bands (JPY) of the SQL mix: upper bounds, exclusive.
DEAL_SIZE_BANDS = (
    ("<1M", 1_000_000, _("under ¥1M")),
    ("1M-5M", 5_000_000, _("¥1M–5M")),
    ("5M-10M", 10_000_000, _("¥5M–10M")),
    ("10M+", None, _("¥10M and over")),
)
COMPOSITE_SEPARATOR = "|"
# What FS's rating of an SQL is worth: the note held (yes), held in part, or did not.
MAX_FEEDBACK_POINTS = 2
FEEDBACK_POINTS = Case(
    When(feedback=Handoff.Feedback.YES, then=Value(MAX_FEEDBACK_POINTS)),
    When(feedback=Handoff.Feedback.PARTLY, then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Dimension:
    """How a breakdown is labelled: ids of a model (``model``), codes of a choice list, or free text."""

    label: Promise
    model: str = ""
    choices: tuple[tuple[str, Any], ...] = ()


DIMENSIONS: dict[str, Dimension] = {
    "team": Dimension(_("Team"), model="org.Team"),
    "rep": Dimension(_("IS rep"), model="org.User"),
    "fs_rep": Dimension(_("FS rep"), model="org.User"),
    "source": Dimension(_("Lead source"), model="leads.LeadSource"),
    "campaign": Dimension(_("Campaign"), model="leads.Campaign"),
    "industry": Dimension(_("Industry"), model="leads.Industry"),
    "service": Dimension(_("Service"), model="opportunities.Service"),
    "phase": Dimension(_("Phase"), model="opportunities.Phase"),
    "reason": Dimension(_("Recycle reason"), model="leads.RecycleReason"),
    "lost_reason": Dimension(_("Lost reason"), model="opportunities.LostReason"),
    "size_band": Dimension(_("Company size"), choices=tuple(SizeBand.choices)),
    "area": Dimension(_("Area"), choices=tuple(Area.choices)),
    "deal_size_band": Dimension(
        _("Deal size"), choices=tuple((code, label) for code, _limit, label in DEAL_SIZE_BANDS)
    ),
    "temperature": Dimension(_("Temperature"), choices=tuple(Temperature.choices)),
    "origin": Dimension(_("Inbound / outbound"), choices=tuple(Origin.choices)),
    "direction": Dimension(_("Direction"), choices=tuple(Origin.choices)),
    "kind": Dimension(_("Activity kind"), choices=tuple(Activity.Kind.choices)),
    "touch_kind": Dimension(_("Touch point kind"), choices=tuple(TouchPoint.Kind.choices)),
    "deal_origin": Dimension(_("SQL / SGL"), choices=tuple(Opportunity.Origin.choices)),
    "department": Dimension(_("Counterpart department")),
    "title": Dimension(_("Counterpart title")),
    "attendees": Dimension(_("First-meeting attendees")),
}


def composite(*codes: str) -> str:
    """The code of a two-way breakdown, e.g. campaign × rep; its values join the parts' values alike."""
    return COMPOSITE_SEPARATOR.join(codes)


@dataclass(frozen=True)
class Metric:
    code: str
    label: Promise
    help: Promise
    # Counted metrics (a snapshot's facts take ``today``)
    facts: Callable[..., QuerySet] | None = None
    date_field: str = ""
    measure: Callable[[], Any] = lambda: Count("pk")
    dimensions: Mapping[str, Any] = field(default_factory=dict)
    additive: bool = True
    snapshot: bool = False
    # Ratio metrics
    numerator: str = ""
    denominator: str = ""

    @property
    def is_ratio(self) -> bool:
        return bool(self.numerator)

    @property
    def grains(self) -> tuple[str, ...]:
        return ("day",) if self.snapshot else ("day", "week", "month")


def _text(expression) -> Any:
    """A dimension value as stored: text, '' for none."""
    if isinstance(expression, str):
        expression = F(expression)
    return Coalesce(Cast(expression, output_field=CharField()), Value(""))


def dimension_value(expression: Any) -> Any:
    """The stored value of a dimension (a path, an expression, or a tuple of them for a composite)."""
    if isinstance(expression, tuple):
        parts = []
        for part in expression:
            parts += [_text(part), Value(COMPOSITE_SEPARATOR)]
        return Concat(*parts[:-1], output_field=CharField())
    return _text(expression)


def deal_size_band(amount_path: str):
    whens, lower = [], 0
    for code, upper, _label in DEAL_SIZE_BANDS:
        condition = Q(**{f"{amount_path}__gte": lower})
        if upper is not None:
            condition &= Q(**{f"{amount_path}__lt": upper})
        whens.append(When(condition, then=Value(code)))
        lower = upper
    return Case(*whens, default=Value(""), output_field=CharField())


# --- Facts --------------------------------------------------------------------------------------------------


# Facts hanging off a lead, deal or company in the trash are not counted: the trash is "deleted" until
# an admin restores it, and deleting or restoring marks the days of all of them dirty.
LIVE_ACTIVITY = Q(company__deleted_at__isnull=True, lead__deleted_at__isnull=True, opportunity__deleted_at__isnull=True)


def live_activities() -> QuerySet:
    return Activity.objects.filter(LIVE_ACTIVITY)


def activities() -> QuerySet:
    return live_activities()


def calls() -> QuerySet:
    return live_activities().filter(kind=Activity.Kind.CALL)


def live_touch_points() -> QuerySet:
    return TouchPoint.objects.filter(lead__deleted_at__isnull=True)


def live_recycles() -> QuerySet:
    return LeadRecycle.objects.filter(lead__deleted_at__isnull=True)


def live_phase_moves() -> QuerySet:
    return PhaseHistory.objects.filter(opportunity__deleted_at__isnull=True)


def sqls() -> QuerySet:
    """Every SQL handed from IS to FS, whatever FS answered (rejections are SQL feedback, see handoffs)."""
    return Handoff.objects.filter(
        kind=Handoff.Kind.IS_TO_FS, lead__deleted_at__isnull=True, opportunity__deleted_at__isnull=True
    )


def rated_sqls() -> QuerySet:
    """SQLs FS has rated (yes / partly / no), on the day of the SQL, not of the rating."""
    return sqls().exclude(feedback="")


def won_deals() -> QuerySet:
    return Opportunity.objects.filter(status=Opportunity.Status.WON)


def revived_recycles() -> QuerySet:
    later_sql = sqls().filter(
        lead=OuterRef("lead"),
        created_at__gt=OuterRef("created_at"),
        created_at__lte=ExpressionWrapper(
            OuterRef("created_at") + timedelta(days=REVIVAL_DAYS), output_field=DateTimeField()
        ),
    )
    return live_recycles().filter(Exists(later_sql))


def first_valid_opportunity_moves() -> QuerySet:
    """A SQL deal entering a valid-opportunity phase (03+) for the first time."""
    earlier = PhaseHistory.objects.filter(
        opportunity=OuterRef("opportunity"), to_phase__is_valid_opportunity=True, at__lt=OuterRef("at")
    )
    return (
        live_phase_moves()
        .filter(to_phase__is_valid_opportunity=True, opportunity__origin=Opportunity.Origin.SQL)
        .exclude(Exists(earlier))
    )


def stagnant_deals(*, today: date) -> QuerySet:
    """Open deals stuck in their phase or idle too long (``opportunities.selectors.stagnant_q``)."""
    return Opportunity.objects.annotate(last_touch=Coalesce("last_activity_at", "created_at")).filter(
        stagnant_q(today=today)
    )


ACTIVITY_DIMENSIONS = {
    "rep": "actor_id",
    "team": "team_id",
    "direction": "direction",
    # A team's calls and mails by direction (the activity board filtered to one team).
    composite("team", "direction"): ("team_id", "direction"),
}
SQL_DIMENSIONS = {
    "rep": "from_user_id",
    "team": "from_user__team_id",
    "fs_rep": "to_user_id",
    "source": "lead__source_id",
    "campaign": "lead__campaign_id",
    "service": "opportunity__service_id",
    "size_band": "lead__company__size_band",
    "area": "lead__company__area",
    "deal_size_band": deal_size_band("opportunity__amount"),
    "department": "lead__department",
    "title": "lead__title",
    "temperature": "temperature",
    "origin": "lead__origin",
    "industry": "lead__company__industry_id",
    composite("rep", "origin"): ("from_user_id", "lead__origin"),
    composite("fs_rep", "size_band"): ("to_user_id", "lead__company__size_band"),
    # Each side's mix: inbound and outbound SQLs broken down alike.
    composite("origin", "service"): ("lead__origin", "opportunity__service_id"),
    composite("origin", "size_band"): ("lead__origin", "lead__company__size_band"),
    composite("origin", "area"): ("lead__origin", "lead__company__area"),
    composite("origin", "deal_size_band"): ("lead__origin", deal_size_band("opportunity__amount")),
    composite("origin", "temperature"): ("lead__origin", "temperature"),
}
FEEDBACK_DIMENSIONS = {"rep": SQL_DIMENSIONS["rep"], "team": SQL_DIMENSIONS["team"]}
INBOUND_DIMENSIONS = {
    "campaign": "campaign_id",
    "rep": "owner_id",
    composite("campaign", "rep"): ("campaign_id", "owner_id"),
}
CLOSED_DEAL_DIMENSIONS = {
    "fs_rep": "owner_id",
    "deal_origin": "origin",
    "industry": "company__industry_id",
    "source": "origin_lead__source_id",
    "attendees": "first_meeting_attendees",
}


METRICS: dict[str, Metric] = {
    metric.code: metric
    for metric in [
        # Assets: the open leads scheduled for each day (today's state, so future days count too).
        Metric(
            "assets",
            _("Assets"),
            _("Open leads scheduled to be approached on the day."),
            facts=lambda: Lead.objects.filter(next_approach_on__isnull=False),
            date_field="next_approach_on",
            dimensions={"rep": "owner_id", "team": "team_id"},
        ),
        Metric(
            "leads",
            _("New leads"),
            _("Leads created on the day."),
            facts=lambda: Lead.objects.all(),
            date_field="created_at",
            dimensions={"source": "source_id", "campaign": "campaign_id", "origin": "origin", "team": "team_id"},
        ),
        Metric(
            "touch_points",
            _("Touch points"),
            _("Signs of interest from the MA tool (page views, demo clicks, mail opens, seminars…)."),
            facts=live_touch_points,
            date_field="occurred_at",
            dimensions={
                "touch_kind": "kind",
                "source": "lead__source_id",
                "campaign": "lead__campaign_id",
                "rep": "lead__owner_id",
            },
        ),
        # Activities
        Metric(
            "activities",
            _("Activities"),
            _("Calls, mails, web meetings and visits logged."),
            facts=activities,
            date_field="occurred_at",
            dimensions={**ACTIVITY_DIMENSIONS, "kind": "kind"},
        ),
        Metric(
            "calls",
            _("Calls"),
            _("Calls made or taken."),
            facts=calls,
            date_field="occurred_at",
            dimensions=ACTIVITY_DIMENSIONS,
        ),
        Metric(
            "mails",
            _("Mails"),
            _("Mails sent or received."),
            facts=lambda: live_activities().filter(kind=Activity.Kind.MAIL),
            date_field="occurred_at",
            dimensions=ACTIVITY_DIMENSIONS,
        ),
        Metric(
            "connects",
            _("Connected calls"),
            _("Calls that reached the person."),
            facts=lambda: calls().filter(connected=True),
            date_field="occurred_at",
            dimensions=ACTIVITY_DIMENSIONS,
        ),
        Metric(
            "calls_not_connected",
            _("Calls not connected"),
            _("Calls that did not reach the person."),
            facts=lambda: calls().filter(connected=False),
            date_field="occurred_at",
            dimensions=ACTIVITY_DIMENSIONS,
        ),
        Metric(
            "effective_conversations",
            _("Effective conversations"),
            _("Connected calls that became an effective conversation (有効会話)."),
            facts=lambda: live_activities().filter(effective_conversation=True),
            date_field="occurred_at",
            dimensions={"rep": "actor_id", "team": "team_id"},
        ),
        Metric(
            "companies_touched",
            _("Unique companies touched"),
            _("Distinct companies with at least one activity in the period."),
            facts=activities,
            date_field="occurred_at",
            measure=lambda: Count("company_id", distinct=True),
            dimensions={"rep": "actor_id", "team": "team_id"},
            additive=False,
        ),
        Metric(
            "rep_days",
            _("Working rep-days"),
            _("Days on which a rep logged at least one activity, summed over reps."),
            facts=activities,
            date_field="occurred_at",
            measure=lambda: Count("actor_id", distinct=True),
            # By rep: the rep's own working days.
            dimensions={"team": "team_id", "rep": "actor_id"},
        ),
        Metric(
            "active_reps",
            _("Active reps"),
            _("Reps who logged at least one activity in the period (head count)."),
            facts=activities,
            date_field="occurred_at",
            measure=lambda: Count("actor_id", distinct=True),
            dimensions={"team": "team_id"},
            additive=False,
        ),
        Metric(
            "connect_rate",
            _("Connect rate"),
            _("Connected calls ÷ calls."),
            numerator="connects",
            denominator="calls",
        ),
        Metric(
            "call_to_sql_rate",
            _("Call → SQL rate"),
            _("SQLs ÷ calls."),
            numerator="sqls",
            denominator="calls",
        ),
        Metric(
            "connect_to_sql_rate",
            _("Connect → SQL rate"),
            _("SQLs ÷ connected calls."),
            numerator="sqls",
            denominator="connects",
        ),
        # SQLs
        Metric(
            "sqls",
            _("SQLs"),
            _("Leads handed from IS to FS."),
            facts=sqls,
            date_field="created_at",
            dimensions=SQL_DIMENSIONS,
        ),
        Metric(
            "sqls_allocated",
            _("SQLs allocated"),
            _("SQLs handed to an FS rep and not rejected: what counts against the rep's monthly capacity."),
            facts=lambda: sqls().exclude(status=Handoff.Status.REJECTED).filter(to_user__isnull=False),
            date_field="created_at",
            dimensions={"fs_rep": "to_user_id", composite("fs_rep", "size_band"): SQL_DIMENSIONS["fs_rep|size_band"]},
        ),
        Metric(
            "sqls_per_rep_day",
            _("SQLs per working day"),
            _("SQLs ÷ working rep-days."),
            numerator="sqls",
            denominator="rep_days",
        ),
        Metric(
            "sqls_per_head",
            _("SQLs per head"),
            _("SQLs ÷ active reps."),
            numerator="sqls",
            denominator="active_reps",
        ),
        Metric(
            "actions_per_sql",
            _("Actions per SQL"),
            _("Activities ÷ SQLs."),
            numerator="activities",
            denominator="sqls",
        ),
        # SQL feedback: FS rates each SQL after the first meeting; the SQL's own day carries the rating.
        Metric(
            "sql_feedback_points",
            _("SQL feedback points"),
            _("Points of the SQLs FS rated: 2 for yes, 1 for partly, 0 for no."),
            facts=rated_sqls,
            date_field="created_at",
            measure=lambda: Coalesce(Sum(FEEDBACK_POINTS), 0),
            dimensions=FEEDBACK_DIMENSIONS,
        ),
        Metric(
            "sql_feedback_possible",
            _("SQL feedback points possible"),
            _("2 points for each SQL FS rated: what the rated SQLs would score if every one were a yes."),
            facts=rated_sqls,
            date_field="created_at",
            measure=lambda: Count("pk") * MAX_FEEDBACK_POINTS,
            dimensions=FEEDBACK_DIMENSIONS,
        ),
        Metric(
            "sql_feedback_score",
            _("SQL feedback score"),
            _("SQL feedback points ÷ points possible: 100 % when FS found every rated SQL as the note promised."),
            numerator="sql_feedback_points",
            denominator="sql_feedback_possible",
        ),
        # Inbound conversion
        Metric(
            "inbound_leads",
            _("Inbound leads"),
            _("Inbound leads created."),
            facts=lambda: Lead.objects.filter(origin=Origin.INBOUND),
            date_field="created_at",
            dimensions=INBOUND_DIMENSIONS,
        ),
        Metric(
            "inbound_sqls",
            _("Inbound SQLs"),
            _("SQLs from inbound leads, by the lead's campaign and owner."),
            facts=lambda: sqls().filter(lead__origin=Origin.INBOUND),
            date_field="created_at",
            dimensions={
                "campaign": "lead__campaign_id",
                "rep": "lead__owner_id",
                composite("campaign", "rep"): ("lead__campaign_id", "lead__owner_id"),
            },
        ),
        Metric(
            "inbound_cvr",
            _("Inbound CVR"),
            _("Inbound SQLs ÷ inbound leads (read over the trailing 12 months)."),
            numerator="inbound_sqls",
            denominator="inbound_leads",
        ),
        # Opportunities
        Metric(
            "valid_opportunities",
            _("Valid opportunities"),
            _("SQL deals entering phase 03 or later for the first time."),
            facts=first_valid_opportunity_moves,
            date_field="at",
            dimensions={
                "source": "opportunity__origin_lead__source_id",
                "campaign": "opportunity__origin_lead__campaign_id",
            },
        ),
        Metric(
            "sql_to_valid_rate",
            _("SQL → valid opportunity rate"),
            _("Valid opportunities ÷ SQLs."),
            numerator="valid_opportunities",
            denominator="sqls",
        ),
        Metric(
            "open_deals",
            _("Open deals"),
            _("Open deals by the day they entered their current phase (sum all days for the phase mix)."),
            facts=lambda: Opportunity.objects.filter(status=Opportunity.Status.OPEN),
            date_field="phase_entered_at",
            dimensions={"phase": "phase_id", "fs_rep": "owner_id", "deal_origin": "origin"},
        ),
        Metric(
            "stagnant_deals",
            _("Stagnant deals"),
            _("Open deals stuck in their phase or without activity too long, as of the day."),
            facts=stagnant_deals,
            dimensions={"phase": "phase_id", "fs_rep": "owner_id"},
            snapshot=True,
        ),
        Metric(
            "won_deals",
            _("Deals won"),
            _("Deals closed won."),
            facts=won_deals,
            date_field="closed_at",
            dimensions=CLOSED_DEAL_DIMENSIONS,
        ),
        Metric(
            "won_amount",
            _("Amount won (JPY)"),
            _("Sum of the amounts of deals closed won."),
            facts=won_deals,
            date_field="closed_at",
            measure=lambda: Coalesce(Sum("amount"), 0),
            dimensions=CLOSED_DEAL_DIMENSIONS,
        ),
        Metric(
            "won_quantity",
            _("Quantity won"),
            _("Sum of the quantities (e.g. vehicles) of deals closed won."),
            facts=won_deals,
            date_field="closed_at",
            measure=lambda: Coalesce(Sum("quantity"), 0),
            dimensions=CLOSED_DEAL_DIMENSIONS,
        ),
        Metric(
            "closed_deals",
            _("Deals closed"),
            _("Deals closed won or lost."),
            facts=lambda: Opportunity.objects.exclude(status=Opportunity.Status.OPEN),
            date_field="closed_at",
            dimensions=CLOSED_DEAL_DIMENSIONS,
        ),
        Metric(
            "lost_deals",
            _("Deals lost"),
            _("Deals closed lost, by reason."),
            facts=lambda: Opportunity.objects.filter(status=Opportunity.Status.LOST),
            date_field="closed_at",
            dimensions={"lost_reason": "lost_reason_id", "deal_origin": "origin", "fs_rep": "owner_id"},
        ),
        Metric(
            "win_rate",
            _("Win rate"),
            _("Deals won ÷ deals closed."),
            numerator="won_deals",
            denominator="closed_deals",
        ),
        # Recycle
        Metric(
            "recycles",
            _("Recycles"),
            _("Leads recycled, by reason (for Marketing)."),
            facts=live_recycles,
            date_field="created_at",
            dimensions={"reason": "reason_id", "rep": "created_by_id", "team": "lead__team_id"},
        ),
        Metric(
            "revived_recycles",
            _("Revived recycles"),
            _("Recycles whose lead became an SQL within six months."),
            facts=revived_recycles,
            date_field="created_at",
            dimensions={"reason": "reason_id", "rep": "created_by_id", "team": "lead__team_id"},
        ),
        Metric(
            "revival_rate",
            _("Revival rate"),
            _("Revived recycles ÷ recycles."),
            numerator="revived_recycles",
            denominator="recycles",
        ),
    ]
}


def counted_metrics() -> list[Metric]:
    return [metric for metric in METRICS.values() if not metric.is_ratio]


def ratio_metrics() -> list[Metric]:
    return [metric for metric in METRICS.values() if metric.is_ratio]


def ratio_dimensions(metric: Metric) -> list[str]:
    """A ratio is broken down by the dimensions its numerator and denominator share, plus the total."""
    numerator, denominator = METRICS[metric.numerator], METRICS[metric.denominator]
    return ["", *(code for code in numerator.dimensions if code in denominator.dimensions)]


def check_catalogue() -> list[str]:
    """What is wrong with the catalogue (an empty list when nothing): used by a test and a system check."""
    problems = []
    for metric in METRICS.values():
        if metric.is_ratio:
            for part in (metric.numerator, metric.denominator):
                if part not in METRICS or METRICS[part].is_ratio:
                    problems.append(f"{metric.code}: {part!r} is not a counted metric")
                elif METRICS[part].snapshot:
                    problems.append(f"{metric.code}: {part!r} is a snapshot")
        elif metric.facts is None or (not metric.date_field and not metric.snapshot):
            problems.append(f"{metric.code}: a counted metric needs facts and a date field")
        for code in metric.dimensions:
            if any(part not in DIMENSIONS for part in code.split(COMPOSITE_SEPARATOR)):
                problems.append(f"{metric.code}: unknown dimension {code!r}")
    return problems


def is_datetime_field(metric: Metric) -> bool:
    model = metric.facts().model
    return isinstance(model._meta.get_field(metric.date_field), DateTimeField)


def days_of(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
