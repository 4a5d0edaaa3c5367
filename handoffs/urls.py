from django.urls import path

from . import views

app_name = "handoffs"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("my-sqls/", views.sql_feedback_list, name="my_sqls"),
    path("<int:pk>/", views.handoff_detail, name="detail"),
    path("<int:pk>/accept/", views.handoff_accept_view, name="accept"),
    path("<int:pk>/reject/", views.handoff_reject_view, name="reject"),
    path("<int:pk>/feedback/", views.handoff_feedback_view, name="feedback"),
]
