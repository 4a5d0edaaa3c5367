from django import forms
from django.utils.translation import gettext_lazy as _

from org.models import Team, User

from .imports import FIELDS
from .models import (
    Campaign,
    CampaignEmailRequest,
    ImportJob,
    ImportMapping,
    LeadRecycle,
    LeadSource,
    MqlRejectReason,
    MqlReview,
    Origin,
    RecycleReason,
    Temperature,
)


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


# -- lead import ------------------------------------------------------------------------------------------


def _is_teams():
    return Team.objects.filter(kind__in=Team.IS_KINDS)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"), help_text=_("CSV in UTF-8 or Shift_JIS (Excel's default), or .xlsx.")
    )
    source = forms.ModelChoiceField(label=_("Lead source"), queryset=LeadSource.objects.filter(is_active=True))
    mapping = forms.ModelChoiceField(
        label=_("Saved column mapping"),
        queryset=ImportMapping.objects.select_related("source"),
        required=False,
        empty_label=_("Guess from the headings"),
    )
    team = forms.ModelChoiceField(
        label=_("IS team whose pool gets the leads"),
        queryset=None,
        required=False,
        empty_label=_("The mapping's team (or none)"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = _is_teams()


class ImportFileForm(forms.Form):
    file = forms.FileField(label=_("Corrected file"))


class ImportColumnsForm(forms.Form):
    """One choice per lead field: which of the file's columns holds it (or none)."""

    origin = forms.ChoiceField(
        label=_("Origin"), choices=[("", _("From the lead source")), *Origin.choices], required=False
    )
    team = forms.ModelChoiceField(
        label=_("IS team whose pool gets the leads"), queryset=None, required=False, empty_label=_("None")
    )
    save_as = forms.CharField(
        label=_("Save this mapping for the source as"),
        max_length=100,
        required=False,
        help_text=_("The next file of this source starts from it."),
    )

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = _is_teams()
        choices = [("", _("— not in the file —")), *[(h, h) for h in headers]]
        column_fields = {
            f"col_{f.name}": forms.ChoiceField(
                label=f"{f.label}{' *' if f.required else ''}", choices=choices, required=False
            )
            for f in FIELDS
        }
        self.fields = {**column_fields, **self.fields}

    def columns(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }

    @staticmethod
    def initial_for(job) -> dict:
        return {
            **{f"col_{name}": heading for name, heading in job.columns.items()},
            "origin": job.origin,
            "team": job.team_id,
            "save_as": job.mapping.name if job.mapping else "",
        }


class ImportRunForm(forms.Form):
    mode = forms.ChoiceField(choices=ImportJob.Mode.choices)


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
