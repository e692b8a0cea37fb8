from django.urls import path

from complaints import views_stats

urlpatterns = [
    path("stats/", views_stats.complaint_stats, name="complaint_stats"),
    path("stats/recompute/", views_stats.complaint_stats_recompute, name="complaint_stats_recompute"),
    path("suggestions/", views_stats.suggestion_counts, name="suggestion_counts"),
    path("suggestions/<str:reference>/", views_stats.suggestion_detail, name="suggestion_detail"),
]
