from django import forms
from django.utils.translation import gettext_lazy as _

from org.models import User

from .models import Campaign, CampaignEmailRequest, LeadRecycle, MqlRejectReason, MqlReview, RecycleReason, Temperature


class DateInput(forms.DateInput):
    input_type = "date"


class LeadActionForm(forms.Form):
    """The lead page holds several forms at once; each prefixes its element ids (not its field names)."""

    id_prefix = "action"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class RecycleForm(LeadActionForm):
    """Minimal on purpose: a picklist reason, when (a day or month+week), who and how."""

    id_prefix = "recycle"

    reason = forms.ModelChoiceField(
        label=_("Recycle reason"), queryset=RecycleReason.objects.filter(is_active=True), empty_label="—"
    )
    approach_on = forms.DateField(label=_("Approach again on"), required=False, widget=DateInput)
    month = forms.TypedChoiceField(
        label=_("or month"),
        choices=[("", "—"), *[(m, str(m)) for m in range(1, 13)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    week = forms.TypedChoiceField(
        label=_("week"),
        choices=[("", "—"), *[(w, str(w)) for w in range(1, 7)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    assignee = forms.ModelChoiceField(
        label=_("Who approaches"), queryset=User.objects.none(), required=False, empty_label=_("The lead's owner")
    )
    method = forms.ChoiceField(label=_("How"), choices=LeadRecycle.Method.choices, initial=LeadRecycle.Method.CALL)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            role=User.Role.IS, is_active=True, **({"team": team} if team else {})
        )


class BantForm(LeadActionForm):
    id_prefix = "bant"
    budget = forms.CharField(label=_("Budget"), max_length=300, required=False)
    authority = forms.CharField(label=_("Authority"), max_length=300, required=False)
    needs = forms.CharField(label=_("Needs"), max_length=500, required=False)
    timeframe = forms.CharField(label=_("Timeframe"), max_length=300, required=False)
    temperature = forms.ChoiceField(
        label=_("Temperature"),
        choices=[("", _("Work it out from BANT")), *Temperature.choices],
        required=False,
        widget=forms.RadioSelect,
    )


class NurtureForm(LeadActionForm):
    id_prefix = "nurture"
    reason = forms.CharField(label=_("Why nurture"), max_length=300)
    next_approach_on = forms.DateField(label=_("Check back on"), widget=DateInput)


class DisqualifyForm(LeadActionForm):
    id_prefix = "disqualify"
    reason = forms.CharField(label=_("Why disqualify"), max_length=300)


class MqlReviewForm(LeadActionForm):
    id_prefix = "mql"
    verdict = forms.ChoiceField(label=_("Verdict"), choices=MqlReview.Verdict.choices, widget=forms.RadioSelect)
    reason = forms.ModelChoiceField(
        label=_("Why not a fit"),
        queryset=MqlRejectReason.objects.filter(is_active=True),
        required=False,
        empty_label="—",
    )
    note = forms.CharField(label=_("Note for Marketing"), max_length=500, required=False)


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        return value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "strftime") else value


class CampaignEmailRequestForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=CampaignEmailRequest.SUBJECT_MAX)
    body = forms.CharField(
        label=_("Body"), max_length=CampaignEmailRequest.BODY_MAX, widget=forms.Textarea(attrs={"rows": 12})
    )
    recipient_list = forms.CharField(
        label=_("Recipient list"),
        max_length=CampaignEmailRequest.LIST_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who receives it: the list or segment, e.g. trade-show leads of 2026 not yet in a deal."),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.filter(is_active=True), required=False, empty_label="—"
    )
    desired_send_on = forms.DateField(label=_("Desired send date"), widget=DateInput)
    desired_send_time = forms.TimeField(label=_("Desired time"), required=False, widget=TimeInput)


class EmailRequestScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(label=_("Send at"), widget=DateTimeInput)


class EmailRequestDeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why decline"), max_length=500)


class QualityPeriodForm(forms.Form):
    """The period of the MQL quality page: leads that arrived from ``since`` to ``until``."""

    MAX_DAYS = 1100

    since = forms.DateField(label=_("From"), widget=DateInput)
    until = forms.DateField(label=_("To"), widget=DateInput)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until:
            if since > until:
                self.add_error("until", _("The end is before the start."))
            elif (until - since).days >= self.MAX_DAYS:
                self.add_error("since", _("At most %(days)s days at a time.") % {"days": self.MAX_DAYS})
        return data
