from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from handoffs.selectors import handoff_list
from leads.selectors import lead_list
from opportunities.selectors import opportunity_list

from .forms import PasswordChangeForm, add_service_error
from .selectors import api_token_list
from .services import api_token_create, api_token_revoke


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Tool"), max_length=100)


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


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user's API keys: create one per tool (the key is shown once) and revoke them."""
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            form = ApiTokenForm()
    context = {"form": form, "new_key": new_key, "tokens": api_token_list(user=request.user)}
    return render(request, "org/profile.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def token_revoke(request, pk):
    token = api_token_list(user=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("Key revoked: tools using it are refused from now on."))
    return redirect("profile")


class PasswordChangeView(auth_views.PasswordChangeView):
    """The password validators apply; the session stays (with a new key) and every other one ends."""

    form_class = PasswordChangeForm
    template_name = "org/password_change.html"
    success_url = reverse_lazy("profile")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Password changed. Other browsers signed in as you have been logged out."))
        return response
