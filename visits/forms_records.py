"""Forms of the ID copy and incident pages (V5, V6): input shape only.

The rules (an image, not too large, a time not in the future, one incident per ticket, the
report before the typical flag) live in visits.records; the views put any InvalidInput it
raises on the field it names.
"""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from tickets.forms import DeskForm, _text
from visits.models_records import IncidentType
from visits.records import id_copy_max_bytes


class IdCopyForm(DeskForm):
    prefix_id = "idcopy"

    purpose = _text(
        _("For what purpose"),
        required=True,
        max_length=30,
        help_text=_("Stamped across the copy as “仅供×××使用” with today's date, e.g. 办理入伙."),
    )
    file = forms.FileField(label=_("Photo or scan of the ID document"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].widget.attrs["placeholder"] = "办理入伙"
        field = self.fields["file"]
        field.help_text = _("JPEG, PNG or WebP; up to %(size)s. Only the watermarked copy is kept.") % {
            "size": filesizeformat(id_copy_max_bytes())
        }
        field.widget.attrs["accept"] = "image/jpeg,image/png,image/webp"


class IncidentForm(DeskForm):
    prefix_id = "incident"

    type = forms.ChoiceField(label=_("Incident type"), choices=IncidentType.choices, widget=forms.RadioSelect)
    occurred_at = forms.DateTimeField(
        label=_("Time of the incident"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = _text(_("Place"), required=True, max_length=100, help_text=_("For example the reception hall."))
    people_involved = _text(
        _("People involved"), required=True, max_length=1000, rows=2, help_text=_("Names, unit or identity, how many.")
    )
    description = _text(_("What happened"), required=True, max_length=4000, rows=4)
    handling = _text(_("How it was handled"), required=True, max_length=4000, rows=4)
    people_called = _text(
        _("Who was called"),
        max_length=1000,
        rows=2,
        help_text=_("Who was told or came to the scene, e.g. the CS manager, the HR officer, the general manager."),
    )


class IncidentReportForm(DeskForm):
    prefix_id = "report"

    result = _text(_("Result"), required=True, max_length=4000, rows=4, help_text=_("How the incident ended."))
    improvement = _text(_("Lessons and improvements"), max_length=4000, rows=3)


class TypicalCaseForm(DeskForm):
    prefix_id = "typical"

    note = _text(
        _("Why it is typical"),
        required=True,
        max_length=2000,
        rows=3,
        help_text=_("What new colleagues should learn from it."),
    )


class TypicalFilterForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Incident type"),
        required=False,
        choices=[("", _("All types")), *IncidentType.choices],
    )
