from datetime import date
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

RATE_FIELDS = ("win_rate", "meeting_rate", "opportunity_rate", "lead_rate")


class MonthField(forms.DateField):
    """A month typed as YYYY-MM (the browser's month picker); cleaned to its first day."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


def percent_field(label, help_text=""):
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={
            "min_value": _("Give a rate above 0 %%."),
            "max_value": _("A rate cannot exceed 100 %%."),
        },
    )


class KpiPlanForm(forms.Form):
    """The planner's inputs; rates are typed in percent and handed to the service as fractions of 1."""

    month = MonthField(label=_("Month"))
    revenue_budget = forms.IntegerField(label=_("Revenue budget (JPY)"), min_value=0, max_value=10**15)
    deal_size = forms.IntegerField(
        label=_("Average deal size (JPY)"),
        min_value=1,
        max_value=10**15,
        error_messages={"min_value": _("The average deal size must be above ¥0.")},
    )
    win_rate = percent_field(_("Win rate (%)"), _("Meetings → wins."))
    meeting_rate = percent_field(_("Meeting rate (%)"), _("Opportunities (SQLs) → meetings (valid opportunities)."))
    opportunity_rate = percent_field(_("Opportunity rate (%)"), _("Leads → opportunities (SQLs)."))
    lead_rate = percent_field(_("Lead acquisition rate (%)"), _("Visitors → leads."))

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "month": data["month"],
            "revenue_budget": data["revenue_budget"],
            "deal_size": data["deal_size"],
            **{name: data[name] / 100 for name in RATE_FIELDS},
        }

    @staticmethod
    def initial_for(*, month: date, plan, trailing: dict) -> dict:
        """The month's saved plan, else the trailing actual rates (in percent) as a starting point; a rate of 0
        is no starting point (the plan divides by it)."""
        if plan is not None:
            return {
                "month": month,
                "revenue_budget": plan.revenue_budget,
                "deal_size": plan.deal_size,
                **{name: (getattr(plan, name) * 100).normalize() for name in RATE_FIELDS},
            }
        return {
            "month": month,
            **{name: (rate * 100).quantize(Decimal("0.01")) for name, rate in trailing.items() if rate},
        }
