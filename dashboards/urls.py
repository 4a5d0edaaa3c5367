from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.board, name="funnel"),
    path("records/", views.records, name="records"),
    path("planner/", views.planner, name="planner"),
    path("alerts/", views.alerts, name="alerts"),
    path("<slug:key>/", views.board, name="board"),
]
