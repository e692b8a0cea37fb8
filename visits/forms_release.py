"""Forms of the release slip and desk payment pages: input shape only. The rules (arrears, the
owner's confirmation, amounts, choices) are the services' (visits.release), whose refusals the
views put on the field they name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.forms import DeskForm
from visits.models_release import CounterPayment, Mover, OwnerConfirmation

ITEM_ROWS = 8


def _text(label, *, max_length: int, required: bool = False, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, widget=forms.TextInput(attrs=attrs or None)
    )


class UnitLookupForm(DeskForm):
    prefix_id = "lookup"

    unit = _text(_("Unit"), max_length=50, required=True, placeholder=_("e.g. 3栋1502"))


class OwnerConfirmForm(DeskForm):
    prefix_id = "confirm"

    unit = forms.CharField(widget=forms.HiddenInput, max_length=50)
    confirmed_by = _text(_("Who confirmed"), max_length=100)
    method = forms.ChoiceField(label=_("How"), choices=OwnerConfirmation.Method.choices, widget=forms.RadioSelect)
    confirmed_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    note = _text(_("Note"), max_length=300)

    def __init__(self, *args, owner_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed_by"].help_text = _("Leave blank for the owner on the account (%(owner)s).") % {
            "owner": owner_name or "—"
        }
        self.fields["confirmed_at"].help_text = _("Leave blank for now.")


class ReleaseIssueForm(DeskForm):
    prefix_id = "release"

    unit = forms.CharField(widget=forms.HiddenInput, max_length=50)
    mover = forms.ChoiceField(label=_("Who is moving out"), choices=Mover.choices, widget=forms.RadioSelect)
    person_name = _text(_("Name"), max_length=100)
    person_phone = _text(_("Phone"), max_length=30, inputmode="tel")
    note = _text(_("Note"), max_length=300)

    def __init__(self, *args, rows: int = ITEM_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_rows = []
        for index in range(rows):
            self.fields[f"item_{index}"] = _text(_("Item %(row)s") % {"row": index + 1}, max_length=100)
            self.fields[f"quantity_{index}"] = _text(
                _("Quantity of item %(row)s") % {"row": index + 1}, max_length=4, inputmode="numeric"
            )
        self.fields["person_name"].help_text = _("Leave blank for the name on the account.")

    def rows(self):
        """(item field, quantity field) pairs, for the template."""
        count = sum(1 for name in self.fields if name.startswith("item_"))
        return [(self[f"item_{index}"], self[f"quantity_{index}"]) for index in range(count)]

    def items(self) -> list[dict[str, str]]:
        count = sum(1 for name in self.fields if name.startswith("item_"))
        return [
            {"item": self.cleaned_data.get(f"item_{index}", ""), "quantity": self.cleaned_data.get(f"quantity_{index}")}
            for index in range(count)
        ]


class PaymentForm(DeskForm):
    prefix_id = "payment"

    amount = _text(_("Amount (yuan)"), max_length=20, required=True, inputmode="decimal")
    purpose = _text(_("Paid for"), max_length=200, required=True, placeholder=_("e.g. management fee, March 2026"))
    method = forms.ChoiceField(label=_("Payment method"), choices=CounterPayment.Method.choices)
    payer_name = _text(_("Payer"), max_length=100, required=True)
    payer_phone = _text(_("Payer's phone"), max_length=30, inputmode="tel")
    unit = _text(_("Unit"), max_length=50)


class InvoiceDeliverForm(DeskForm):
    prefix_id = "invoice"

    invoice_number = _text(_("Invoice number"), max_length=50, required=True)
    delivery = forms.ChoiceField(label=_("How delivered"), choices=CounterPayment.Delivery.choices)

    def __init__(self, *args, receipt_number: str = "", **kwargs):
        if receipt_number:
            kwargs.setdefault("auto_id", f"id_invoice_{receipt_number}_%s")
        super().__init__(*args, **kwargs)
