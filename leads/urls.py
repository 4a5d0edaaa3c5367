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
    path("<int:pk>/delete/", views.lead_delete_view, name="delete"),
    path("companies/<int:pk>/delete/", views.company_delete_view, name="company_delete"),
    path("trash/", views.trash, name="trash"),
    path("trash/<slug:kind>/<int:pk>/restore/", views.trash_restore, name="trash_restore"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("imports/<int:pk>/columns/", views.import_columns, name="import_columns"),
    path("imports/<int:pk>/file/", views.import_file, name="import_file"),
    path("imports/<int:pk>/run/", views.import_run, name="import_run"),
    path("imports/<int:pk>/errors.csv", views.import_errors_csv, name="import_errors"),
    path("<int:pk>/checkpoints/<int:checkpoint_pk>/", views.lead_checkpoint_view, name="checkpoint"),
    path("<int:pk>/mql-review/", views.lead_mql_review_view, name="mql_review"),
    path("quality/", views.mql_quality_view, name="mql_quality"),
    path("mail-requests/", views.email_request_list, name="email_requests"),
    path("mail-requests/new/", views.email_request_create, name="email_request_new"),
    path("mail-requests/<int:pk>/", views.email_request_detail, name="email_request"),
    path("mail-requests/<int:pk>/<slug:action>/", views.email_request_action, name="email_request_action"),
]
