from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from org import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("leads/", include("leads.urls")),
    path("handoffs/", include("handoffs.urls")),
    path("deals/", include("opportunities.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", org_views.health, name="health"),
    path("admin/", admin.site.urls),
]
