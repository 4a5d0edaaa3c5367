from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leads.views import get_workable_lead, lead_action_done, lead_action_failed
from org.models import User

from .forms import SqlHandoffForm
from .selectors import fs_rep_suggestions
from .services import handoff_create_sql


@login_required
@require_POST
def lead_handoff(request, pk):
    """Hands the lead to FS as an SQL. A double click returns the handoff the first click made."""
    lead = get_workable_lead(request, pk)
    reps = fs_rep_suggestions(size_band=lead.company.size_band, today=timezone.localdate())
    form = SqlHandoffForm(request.POST, reps=reps)
    if not form.is_valid():
        return lead_action_failed(request, lead, "handoff_form", form)
    data = form.cleaned_data
    try:
        handoff = handoff_create_sql(
            lead=lead,
            actor=request.user,
            to_user=User.objects.get(pk=data["to_user"]),
            heard=data["heard"],
            why_now=data["why_now"],
            decision_process=data["decision_process"],
            to_confirm=data["to_confirm"],
            service=data["service"],
            capacity_override_reason=data["capacity_override_reason"],
        )
    except ValidationError as error:
        return lead_action_failed(request, lead, "handoff_form", form, error)
    return lead_action_done(request, lead, _("Handed to %(rep)s as an SQL.") % {"rep": handoff.to_user})
