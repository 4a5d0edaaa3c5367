from django.urls import path

from . import views

app_name = "opportunities"
urlpatterns = [
    path("", views.deal_list, name="list"),
    path("board/", views.deal_board, name="board"),
    path("new/", views.deal_create_sgl, name="create"),
    path("<int:pk>/", views.deal_detail, name="detail"),
    path("<int:pk>/update/", views.deal_update, name="update"),
    path("<int:pk>/lose/", views.deal_lose, name="lose"),
    path("<int:pk>/win/", views.deal_win, name="win"),
    path("<int:pk>/send-back/", views.deal_send_back, name="send_back"),
    path("<int:pk>/log/", views.deal_log_activity, name="log"),
    path("<int:pk>/delete/", views.deal_delete, name="delete"),
    path("cs/", views.cs_account_index, name="cs_list"),
    path("cs/<int:pk>/", views.cs_account_detail, name="cs_detail"),
    path("cs/<int:pk>/expand/", views.cs_account_expand, name="cs_expand"),
]
