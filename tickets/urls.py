from django.urls import path

from tickets.views import aftersales as aftersales_views
from tickets.views import customers, desk, ticket_detail, ticket_list
from tickets.views import inquiry as inquiry_views
from tickets.views import materials as materials_views

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
    path("inquiries/new/", inquiry_views.inquiry_new, name="inquiry_new"),
    path("inquiries/reminders/", inquiry_views.inquiry_reminders, name="inquiry_reminders"),
    path("customers/lookup/", inquiry_views.customer_lookup, name="customer_lookup"),
    # --- materials checklist and service confirmation form ---
    path("tickets/<str:reference>/materials/start/", materials_views.materials_start, name="materials_start"),
    path("tickets/<str:reference>/materials/add-new/", materials_views.materials_add_new, name="materials_add_new"),
    path("tickets/<str:reference>/materials/<int:pk>/mark/", materials_views.material_mark, name="material_mark"),
    path(
        "tickets/<str:reference>/materials/confirm-missing/",
        materials_views.materials_confirm_missing,
        name="materials_confirm_missing",
    ),
    path("tickets/<str:reference>/confirmation-form/", materials_views.confirmation_form, name="confirmation_form"),
    path(
        "tickets/<str:reference>/confirmation-form/print/",
        materials_views.confirmation_print,
        name="confirmation_print",
    ),
    # --- after-sales: billing, payment, receipt, completion notice, document return ---
    path("tickets/<str:reference>/aftersales/bill/", aftersales_views.aftersales_bill, name="aftersales_bill"),
    path("tickets/<str:reference>/aftersales/payment/", aftersales_views.aftersales_payment, name="aftersales_payment"),
    path(
        "tickets/<str:reference>/aftersales/document/", aftersales_views.aftersales_document, name="aftersales_document"
    ),
    path("tickets/<str:reference>/aftersales/notice/", aftersales_views.aftersales_notice, name="aftersales_notice"),
    path("tickets/<str:reference>/aftersales/returns/", aftersales_views.aftersales_return, name="aftersales_return"),
    path(
        "tickets/<str:reference>/aftersales/returns/<int:pk>/receipt/",
        aftersales_views.aftersales_receipt,
        name="aftersales_receipt",
    ),
    path("finance/", aftersales_views.finance_bills, name="finance_bills"),
]
