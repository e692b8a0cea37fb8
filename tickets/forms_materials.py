"""Forms of the materials panel and the service confirmation form: input shape only.

The rules (a returned document needs a reason, an invoice needs its title, name and tick go
together, the attachment limits) live in tickets.materials; the views put any InvalidInput it
raises on the field it names.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scripts_lib.models import ServiceType
from tickets.forms import DeskForm, describe_attachment_limits
from tickets.models import MaterialCheck


def _service_types(current: ServiceType | None = None):
    """Active service types, plus the one already chosen even if it was retired since."""
    condition = Q(is_active=True)
    if current is not None:
        condition |= Q(pk=current.pk)
    return ServiceType.objects.filter(condition).order_by("sort_order", "name")


class MaterialsStartForm(DeskForm):
    prefix_id = "materials_start"

    service_type = forms.ModelChoiceField(
        label=_("Service type"),
        queryset=ServiceType.objects.none(),
        required=False,
        empty_label=_("— choose —"),
        help_text=_("The checklist is copied from this service type's list of documents."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = _service_types()


class MaterialMarkForm(DeskForm):
    """One row's quick buttons: the button pressed carries the state; a return carries a reason."""

    state = forms.ChoiceField(
        label=_("State"),
        choices=[
            (MaterialCheck.State.RECEIVED, MaterialCheck.State.RECEIVED.label),
            (MaterialCheck.State.MISSING, MaterialCheck.State.MISSING.label),
            (MaterialCheck.State.RETURNED, MaterialCheck.State.RETURNED.label),
        ],
        error_messages={"required": _("Choose received, missing or returned.")},
    )
    reason = forms.CharField(
        label=_("Why it is returned"),
        required=False,
        max_length=300,
        help_text=_("False or unsuitable material: what is wrong, so the customer can bring the right one."),
    )

    def __init__(self, *args, material: MaterialCheck, **kwargs):
        self.prefix_id = f"material{material.pk}"
        self.material = material
        super().__init__(*args, **kwargs)


class MissingConfirmationForm(DeskForm):
    """The customer's written confirmation: their name as signed with the tick, or a signed scan."""

    prefix_id = "missing_confirm"

    signed_name = forms.CharField(label=_("Customer's name as signed"), required=False, max_length=100)
    is_confirmed = forms.BooleanField(
        label=_(
            "The customer confirmed in writing that these documents are missing and accepts that the service "
            "may be delayed or refused without them."
        ),
        required=False,
    )
    # Type, size and emptiness are checked by the attachment service, so its limits live in one place.
    scan = forms.FileField(
        label=_("Or upload the signed confirmation (scan or photo)"), required=False, allow_empty_file=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        describe_attachment_limits(self.fields["scan"])


class ServiceConfirmationForm(DeskForm):
    """The service confirmation form (咨询服务确认表, A1)."""

    prefix_id = "confirmation"

    service_type = forms.ModelChoiceField(
        label=_("Service type"), queryset=ServiceType.objects.none(), empty_label=_("— choose —")
    )
    estimated_time = forms.CharField(
        label=_("Estimated service time"),
        max_length=100,
        help_text=_("For example: 10 working days after the documents are complete."),
    )
    fee_amount = forms.DecimalField(
        label=_("Fees (yuan)"), min_value=0, max_digits=10, decimal_places=2, widget=forms.NumberInput({"step": "0.01"})
    )
    fee_covers = forms.CharField(label=_("What the fee covers"), required=False, max_length=300)
    invoice_needed = forms.BooleanField(label=_("The customer needs an invoice"), required=False)
    invoice_title = forms.CharField(
        label=_("Invoice title"),
        required=False,
        max_length=200,
        help_text=_("Required when an invoice is needed: the company or person named on it."),
    )
    after_service = forms.CharField(
        label=_("After the service"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 3}),
        help_text=_("How the customer is told, how documents come back (in person or by courier), what they do next."),
    )

    def __init__(self, *args, current_type: ServiceType | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = _service_types(current_type)
