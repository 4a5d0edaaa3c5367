"""The SQL mix: what the period's SQLs are made of (service, company size, area, deal size, counterpart,
temperature), how many came in (inbound, passive) or were won by calling out (outbound, active), each
side's own mix, and each rep's passive and active SQLs."""

from datetime import date

from django.utils.translation import gettext as _

from ..metrics import COMPOSITE_SEPARATOR, DIMENSIONS, composite
from ..selectors import Figure
from .base import BoardQuery, Cell, Chart, Panel, breakdowns, change_cell, count_cell, labels, period_url, share_cell

# The breakdowns of the SQL mix, in the order of the page; each side (inbound, outbound) is broken down by
# the first five alike.
MIX = ("service", "size_band", "area", "deal_size_band", "temperature", "department", "title")
PER_SIDE = ("service", "size_band", "area", "deal_size_band", "temperature")
# Counterpart department and title are free text: the most frequent values, the rest as one row.
FREE_TEXT = ("department", "title")
TOP = 15
SIDES = ("inbound", "outbound")


def ordered(dimension: str, counts: dict[str, int]) -> list[str]:
    """A breakdown's values in reading order: a choice list's own order, anything else by count; the
    facts without a value last."""
    choices = [code for code, _label in DIMENSIONS[dimension].choices]
    named = [value for value in counts if value]
    if choices:
        named.sort(key=lambda value: (choices.index(value) if value in choices else len(choices), value))
    else:
        named.sort(key=lambda value: (-counts[value], value))
    return named + ([""] if "" in counts else [])


def build(query: BoardQuery) -> list[Panel]:
    period, previous = query.period, query.period.shift(-1)
    dimensions = [
        "",
        "origin",
        "rep",
        composite("rep", "origin"),
        *MIX,
        *(composite("origin", code) for code in PER_SIDE),
    ]
    found = breakdowns(
        grain=query.grain, starts=[period.start, previous.start], metrics=["sqls"], dimensions=dimensions
    )

    def figure(dimension: str, value: str, start: date = period.start) -> Figure | None:
        return found.get(("sqls", start, dimension, value))

    def values(dimension: str) -> dict[str, int]:
        return {
            value: f.numerator
            for (_metric, start, code, value), f in found.items()
            if code == dimension and start == period.start
        }

    total = figure("", "")
    total_count = total.numerator if total else 0
    panels = [_total_panel(query, figure), _origin_panel(query, figure, total_count)]
    for code in MIX:
        panels.append(_mix_panel(query, code, values(code), figure, total_count))
    for code in PER_SIDE:
        panels.append(_side_panel(query, code, values(composite("origin", code)), figure))
    panels.append(_rep_panel(query, values(composite("rep", "origin")), figure))
    return panels


def _total_panel(query: BoardQuery, figure) -> Panel:
    period, previous = query.period, query.period.shift(-1)
    panel = Panel(
        "total",
        _("SQLs"),
        [_("SQLs"), period.label, previous.label, _("Change")],
        help=_("SQLs handed from IS to FS in the period, against the period before, in total and per side."),
        chart=Chart("bar", [1, 2]),
    )
    if figure("", "") is None and figure("", "", previous.start) is None:
        return panel
    origin_labels = labels("origin", list(SIDES))
    for label, dimension, value in [(_("All SQLs"), "", ""), *((origin_labels[s], "origin", s) for s in SIDES)]:
        current, earlier = figure(dimension, value), figure(dimension, value, previous.start)
        panel.rows.append(
            [
                Cell(str(label)),
                count_cell(current, period_url("sqls", period, dimension=dimension, value=value)),
                count_cell(earlier, period_url("sqls", previous, dimension=dimension, value=value)),
                change_cell(current.numerator if current else 0, earlier.numerator if earlier else 0),
            ]
        )
    return panel


def _origin_panel(query: BoardQuery, figure, total: int) -> Panel:
    panel = Panel(
        "origin",
        _("Inbound and outbound"),
        [_("Inbound / outbound"), _("SQLs"), _("Share")],
        help=_("Passive SQLs (from inbound leads) against active ones (from outbound calling)."),
        chart=Chart("doughnut", [1]),
    )
    names = labels("origin", list(SIDES))
    counts = {}
    for side in SIDES:
        found = figure("origin", side)
        counts[side] = found.numerator if found else 0
        if found:
            panel.rows.append(
                [
                    Cell(names[side]),
                    count_cell(found, period_url("sqls", query.period, dimension="origin", value=side)),
                    share_cell(counts[side], total),
                ]
            )
    if counts["inbound"] and counts["outbound"]:
        panel.note = _("Inbound : outbound = %(ratio)s : 1") % {
            "ratio": f"{counts['inbound'] / counts['outbound']:.2f}"
        }
    return panel


def _titles(code: str) -> tuple[str, str]:
    """The titles of a breakdown's panel and of its per-side panel."""
    return {
        "service": (_("SQLs by service"), _("Inbound and outbound SQLs by service")),
        "size_band": (_("SQLs by company size"), _("Inbound and outbound SQLs by company size")),
        "area": (_("SQLs by area"), _("Inbound and outbound SQLs by area")),
        "deal_size_band": (_("SQLs by deal size"), _("Inbound and outbound SQLs by deal size")),
        "temperature": (_("SQLs by temperature"), _("Inbound and outbound SQLs by temperature")),
        "department": (_("SQLs by counterpart department"), ""),
        "title": (_("SQLs by counterpart title"), ""),
    }[code]


def _mix_panel(query: BoardQuery, code: str, counts: dict[str, int], figure, total: int) -> Panel:
    panel = Panel(
        f"mix-{code}",
        _titles(code)[0],
        [str(DIMENSIONS[code].label), _("SQLs"), _("Share")],
        help=_("The period's SQLs per value; each share is of all the period's SQLs."),
        chart=Chart("bar", [1], horizontal=code in FREE_TEXT),
    )
    order = ordered(code, counts)
    rest = 0
    if code in FREE_TEXT:
        named = [value for value in order if value]
        rest = sum(counts[value] for value in named[TOP:])
        order = named[:TOP] + ([""] if "" in counts else [])
    names = labels(code, order)
    for value in order:
        panel.rows.append(
            [
                Cell(names[value]),
                count_cell(figure(code, value), period_url("sqls", query.period, dimension=code, value=value)),
                share_cell(counts[value], total),
            ]
        )
    if rest:
        # The values folded into "Other" have no single list of records, so its count is not linked.
        panel.rows.insert(TOP, [Cell(_("Other")), Cell(f"{rest:,}", rest), share_cell(rest, total)])
        panel.note = _("The %(top)s most frequent values; “Other” is every other value together.") % {"top": TOP}
    return panel


def _side_panel(query: BoardQuery, code: str, counts: dict[str, int], figure) -> Panel:
    dimension = composite("origin", code)
    per_value: dict[str, dict[str, int]] = {}
    for key, count in counts.items():
        side, _sep, value = key.partition(COMPOSITE_SEPARATOR)
        per_value.setdefault(value, {})[side] = count
    totals = {value: sum(sides.values()) for value, sides in per_value.items()}
    order = ordered(code, totals)
    names = labels(code, order)
    side_totals = {side: figure("origin", side) for side in SIDES}
    panel = Panel(
        f"side-{code}",
        _titles(code)[1],
        [
            str(DIMENSIONS[code].label),
            _("Inbound SQLs"),
            _("Share of inbound"),
            _("Outbound SQLs"),
            _("Share of outbound"),
        ],
        help=_("Inbound and outbound SQLs broken down alike; each share is of that side's SQLs."),
        chart=Chart("bar", [1, 3]),
    )
    for value in order:
        row = [Cell(names[value])]
        for side in SIDES:
            key = composite(side, value)
            whole = side_totals[side]
            row += [
                count_cell(figure(dimension, key), period_url("sqls", query.period, dimension=dimension, value=key)),
                share_cell(counts.get(key, 0), whole.numerator if whole else 0),
            ]
        panel.rows.append(row)
    return panel


def _rep_panel(query: BoardQuery, counts: dict[str, int], figure) -> Panel:
    dimension = composite("rep", "origin")
    per_rep: dict[str, dict[str, int]] = {}
    for key, count in counts.items():
        rep, _sep, side = key.partition(COMPOSITE_SEPARATOR)
        per_rep.setdefault(rep, {})[side] = count
    names = labels("rep", list(per_rep))
    order = sorted(per_rep, key=lambda rep: (-sum(per_rep[rep].values()), names[rep]))
    panel = Panel(
        "reps",
        _("Passive and active SQLs per rep"),
        [_("IS rep"), _("Passive (inbound)"), _("Active (outbound)"), _("SQLs"), _("Share passive")],
        help=_("Each IS rep's SQLs from inbound leads (passive) and from outbound calling (active)."),
        chart=Chart("bar", [1, 2], stacked=True, horizontal=True),
        wide=True,
    )
    for rep in order:
        passive, active = per_rep[rep].get("inbound", 0), per_rep[rep].get("outbound", 0)
        row = [Cell(names[rep])]
        for side in SIDES:
            key = composite(rep, side)
            row.append(
                count_cell(figure(dimension, key), period_url("sqls", query.period, dimension=dimension, value=key))
            )
        row += [
            count_cell(figure("rep", rep), period_url("sqls", query.period, dimension="rep", value=rep)),
            share_cell(passive, passive + active),
        ]
        panel.rows.append(row)
    return panel
