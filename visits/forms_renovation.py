"""Forms of the renovation permit and repair request pages: input shape only. The rules (ID
number check digit, photo type and size, dates, the promised time in the future) are the
services' in visits/renovation.py; the views put their refusals on the field they name."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from tickets.forms import DeskForm
from visits import renovation
from visits.models_renovation import RepairRequest

DATETIME_INPUTS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _text(label, *, required=False, max_length=None, **kwargs):
    return forms.CharField(label=label, required=required, max_length=max_length, **kwargs)


def _document_file(label):
    return forms.FileField(label=label, required=False)


class RenovationForm(DeskForm):
    prefix_id = "renovation"

    unit = _text(_("Unit"), required=True, max_length=100, help_text=_("Building, entrance and room, e.g. 3栋2单元501"))
    owner_name = _text(_("Owner"), required=True, max_length=100)
    owner_phone = _text(_("Owner's phone"), max_length=30)
    contractor_name = _text(_("Contractor"), required=True, max_length=200)
    contractor_licence_no = _text(
        _("Business licence number"),
        required=True,
        max_length=18,
        help_text=_("Unified social credit code on the contractor's business licence"),
    )
    contractor_contact = _text(_("Site manager"), max_length=100)
    contractor_phone = _text(_("Site manager's phone"), max_length=30)
    works = _text(_("Works"), max_length=300, help_text=_("What will be done, e.g. kitchen and bathroom refit"))
    period_start = forms.DateField(label=_("Works start"), widget=DateInput())
    period_end = forms.DateField(label=_("Works end"), widget=DateInput())
    has_business_licence = forms.BooleanField(label=_("Contractor's business licence seen"), required=False)
    business_licence_file = _document_file(_("Business licence scan"))
    has_qualification = forms.BooleanField(label=_("Qualification certificate seen"), required=False)
    qualification_file = _document_file(_("Qualification certificate scan"))
    has_drawings = forms.BooleanField(label=_("Construction drawings seen"), required=False)
    drawings_file = _document_file(_("Drawings scan"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("owner_phone", "contractor_phone"):
            self.fields[name].widget.input_type = "tel"

    @property
    def document_rows(self):
        """Each document as (tick box, scan upload) for the template."""
        return [
            (self["has_business_licence"], self["business_licence_file"]),
            (self["has_qualification"], self["qualification_file"]),
            (self["has_drawings"], self["drawings_file"]),
        ]


class WorkerForm(DeskForm):
    prefix_id = "worker"

    name = _text(_("Worker's name"), required=True, max_length=50)
    id_number = _text(_("ID number"), required=True, max_length=18)
    photo = forms.FileField(label=_("One-inch photo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        describe_photo_limits(self.fields["photo"])
        self.fields["id_number"].widget.attrs["autocomplete"] = "off"


class WorkerPhotoForm(DeskForm):
    prefix_id = "worker_photo"

    photo = forms.FileField(label=_("Photo"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        describe_photo_limits(self.fields["photo"])


def describe_photo_limits(field: forms.FileField) -> None:
    field.help_text = _("JPEG or PNG; up to %(size)s.") % {"size": filesizeformat(renovation.photo_max_bytes())}
    field.widget.attrs["accept"] = ".jpg,.jpeg,.png,image/jpeg,image/png"


class RepairForm(DeskForm):
    prefix_id = "repair"

    unit = _text(_("Unit"), required=True, max_length=100)
    problem = _text(_("Problem"), required=True, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    scope = forms.ChoiceField(
        label=_("Engineering's scope"), choices=RepairRequest.Scope.choices, widget=forms.RadioSelect
    )
    contact_phone = _text(
        _("Customer's phone"), max_length=30, help_text=_("Blank: the phone on the ticket. Needed to call ahead.")
    )
    promised_at = forms.DateTimeField(
        label=_("Promised arrival"),
        required=False,
        input_formats=DATETIME_INPUTS,
        widget=DateTimeInput(),
        help_text=_("The time agreed with engineering and told to the customer."),
    )
    referred_to = _text(
        _("Referred to"), max_length=200, help_text=_("The specialist or company the customer was sent to")
    )
    referral_number = _text(_("Referral number given"), max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_phone"].widget.input_type = "tel"


class RescheduleForm(DeskForm):
    prefix_id = "reschedule"

    new_time = forms.DateTimeField(
        label=_("New agreed time"), input_formats=DATETIME_INPUTS, widget=DateTimeInput(), required=False
    )
    reason = _text(_("Reason"), required=True, max_length=300, help_text=_("Why the engineer cannot come as promised"))
