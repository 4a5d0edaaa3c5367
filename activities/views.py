from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from leads.views import get_lead_or_404, get_workable_lead, lead_action_failed, lead_panels_context

from .forms import LogActivityForm
from .services import activity_log

# The parts of the lead page a logged call changes, swapped in place beside a fresh form.
OOB_PARTIALS = ("lead-header", "timeline", "queue-summary")


@login_required
@require_POST
def lead_log_activity(request, pk):
    lead = get_workable_lead(request, pk)
    form = LogActivityForm(request.POST)
    if not form.is_valid():
        return lead_action_failed(request, lead, "log_form", form)
    data = form.cleaned_data
    try:
        activity_log(
            actor=request.user,
            lead=lead,
            kind=data["kind"],
            direction=data["direction"],
            connected=data["connected"],
            effective_conversation=data["effective_conversation"],
            outcome=data["outcome"],
            note=data["note"],
            next_approach_on=data["next_approach_on"],
        )
    except ValidationError as error:
        return lead_action_failed(request, lead, "log_form", form, error)
    if not request.htmx:
        return HttpResponseRedirect(reverse("leads:detail", args=[lead.pk]))
    lead = get_lead_or_404(request.user, lead.pk)
    context = lead_panels_context(request, lead)
    context.update(logged=True, log_form=LogActivityForm())
    parts = [render_to_string("leads/lead_detail.html#log-form", context, request)]
    context["oob"] = True
    parts += [render_to_string(f"leads/lead_detail.html#{name}", context, request) for name in OOB_PARTIALS]
    return HttpResponse("".join(parts))
