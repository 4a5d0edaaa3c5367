from django import forms
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from activities.forms import LogActivityForm
from leads.forms import DateInput, LeadActionForm
from leads.geography import PREFECTURE_CHOICES
from leads.models import RecycleReason
from org.models import User

from .models import CSAccount, LostReason, Opportunity, Phase, Service
from .services import CS_EDITABLE_FIELDS, EDITABLE_FIELDS

# Reasons the system records by itself; a rep closing a deal picks from the others.
SYSTEM_LOST_REASONS = ("sql_rejected", "sent_back")
DATE_FIELDS = ("first_meeting_on", "expected_close_on", "contract_on", "next_action_on")


class DealForm(LeadActionForm):
    """The deal's editable fields plus, optionally, the open phase to move it into; one submit."""

    id_prefix = "deal"

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        kwargs.setdefault("initial", model_to_dict(opportunity, fields=EDITABLE_FIELDS))
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(Opportunity, fields=EDITABLE_FIELDS))
        for name in DATE_FIELDS:
            self.fields[name].widget = DateInput()
        self.fields["service"].queryset = Service.objects.filter(is_active=True)
        self.fields["next_action_on"].required = True
        self.fields["to_phase"] = forms.ModelChoiceField(
            label=_("Move to phase"),
            queryset=Phase.objects.filter(is_active=True, outcome=Phase.Outcome.OPEN).exclude(pk=opportunity.phase_id),
            required=False,
            empty_label=_("Stay in %(phase)s") % {"phase": opportunity.phase},
        )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}


class LoseForm(LeadActionForm):
    id_prefix = "lose"
    lost_reason = forms.ModelChoiceField(
        label=_("Lost reason"),
        queryset=LostReason.objects.filter(is_active=True).exclude(code__in=SYSTEM_LOST_REASONS),
        empty_label="—",
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class WinForm(LeadActionForm):
    id_prefix = "win"
    amount = forms.IntegerField(label=_("Contract amount (JPY)"), min_value=1)
    contract_on = forms.DateField(label=_("Contract date"), widget=DateInput)
    cs_owner = forms.ModelChoiceField(
        label=_("CS rep"), queryset=User.objects.filter(role=User.Role.CS, is_active=True), empty_label="—"
    )
    renewal_on = forms.DateField(
        label=_("Renewal date"), required=False, widget=DateInput, help_text=_("Empty: one year after the contract.")
    )


class SendBackForm(LeadActionForm):
    id_prefix = "sendback"
    reason = forms.CharField(label=_("Why it goes back"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    recycle_reason = forms.ModelChoiceField(
        label=_("Recycle reason"), queryset=RecycleReason.objects.filter(is_active=True), empty_label="—"
    )
    approach_on = forms.DateField(label=_("IS approaches again on"), required=False, widget=DateInput)
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


class DealActivityForm(LogActivityForm):
    """Logging on a deal keeps its stagnation clock honest; the lead's next approach does not apply."""

    id_prefix = "dealact"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["next_approach_on"]


class SglForm(forms.Form):
    """A deal FS found on its own (SGL): the company by name (found or created) and the deal's basics."""

    company_name = forms.CharField(label=_("Company"), max_length=200)
    employee_count = forms.IntegerField(label=_("Employees"), min_value=1, required=False)
    prefecture = forms.ChoiceField(label=_("Prefecture"), choices=[("", "—"), *PREFECTURE_CHOICES], required=False)
    name = forms.CharField(label=_("Deal name"), max_length=200)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.filter(is_active=True), required=False, empty_label="—"
    )
    amount = forms.IntegerField(label=_("Amount (JPY)"), min_value=0, required=False)
    next_action_on = forms.DateField(label=_("Next action date"), widget=DateInput)


class CSAccountForm(forms.ModelForm):
    class Meta:
        model = CSAccount
        fields = CS_EDITABLE_FIELDS
        widgets = {
            "renewal_on": DateInput(),
            "success_definition": forms.Textarea(attrs={"rows": 3}),
            "expansion_notes": forms.Textarea(attrs={"rows": 3}),
        }


class ExpansionDealForm(forms.Form):
    """An upsell or cross-sell chance CS found, started as a sales-generated deal for an FS rep."""

    owner = forms.ModelChoiceField(
        label=_("FS rep"), queryset=User.objects.filter(role=User.Role.FS, is_active=True), empty_label="—"
    )
    name = forms.CharField(label=_("Deal name"), max_length=200)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.filter(is_active=True), required=False, empty_label="—"
    )
    amount = forms.IntegerField(label=_("Amount (JPY)"), min_value=0, required=False)
    next_action_on = forms.DateField(label=_("Next action date"), widget=DateInput)
