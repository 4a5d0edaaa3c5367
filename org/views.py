from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from handoffs.selectors import handoff_list
from leads.selectors import lead_list
from opportunities.selectors import opportunity_list


@login_required
@require_GET
def home(request):
    user = request.user
    landing = {user.Role.IS: "leads:queue", user.Role.FS: "handoffs:inbox", user.Role.CS: "opportunities:cs_list"}
    if user.role in landing:
        return redirect(landing[user.role])
    context = {
        "lead_count": lead_list(user=user).count(),
        "handoff_count": handoff_list(user=user).count(),
        "opportunity_count": opportunity_list(user=user).count(),
    }
    return render(request, "org/home.html", context)


@require_GET
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
