from django.urls import path

from complaints import views_evaluations as views

urlpatterns = [
    path("evaluate/done/", views.evaluation_thanks, name="evaluation_thanks"),
    path("evaluate/<str:token>/", views.evaluate, name="evaluate"),
    path("tickets/<str:reference>/evaluation/", views.evaluation_phone, name="evaluation_phone"),
    path("tickets/<str:reference>/evaluation/link/", views.evaluation_link_new, name="evaluation_link_new"),
    path("evaluations/", views.evaluation_summary_page, name="evaluation_summary"),
]
