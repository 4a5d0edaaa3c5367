from django import forms
from django.utils.translation import gettext_lazy as _

from org.models import User

from .models import LeadRecycle, RecycleReason, Temperature


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
