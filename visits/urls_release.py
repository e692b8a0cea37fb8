"""The release slip and desk payment pages, under /visits/ (included by visits/urls.py)."""

from django.urls import path

from visits.views import release

urlpatterns = [
    path("invoices-owed/", release.invoices_owed, name="payment_invoices_owed"),
    path("<str:reference>/release/", release.release_page, name="release_page"),
    path("<str:reference>/release/confirm/", release.release_confirm, name="release_confirm"),
    path("<str:reference>/release/issue/", release.release_issue, name="release_issue"),
    path("<str:reference>/release/<str:number>/", release.release_slip, name="release_slip"),
    path("<str:reference>/payment/", release.payment_page, name="payment_page"),
    path("<str:reference>/payment/<str:receipt>/invoice/", release.payment_invoice, name="payment_invoice"),
    path("<str:reference>/payment/<str:receipt>/", release.payment_receipt, name="payment_receipt"),
]
