from django.urls import path

from visits.views import renovation as views

urlpatterns = [
    path("<str:reference>/renovation/", views.renovation_page, name="renovation"),
    path("<str:reference>/renovation/workers/", views.renovation_worker_add, name="renovation_worker_add"),
    path(
        "<str:reference>/renovation/workers/<int:pk>/photo/",
        views.renovation_worker_photo,
        name="renovation_worker_photo",
    ),
    path(
        "<str:reference>/renovation/workers/<int:pk>/photo/file/",
        views.renovation_worker_photo_file,
        name="renovation_worker_photo_file",
    ),
    path(
        "<str:reference>/renovation/workers/<int:pk>/remove/",
        views.renovation_worker_remove,
        name="renovation_worker_remove",
    ),
    path("<str:reference>/renovation/issue/", views.renovation_issue, name="renovation_issue"),
    path("<str:reference>/renovation/permit/", views.renovation_permit, name="renovation_permit"),
    path("<str:reference>/repair/", views.repair_page, name="repair"),
    path("<str:reference>/repair/reschedule/", views.repair_reschedule, name="repair_reschedule"),
    path("<str:reference>/repair/arrived/", views.repair_arrived, name="repair_arrived"),
]
