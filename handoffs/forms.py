from django import forms
from django.utils.translation import gettext_lazy as _

from leads.forms import LeadActionForm
from opportunities.models import Service

from .models import Handoff


class SqlHandoffForm(LeadActionForm):
    """The handoff note's template: it keeps the background of the decision, not only the result."""

    id_prefix = "handoff"

    to_user = forms.TypedChoiceField(label=_("FS rep"), coerce=int, choices=())
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.filter(is_active=True), required=False, empty_label="—"
    )
    heard = forms.CharField(label=_("What was heard"), widget=forms.Textarea(attrs={"rows": 3}))
    why_now = forms.CharField(label=_("Why now"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    decision_process = forms.CharField(
        label=_("Decision maker and process"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    to_confirm = forms.CharField(
        label=_("What FS must confirm"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    capacity_override_reason = forms.CharField(
        label=_("Reason to go over capacity"),
        required=False,
        max_length=300,
        help_text=_("Only when the chosen rep is at capacity."),
    )

    def __init__(self, *args, reps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reps = list(reps)
        self.fields["to_user"].choices = [("", "—"), *[(rep.pk, rep_label(rep)) for rep in self.reps]]
        suggested = next((rep for rep in self.reps if not rep.at_capacity), None)
        if suggested is not None and not self.is_bound:
            self.initial.setdefault("to_user", suggested.pk)


def rep_label(rep) -> str:
    load = (
        _("%(count)s SQLs this month, no limit") % {"count": rep.sql_count}
        if rep.capacity is None
        else _("%(count)s/%(limit)s this month") % {"count": rep.sql_count, "limit": rep.capacity}
    )
    team = f" · {rep.team}" if rep.team else ""
    full = f" · {_('at capacity')}" if rep.at_capacity else ""
    return f"{rep.display_name}{team} · {load}{full}"


class RejectForm(LeadActionForm):
    id_prefix = "reject"
    reason = forms.CharField(label=_("Why reject"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class FeedbackForm(LeadActionForm):
    """Did the first meeting go as the handoff note promised?"""

    id_prefix = "feedback"
    feedback = forms.ChoiceField(
        label=_("Did the meeting go as the note promised?"), choices=Handoff.Feedback.choices, widget=forms.RadioSelect
    )
    feedback_reason = forms.CharField(label=_("What differed"), max_length=500, required=False)
