from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.api import error_body
from org import views as org_views
from org.forms import LoginForm

urlpatterns = [
    path("", org_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("leads/", include("leads.urls")),
    path("handoffs/", include("handoffs.urls")),
    path("deals/", include("opportunities.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("profile/", org_views.profile, name="profile"),
    path("profile/password/", org_views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/tokens/<int:pk>/revoke/", org_views.token_revoke, name="token_revoke"),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", org_views.health, name="health"),
    path("admin/", admin.site.urls),
]


def not_found(request, exception):
    """API clients get the API's error format even for a URL no route matches (e.g. an id like 0.5)."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return page_not_found(request, exception)


handler404 = not_found
