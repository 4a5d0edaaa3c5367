from django.urls import path

from activities.views import lead_log_activity
from handoffs.views import lead_handoff

from . import views

app_name = "leads"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("distribution/", views.distribution, name="distribution"),
    path("distribution/reps/<int:pk>/shift/", views.rep_shift, name="rep_shift"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/log/", lead_log_activity, name="log"),
    path("<int:pk>/recycle/", views.lead_recycle_view, name="recycle"),
    path("<int:pk>/bant/", views.lead_bant_view, name="bant"),
    path("<int:pk>/nurture/", views.lead_nurture_view, name="nurture"),
    path("<int:pk>/disqualify/", views.lead_disqualify_view, name="disqualify"),
    path("<int:pk>/handoff/", lead_handoff, name="handoff"),
]
