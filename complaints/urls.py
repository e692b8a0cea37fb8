from django.urls import include, path

from complaints import views

app_name = "complaints"

# The complaint file's pages come last: "<reference>/" would otherwise catch the fixed paths.
urlpatterns = [
    path("", include("complaints.urls_stats")),
    path("", include("complaints.urls_evaluations")),
    path("new/", views.accept, name="accept"),
    path("<str:reference>/", views.complaint_file, name="file"),
    path("<str:reference>/route/", views.route, name="route"),
    path("<str:reference>/report/", views.report, name="report"),
    path("<str:reference>/approve/", views.approve, name="approve"),
    path("<str:reference>/return-visit/", views.return_visit, name="return_visit"),
]
