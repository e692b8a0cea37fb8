"""Walk-in visits: reception, the staff console, the lobby board, and the counter business."""

from django.urls import include, path

app_name = "visits"

# Each part of the visits app includes its own URL module here.
urlpatterns: list = [
    path("", include("visits.urls_queue")),
]
