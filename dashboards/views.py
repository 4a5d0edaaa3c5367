"""Dashboard pages: the boards (``dashboards.boards``), the records behind any figure, the KPI planner and
the alerts inbox. Boards and records are for the people who read the company's figures; htmx swaps the
board part when the grain, period or team changes."""

from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from .boards import BOARDS
from .boards.base import BoardForm, BoardQuery, Period, figures, panel_csv
from .forms import KpiPlanForm, MonthField
from .metrics import DIMENSIONS, METRICS, counted_metrics
from .models import Alert, DirtyDay, Grain, KpiPlan
from .planning import back_calculate, trailing_rates
from .records import record_rows, record_table
from .selectors import alert_list, can_read_metrics, dimension_labels, metric_records
from .services import kpi_plan_save, metrics_rollup_dirty

PAGE_SIZE = 50
# The longest range of days the records page lists (three years of history).
MAX_RECORD_DAYS = 1100


def metric_reader_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not can_read_metrics(request.user):
            raise PermissionDenied(_t("The dashboards are for managers, Marketing and administrators."))
        return view(request, *args, **kwargs)

    return wrapped


def _roll_up_pending() -> None:
    """Where no worker runs (a single-process setup), the figures are brought up to date when read."""
    if settings.METRICS_ROLLUP_ON_VIEW and DirtyDay.objects.exists():
        metrics_rollup_dirty()


@metric_reader_required
@require_GET
def board(request, key: str = "funnel"):
    board = BOARDS.get(key)
    if board is None:
        raise Http404
    form = BoardForm(request.GET or None)
    valid = form.is_valid()
    chosen = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    today = timezone.localdate()
    grain = chosen.get("grain") if chosen.get("grain") in board.grains else board.default_grain
    day = (chosen.get("period") if board.uses_period else None) or today
    team = chosen.get("team") if board.uses_team else None
    query = BoardQuery(Period.containing(grain, day), today, team)
    _roll_up_pending()
    panels = board.build(query)
    if "csv" in request.GET:
        panel = next((panel for panel in panels if panel.key == request.GET["csv"]), None)
        if panel is None:
            raise Http404
        return panel_csv(panel, f"{board.key}-{panel.key}-{query.period.start}")

    def link(**changes) -> str:
        params = {"grain": grain, "period": query.period.start.isoformat(), "team": query.team_key} | changes
        return "?" + urlencode({name: value for name, value in params.items() if value})

    context = {
        "boards": BOARDS.values(),
        "board": board,
        "query": query,
        "panels": panels,
        "form": form,
        "errors": []
        if valid or not request.GET
        else [f"{form[name].label}: {' '.join(e)}" for name, e in form.errors.items()],
        "grains": [
            (value, label, link(grain=value)) for value, label in form.fields["grain"].choices if value in board.grains
        ],
        "previous_url": link(period=query.period.shift(-1).start.isoformat()),
        "next_url": link(period=query.period.shift(1).start.isoformat()),
        "current_url": link(period=today.isoformat()),
        "teams": form.fields["team"].queryset,
        "self_url": link(),
    }
    template = "dashboards/board.html#board" if request.htmx and not request.htmx.boosted else "dashboards/board.html"
    return render(request, template, context)


class RecordsForm(forms.Form):
    metric = forms.ChoiceField(label=_("Metric"), choices=[(m.code, m.label) for m in counted_metrics()])
    since = forms.DateField(label=_("From"))
    until = forms.DateField(label=_("To"))
    dimension = forms.CharField(label=_("Breakdown"), required=False, max_length=50)
    value = forms.CharField(label=_("Value"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        metric, dimension = METRICS.get(data.get("metric") or ""), data.get("dimension")
        if metric and dimension and dimension not in metric.dimensions:
            self.add_error("dimension", _("%(metric)s is not broken down by that.") % {"metric": metric.label})
        since, until = data.get("since"), data.get("until")
        if since and until:
            if since > until:
                self.add_error("until", _("The end is before the start."))
            elif (until - since).days >= MAX_RECORD_DAYS:
                self.add_error("since", _("At most %(days)s days at a time.") % {"days": MAX_RECORD_DAYS})
        return data


@metric_reader_required
@require_GET
def records(request):
    """The records behind a figure: what the metric counts in the range, for one breakdown value or all."""
    form = RecordsForm(request.GET)
    if not form.is_valid():
        return render(request, "dashboards/records.html", {"form": form}, status=400)
    data = form.cleaned_data
    metric = METRICS[data["metric"]]
    found = metric_records(
        metric=metric.code,
        first=data["since"],
        last=data["until"],
        dimension=data["dimension"],
        dim_value=data["value"],
        today=timezone.localdate(),
    )
    page = Paginator(record_rows(found.rows), PAGE_SIZE).get_page(request.GET.get("page"))
    query = {key: request.GET[key] for key in ("metric", "since", "until", "dimension", "value") if key in request.GET}
    context = {
        "form": form,
        "metric": metric,
        "data": data,
        "value": found.value,
        "breakdown": DIMENSIONS[data["dimension"].split("|")[0]].label if data["dimension"] else "",
        "breakdown_value": dimension_labels(data["dimension"], [data["value"]])[data["value"]]
        if data["dimension"]
        else "",
        "table": record_table(page.object_list, found.rows.model),
        "page": page,
        "query": urlencode(query),
    }
    return render(request, "dashboards/records.html", context)


PLANNERS = ("manager", "admin")


@metric_reader_required
@require_http_methods(["GET", "POST"])
def planner(request):
    """The Model's back-calculation: inputs (rates default to the trailing 12 months' actuals), the stage
    counts they give, and saving them as the month's plan (managers and administrators)."""
    today = timezone.localdate()
    may_save = request.user.sees_everything or request.user.role in PLANNERS
    funnel = None
    if request.method == "POST":
        form = KpiPlanForm(request.POST)
        if form.is_valid():
            arguments = form.service_arguments()
            if request.POST.get("action") == "save":
                if not may_save:
                    raise PermissionDenied(_t("Only managers and administrators save plans."))
                try:
                    plan = kpi_plan_save(actor=request.user, **arguments)
                except ValidationError as error:
                    for field, problems in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, problems)
                else:
                    messages.success(request, _t("Plan for %(month)s saved.") % {"month": f"{plan.month:%Y-%m}"})
                    return redirect(f"{request.path}?month={plan.month:%Y-%m}")
            if form.is_valid():
                funnel = back_calculate(**{key: value for key, value in arguments.items() if key != "month"})
        month = form.cleaned_data.get("month") if hasattr(form, "cleaned_data") else None
    else:
        month = _month_asked(request.GET.get("month", "")) or today.replace(day=1)
        plan = KpiPlan.objects.filter(month=month).first()
        form = KpiPlanForm(
            initial=KpiPlanForm.initial_for(month=month, plan=plan, trailing=trailing_rates(today=today))
        )
    month = month or today.replace(day=1)
    plan = KpiPlan.objects.filter(month=month).first()
    context = {
        "boards": BOARDS.values(),
        "form": form,
        "funnel": funnel,
        "plan": plan,
        "month": month,
        "may_save": may_save,
        "actuals": _plan_actuals(month),
        "plans": KpiPlan.objects.order_by("-month")[:12],
    }
    return render(request, "dashboards/planner.html", context)


def _month_asked(text: str):
    try:
        return MonthField(required=False).clean(text)
    except ValidationError:
        return None


def _plan_actuals(month) -> dict[str, int]:
    found = figures(
        grain=Grain.MONTH, starts=[month], metrics=["leads", "sqls", "valid_opportunities", "won_deals", "won_amount"]
    )
    return {metric: figure.numerator for (metric, _start, _value), figure in found.items()}


@login_required
@require_GET
def alerts(request):
    """Open alerts (or resolved ones) the user may see, by kind; each links to what it is about."""
    status = request.GET.get("status", Alert.Status.OPEN)
    if status not in Alert.Status.values:
        status = Alert.Status.OPEN
    kind = request.GET.get("kind", "")
    if kind not in Alert.Kind.values:
        kind = ""
    order = "-opened_at" if status == Alert.Status.OPEN else "-resolved_at"
    rows = alert_list(user=request.user, status=status, kind=kind).order_by(order, "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "statuses": Alert.Status.choices,
        "kinds": Alert.Kind.choices,
        "query": f"status={status}&kind={kind}",
    }
    return render(request, "dashboards/alerts.html", context)
