"""FS allocation: the month's SQLs per FS rep and company-size segment against the rep's monthly capacity,
each rep's share of the month's SQLs with a warning when they pile up on one rep, and the open capacity
alerts."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from handoffs.models import FSCapacityRule
from org.models import SizeBand, User

from ..metrics import COMPOSITE_SEPARATOR
from ..models import Alert, Grain
from ..selectors import dimension_labels, fs_allocation
from .base import BoardQuery, Cell, Chart, Panel, Period, count_cell, figures, number, percent, period_url, ratio

# Uneven allocation: a rep is flagged who received more than SKEW_FACTOR × the average of the FS reps listed
# (those who received SQLs in the month or have capacity for them: all going to one rep is the worst skew),
# once at least SKEW_MINIMUM SQLs were allocated (fewer say little).
SKEW_FACTOR = (3, 2)  # 1.5×, as a fraction so that the boundary is exact
SKEW_MINIMUM = 10
SEGMENT_ORDER = {band: index for index, band in enumerate(SizeBand.values)}


def build(query: BoardQuery) -> list[Panel]:
    month = Period.containing(Grain.MONTH, query.period.start)
    allocations = {(a.fs_rep_id, a.size_band): a for a in fs_allocation(month=month.start)}
    rules = list(FSCapacityRule.objects.values_list("user_id", "size_band", "monthly_limit"))
    limits = {(rep, band): limit for rep, band, limit in rules}
    # Reps and segments with a rule but no SQLs yet show as 0: a rep's own rules, and a segment's default for
    # every active FS rep whose team works that segment.
    defaults = {band for rep, band, _limit in rules if rep is None}
    in_segment = User.objects.filter(role=User.Role.FS, is_active=True, team__segment__in=defaults)
    for key in {(rep, band) for rep, band, _limit in rules if rep} | set(in_segment.values_list("pk", "team__segment")):
        allocations.setdefault(key, None)

    per_rep = figures(grain=Grain.MONTH, starts=[month.start], metrics=["sqls_allocated"], dimension="fs_rep")
    total = figures(grain=Grain.MONTH, starts=[month.start], metrics=["sqls_allocated"])
    reps = {int(value) for (_code, _start, value) in per_rep if value} | {rep for rep, _band in allocations}
    names = dimension_labels("fs_rep", [str(rep) for rep in reps])
    bands = dimension_labels("size_band", sorted({band for _rep, band in allocations}))

    capacity = Panel(
        "capacity",
        _("SQLs against capacity"),
        [_("FS rep"), _("Segment"), _("SQLs"), _("Monthly limit"), _("Used")],
        help=_(
            "SQLs handed to each FS rep this month (not rejected) per company-size segment, against the rep's "
            "monthly limit (the rep's own rule, else the segment's default). At or over the limit is marked."
        ),
        wide=True,
    )
    for rep, band in sorted(allocations, key=lambda key: (names[str(key[0])], key[0], SEGMENT_ORDER.get(key[1], 99))):
        allocation = allocations[(rep, band)]
        sqls = allocation.sqls if allocation else 0
        limit = allocation.limit if allocation else limits.get((rep, band), limits.get((None, band)))
        full = "warn" if limit is not None and sqls >= limit else ""
        value = f"{rep}{COMPOSITE_SEPARATOR}{band}"
        used = ratio(sqls, limit)
        capacity.rows.append(
            [
                Cell(names[str(rep)], names[str(rep)]),
                Cell(bands[band], band),
                Cell(
                    number(sqls),
                    sqls,
                    period_url("sqls_allocated", month, dimension="fs_rep|size_band", value=value) if sqls else "",
                    full,
                ),
                Cell(number(limit), limit),
                Cell(percent(used), None if used is None else round(used, 4), css=f"rate {full}".strip()),
            ]
        )
    return [capacity, _share_panel(month, per_rep, total, names), _alerts_panel()]


def _share_panel(month: Period, per_rep: dict, total: dict, names: dict[str, str]) -> Panel:
    panel = Panel(
        "share",
        _("Share of the month's SQLs"),
        [_("FS rep"), _("SQLs"), _("Share")],
        help=_(
            "Each FS rep's SQLs this month and their share of all SQLs allocated. Uneven allocation is marked: "
            "a rep who received more than 1.5× the average of the FS reps listed (those with SQLs or capacity "
            "this month), once at least %(minimum)s SQLs were allocated in all."
        )
        % {"minimum": SKEW_MINIMUM},
        chart=Chart("bar", [1]),
    )
    all_sqls = total.get(("sqls_allocated", month.start, ""))
    everything = all_sqls.numerator if all_sqls else 0
    received = {value: figure for (_code, _start, value), figure in per_rep.items() if value and figure.numerator}
    numerator, denominator = SKEW_FACTOR
    skewed = []
    sqls_of = {value: received[value].numerator if value in received else 0 for value in names}
    for value in sorted(names, key=lambda value: (-sqls_of[value], names[value])):
        figure, sqls = received.get(value), sqls_of[value]
        share = ratio(sqls, everything)
        # More than 1.5 × everything ÷ reps, multiplied out so that no rounding moves the boundary.
        warn = everything >= SKEW_MINIMUM and sqls * len(names) * denominator > everything * numerator
        if warn:
            skewed.append(names[value])
        panel.rows.append(
            [
                Cell(names[value], names[value], css="warn" if warn else ""),
                count_cell(figure, period_url("sqls_allocated", month, dimension="fs_rep", value=value)),
                Cell(percent(share), None if share is None else round(share, 4), css="rate warn" if warn else "rate"),
            ]
        )
    if skewed:
        panel.note = _(
            "Uneven allocation: %(reps)s received more than 1.5× the average of %(average)s SQLs per FS rep."
        ) % {"reps": ", ".join(skewed), "average": f"{everything / len(names):.1f}"}
    return panel


def _alerts_panel() -> Panel:
    url = f"{reverse('dashboards:alerts')}?kind={Alert.Kind.CAPACITY}"
    panel = Panel(
        "alerts",
        _("Open capacity alerts"),
        [_("FS rep"), _("Alert"), _("Opened")],
        help=_("FS reps at or over a monthly limit now, whatever month is shown."),
    )
    alerts = (
        Alert.objects.filter(kind=Alert.Kind.CAPACITY, status=Alert.Status.OPEN)
        .select_related("user")
        .order_by("-opened_at", "-id")
    )
    for alert in alerts:
        opened = formats.date_format(timezone.localtime(alert.opened_at), "Y-m-d H:i")
        panel.rows.append(
            [
                Cell(str(alert.user), str(alert.user), url),
                Cell(alert.message, alert.message, url),
                Cell(opened, opened),
            ]
        )
    panel.note = format_html(
        '<a href="{}">{}</a>', url, _("Open capacity alerts: %(count)s") % {"count": len(panel.rows)}
    )
    return panel
