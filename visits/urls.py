"""Walk-in visits: reception, the staff console, the lobby board, and the counter business."""

app_name = "visits"

# Each part of the visits app includes its own URL module here.
urlpatterns: list = []
