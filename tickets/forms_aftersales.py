"""Forms of the after-sales panel (A4, A5): input shape only.

The rules (an amount above zero, a due date not in the past, payment before the invoice, an
invoice title, the courier details, a note when a parcel did not arrive) live in
tickets.aftersales; the views put any InvalidInput it raises on the field it names. Field names
match the services' arguments, so an error lands where it belongs.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.forms import DeskForm, PhraseOverrideMixin, _text
from tickets.models import Bill, DocumentReturn


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


class BillForm(DeskForm):
    prefix_id = "bill"

    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        help_text=_("As agreed with the customer on the service confirmation form."),
    )
    payment_due = _date(_("Pay by"), help_text=_("Remind the customer of this date, by how urgent the case is."))
    payment_method = _text(_("Payment method"), max_length=50, help_text=_("For example bank transfer, WeChat Pay."))


class PaymentForm(DeskForm):
    prefix_id = "payment"

    payment_method = _text(_("Paid by"), max_length=50, help_text=_("Blank: the method on the bill."))


class BillDocumentForm(DeskForm):
    prefix_id = "document"

    kind = forms.ChoiceField(label=_("Issue"), choices=Bill.Document.choices, widget=forms.RadioSelect)
    number = _text(_("Number"), required=True, max_length=50)
    title = _text(
        _("Title (made out to)"),
        max_length=200,
        help_text=_("Needed for an invoice. Blank: the invoice title on the service confirmation form."),
    )


class CustomerNoticeForm(PhraseOverrideMixin, DeskForm):
    prefix_id = "notice"

    text = _text(
        _("Message to the customer"),
        max_length=500,
        rows=4,
        help_text=_("Sent by text message to the customer's phone. Blank: the standard notice."),
    )


class DocumentReturnForm(DeskForm):
    prefix_id = "return"

    method = forms.ChoiceField(
        label=_("How the documents go back"), choices=DocumentReturn.Method.choices, widget=forms.RadioSelect
    )
    documents = _text(
        _("Documents returned"), required=True, max_length=300, help_text=_("For example: passport, visa page copy.")
    )
    collected_by = _text(_("Collected by"), max_length=100, help_text=_("In person: the name of who collected them."))
    collected_at = forms.DateTimeField(
        label=_("Collected at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Blank: now."),
    )
    courier_company = _text(_("Courier company"), max_length=100)
    tracking_number = _text(_("Tracking number"), max_length=50)
    courier_phone = _text(_("Courier's phone for tracking"), max_length=30)
    expected_arrival = _date(_("Expected arrival"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["courier_phone"].widget.input_type = "tel"


class ReceiptCallForm(DeskForm):
    """The call to confirm one courier parcel arrived; each parcel has its own form on the page."""

    result = forms.ChoiceField(
        label=_("What the customer said"), choices=DocumentReturn.Receipt.choices, widget=forms.RadioSelect
    )
    note = _text(_("Note"), max_length=300, rows=2, help_text=_("Required when the parcel has not arrived."))

    def __init__(self, *args, document_return: DocumentReturn, **kwargs):
        self.prefix_id = f"receipt{document_return.pk}"
        self.document_return = document_return
        super().__init__(*args, **kwargs)
