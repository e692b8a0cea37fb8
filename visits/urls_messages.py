"""Messages for absent colleagues (V3): /visits/messages/ and /visits/<reference>/message/."""

from django.urls import path

from visits.views import messages

urlpatterns = [
    path("messages/", messages.message_list, name="message_list"),
    path("messages/<int:pk>/handled/", messages.message_handled, name="message_handled"),
    path("<str:reference>/message/", messages.message_take, name="message_take"),
]
