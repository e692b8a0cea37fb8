from django.urls import path

from tickets.views import customers, desk, ticket_detail, ticket_list

app_name = "desk"

urlpatterns = [
    path("", desk.home, name="home"),
    path("notifications/<int:pk>/read/", desk.notification_read, name="notification_read"),
    path("tickets/", ticket_list.ticket_list, name="ticket_list"),
    path("tickets/<str:reference>/", ticket_detail.ticket_detail, name="ticket_detail"),
    path("tickets/<str:reference>/review/", desk.ticket_review, name="ticket_review"),
    path("tickets/<str:reference>/act/<str:verb>/", ticket_detail.ticket_action, name="ticket_action"),
    path("tickets/<str:reference>/notes/", ticket_detail.ticket_note, name="ticket_note"),
    path("tickets/<str:reference>/attachments/", ticket_detail.ticket_attach, name="ticket_attach"),
    path(
        "tickets/<str:reference>/attachments/<int:pk>/",
        ticket_detail.attachment_download,
        name="attachment_download",
    ),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    # --- new inquiry screen ---
    # --- materials checklist and service confirmation form ---
    # --- after-sales: billing, payment, receipt, completion notice, document return ---
]
