from django.urls import path

from tickets.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard_home, name="home"),
    path("<slug:slug>/", views.dashboard_page, name="page"),
]
