"""What every dashboard is made of: the period and filters it is read for, panels of cells (the same cells
give the table, the chart and the CSV download), and links from each number to the records behind it.

A board reads the summary tables only (``dashboards.selectors``), never the facts: a handful of queries
whatever the size of the history.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any
from urllib.parse import quote_plus

from django import forms
from django.http import HttpResponse
from django.urls import reverse
from django.utils import formats
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from org.models import Team
from org.spreadsheet import SafeWriter

from ..metrics import METRICS
from ..models import Grain, MetricValue
from ..rollup import period_end, period_start
from ..selectors import Figure, dimension_labels

# --- Periods ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One day, ISO week or month of the company's calendar."""

    grain: str
    start: date

    @classmethod
    def containing(cls, grain: str, day: date) -> "Period":
        return cls(grain, period_start(grain, day))

    @property
    def end(self) -> date:
        return period_end(self.grain, self.start)

    def shift(self, periods: int) -> "Period":
        if self.grain == Grain.DAY:
            return Period(self.grain, self.start + timedelta(days=periods))
        if self.grain == Grain.WEEK:
            return Period(self.grain, self.start + timedelta(weeks=periods))
        month = self.start.year * 12 + self.start.month - 1 + periods
        return Period(self.grain, date(month // 12, month % 12 + 1, 1))

    def back(self, periods: int) -> list["Period"]:
        """This period and the ``periods - 1`` before it, oldest first."""
        return [self.shift(-n) for n in range(periods - 1, -1, -1)]

    @property
    def label(self) -> str:
        if self.grain == Grain.DAY:
            return formats.date_format(self.start, "Y-m-d (D)")
        if self.grain == Grain.WEEK:
            year, week, _weekday = self.start.isocalendar()
            return f"{year}-W{week:02d} ({self.start:%m/%d}–{self.end:%m/%d})"
        return f"{self.start:%Y-%m}"

    @property
    def short_label(self) -> str:
        if self.grain == Grain.DAY:
            return f"{self.start:%m/%d}"
        if self.grain == Grain.WEEK:
            return f"W{self.start.isocalendar()[1]:02d}"
        return f"{self.start:%Y-%m}"


# How many periods a trend chart shows, per grain.
TREND_PERIODS = {Grain.DAY: 14, Grain.WEEK: 12, Grain.MONTH: 12}


PERIOD_RANGE = (date(1900, 1, 1), date(2999, 12, 31))


class BoardForm(forms.Form):
    """The query string of a board. Bad values are reported on the page and the defaults used instead."""

    grain = forms.ChoiceField(label=_("Grain"), choices=Grain.choices, required=False)
    period = forms.DateField(label=_("Period"), required=False, help_text=_("Any day of the period."))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.filter(kind__in=Team.IS_KINDS), required=False, empty_label=_("All")
    )

    def clean_period(self):
        """A board shows the periods before and after the one asked for: the calendar's first and last years
        have none (Python's dates end at year 1 and 9999)."""
        period = self.cleaned_data["period"]
        if period is not None and not PERIOD_RANGE[0] <= period <= PERIOD_RANGE[1]:
            raise forms.ValidationError(
                _("Choose a day between %(first)s and %(last)s.") % {"first": PERIOD_RANGE[0], "last": PERIOD_RANGE[1]},
                code="period_range",
            )
        return period


@dataclass(frozen=True)
class BoardQuery:
    period: Period
    today: date
    team: Team | None = None

    @property
    def grain(self) -> str:
        return self.period.grain

    @property
    def team_key(self) -> str:
        return str(self.team.pk) if self.team else ""

    def trend(self) -> list[Period]:
        return self.period.back(TREND_PERIODS[self.grain])


# --- Cells and panels ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One number or label: ``text`` is shown, ``value`` goes to the CSV and the chart, ``url`` is where the
    number's records are."""

    text: str
    value: Any = None
    url: str = ""
    css: str = ""

    @property
    def csv_value(self) -> Any:
        return self.text if self.value is None else self.value


@dataclass
class Chart:
    """A Chart.js chart drawn from the panel's own rows: one dataset per listed column."""

    kind: str  # bar, line, doughnut
    columns: list[int]
    stacked: bool = False
    horizontal: bool = False
    percent: bool = False


@dataclass
class Panel:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    help: str = ""
    chart: Chart | None = None
    note: str = ""
    wide: bool = False
    # Long tables show their first rows on the page; the CSV download holds them all.
    max_rows: int | None = None

    @property
    def shown_rows(self) -> list[list[Cell]]:
        return self.rows if self.max_rows is None else self.rows[: self.max_rows]

    @property
    def hidden_rows(self) -> int:
        return len(self.rows) - len(self.shown_rows)

    @property
    def rows_html(self) -> str:
        """The figures table's rows. Built here rather than with template tags: a board shows thousands of
        cells, and the template engine spent most of a page's time on them."""
        rows = []
        for head, *cells in self.shown_rows:
            figures_html = "".join(f'<td class="num {escape(cell.css)}">{_cell_html(cell)}</td>' for cell in cells)
            rows.append(f'<tr><th scope="row">{_cell_html(head)}</th>{figures_html}</tr>')
        return mark_safe("\n".join(rows))  # every text and link is escaped above

    def chart_data(self) -> dict | None:
        if self.chart is None or not self.rows:
            return None
        return {
            "kind": self.chart.kind,
            "stacked": self.chart.stacked,
            "horizontal": self.chart.horizontal,
            "percent": self.chart.percent,
            "labels": [row[0].text for row in self.shown_rows],
            "datasets": [
                {
                    "label": self.columns[index],
                    "data": [_chart_number(row[index].value, self.chart.percent) for row in self.shown_rows],
                }
                for index in self.chart.columns
            ],
        }


def _cell_html(cell: Cell) -> str:
    text = escape(cell.text)
    return f'<a href="{escape(cell.url)}">{text}</a>' if cell.url else text


def _chart_number(value, percent: bool):
    if value is None or isinstance(value, str):
        return None
    return round(value * 100, 1) if percent else value


def panel_csv(panel: Panel, filename: str) -> HttpResponse:
    """The panel's rows as CSV, UTF-8 with a byte-order mark so that Excel opens Japanese text correctly."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")
    writer = SafeWriter(response)
    writer.writerow(panel.columns)
    for row in panel.rows:
        writer.writerow([cell.csv_value for cell in row])
    return response


# --- Numbers ------------------------------------------------------------------------------------------------


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def yen(value: int | None) -> str:
    return "—" if value is None else f"¥{value:,}"


def number_cell(value: int | None, url: str = "") -> Cell:
    """A count, linked to its records unless it is zero."""
    value = value or 0
    return Cell(number(value), value, url if value else "")


def count_cell(figure: Figure | None, url: str = "") -> Cell:
    return number_cell(figure.numerator if figure else 0, url)


def share_cell(part: int, whole: int | None) -> Cell:
    share = ratio(part, whole)
    return Cell(percent(share), None if share is None else round(share, 4), css="rate")


def rate_cell(figure: Figure | None, url: str = "") -> Cell:
    value = figure.value if figure else None
    css = "" if value is None else "rate"
    text = percent(value)
    if figure is not None and figure.denominator:
        return Cell(text, round(value, 4), url if figure.numerator else "", css)
    return Cell(text, None, "", css)


def yen_cell(figure: Figure | None, url: str = "") -> Cell:
    value = figure.numerator if figure else 0
    return Cell(yen(value), value, url if value else "")


def ratio(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


def change_cell(current: float | None, previous: float | None) -> Cell:
    """Change against the previous period, as a percentage of it."""
    if current is None or not previous:
        return Cell("—", None)
    change = (current - previous) / previous
    sign = "+" if change > 0 else ""
    return Cell(f"{sign}{change * 100:.1f} %", round(change, 4), css="up" if change > 0 else "down" if change else "")


# --- Reading the summary tables ---------------------------------------------------------------------------

FigureKey = tuple[str, date, str]


def figures(
    *, grain: str, starts: Iterable[date], metrics: Iterable[str], dimension: str = ""
) -> dict[FigureKey, Figure]:
    """(metric, period start, dimension value) → Figure for the given periods, in one query."""
    rows = MetricValue.objects.filter(
        grain=grain, period_start__in=list(starts), metric__in=list(metrics), dimension=dimension
    ).values_list("metric", "period_start", "dim_value", "numerator", "denominator")
    return {
        (metric, start, value): Figure(metric, dimension, value, numerator, denominator)
        for metric, start, value, numerator, denominator in rows
    }


BreakdownKey = tuple[str, date, str, str]


def breakdowns(
    *, grain: str, starts: Iterable[date], metrics: Iterable[str], dimensions: Iterable[str]
) -> dict[BreakdownKey, Figure]:
    """(metric, period start, dimension, value) → Figure for several breakdowns of the given periods, in one
    query."""
    rows = MetricValue.objects.filter(
        grain=grain, period_start__in=list(starts), metric__in=list(metrics), dimension__in=list(dimensions)
    ).values_list("metric", "period_start", "dimension", "dim_value", "numerator", "denominator")
    return {
        (metric, start, dimension, value): Figure(metric, dimension, value, numerator, denominator)
        for metric, start, dimension, value, numerator, denominator in rows
    }


def labels(dimension: str, values: Iterable[str]) -> dict[str, str]:
    """Display labels of a breakdown's values, "Not set" for the facts without one."""
    found = dimension_labels(dimension, list(values))
    return found | ({"": _t("Not set")} if "" in found else {})


def metric_label(code: str) -> str:
    return str(METRICS[code].label)


# --- Links to the records -----------------------------------------------------------------------------------


@cache
def _records_path() -> str:
    return reverse("dashboards:records")


def records_url(metric: str, first: date, last: date, *, dimension: str = "", value: str = "") -> str:
    """The records behind a figure (a ratio's: its numerator's)."""
    definition = METRICS[metric]
    code = definition.numerator if definition.is_ratio else metric
    # Written out rather than urlencode()d: a board links thousands of figures, and metric codes and ISO
    # dates need no quoting; breakdown codes and values are quoted as urlencode would.
    query = f"metric={code}&since={first.isoformat()}&until={last.isoformat()}"
    if dimension:
        query += f"&dimension={quote_plus(dimension)}&value={quote_plus(value)}"
    return f"{_records_path()}?{query}"


def period_url(metric: str, period: Period, *, dimension: str = "", value: str = "") -> str:
    return records_url(metric, period.start, period.end, dimension=dimension, value=value)


# --- Boards -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Board:
    key: str
    title: Any
    description: Any
    build: Callable[[BoardQuery], list[Panel]]
    grains: tuple[str, ...] = (Grain.DAY, Grain.WEEK, Grain.MONTH)
    default_grain: str = Grain.MONTH
    uses_team: bool = False
    uses_period: bool = True


def label_cell(text: str, url: str = "") -> Cell:
    return Cell(str(text), str(text), url)


def empty_note() -> str:
    return _t("No figures for this period yet.")
