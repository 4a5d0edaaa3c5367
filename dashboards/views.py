from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Alert
from .selectors import alert_list

PAGE_SIZE = 50


@login_required
@require_GET
def alerts(request):
    """Open alerts (or resolved ones) the user may see, by kind; each links to what it is about."""
    status = request.GET.get("status", Alert.Status.OPEN)
    if status not in Alert.Status.values:
        status = Alert.Status.OPEN
    kind = request.GET.get("kind", "")
    if kind not in Alert.Kind.values:
        kind = ""
    order = "-opened_at" if status == Alert.Status.OPEN else "-resolved_at"
    rows = alert_list(user=request.user, status=status, kind=kind).order_by(order, "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "statuses": Alert.Status.choices,
        "kinds": Alert.Kind.choices,
        "query": f"status={status}&kind={kind}",
    }
    return render(request, "dashboards/alerts.html", context)
