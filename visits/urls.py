"""Walk-in visits: reception, the staff console, the lobby board, and the counter business."""

from django.urls import include, path

app_name = "visits"

# Each part of the visits app has its own URL module; pages of one ticket are /visits/<reference>/….
urlpatterns: list = [
    path("", include("visits.urls_queue")),
    path("", include("visits.urls_messages")),
    path("", include("visits.urls_release")),
    path("", include("visits.urls_records")),
    path("", include("visits.urls_renovation")),
]
