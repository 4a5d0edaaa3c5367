from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.forms import DateInput, LeadActionForm
from leads.models import Origin

from .models import Activity, CallOutcome


def next_business_day(day):
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class LogActivityForm(LeadActionForm):
    """One submit per call: what happened, and when to approach next."""

    id_prefix = "log"

    kind = forms.ChoiceField(
        label=_("Kind"), choices=Activity.Kind.choices, initial=Activity.Kind.CALL, widget=forms.RadioSelect
    )
    direction = forms.ChoiceField(
        label=_("Direction"), choices=Origin.choices, initial=Origin.OUTBOUND, widget=forms.RadioSelect
    )
    connected = forms.TypedChoiceField(
        label=_("Connected"),
        choices=[("1", _("Connected")), ("0", _("Not connected"))],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    effective_conversation = forms.BooleanField(label=_("Effective conversation"), required=False)
    outcome = forms.ModelChoiceField(
        label=_("Outcome"), queryset=CallOutcome.objects.filter(is_active=True), required=False, empty_label="—"
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    next_approach_on = forms.DateField(label=_("Next approach"), required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("next_approach_on", next_business_day(timezone.localdate()))

    def clean(self):
        data = super().clean()
        kind, connected = data.get("kind"), data.get("connected")
        if kind == Activity.Kind.CALL and connected is None:
            self.add_error("connected", _("Say whether the call connected."))
        if data.get("effective_conversation") and kind == Activity.Kind.CALL and connected is False:
            self.add_error("effective_conversation", _("An effective conversation needs a connected call."))
        if kind == Activity.Kind.MAIL and data.get("effective_conversation"):
            self.add_error("effective_conversation", _("A mail is not a conversation."))
        next_on = data.get("next_approach_on")
        if next_on is not None and next_on < timezone.localdate():
            self.add_error("next_approach_on", _("The date is in the past."))
        return data
