"""Forms of reception and the staff console: they shape input; the services judge it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.forms import ColleagueChoiceField, DeskForm
from tickets.selectors import staff_list_for_handoff
from visits.models import Purpose, Visit


class CheckInForm(DeskForm):
    prefix_id = "checkin"

    visitor_name = forms.CharField(label=_("Visitor's name"), max_length=100)
    visitor_phone = forms.CharField(label=_("Phone (optional)"), max_length=30, required=False)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, initial=Purpose.PAYMENT)
    party_size = forms.IntegerField(label=_("Party size"), min_value=1, max_value=50, initial=1)
    host = ColleagueChoiceField(
        label=_("Whom they are visiting"),
        queryset=staff_list_for_handoff(),
        required=False,
        empty_label=_("— nobody in particular —"),
    )
    is_urgent = forms.BooleanField(label=_("Urgent"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.TextInput())


class PresenceForm(DeskForm):
    prefix_id = "presence"

    is_available = forms.BooleanField(label=_("Available"), required=False)
    counter = forms.CharField(label=_("Counter"), max_length=30, required=False)


class CallNextForm(DeskForm):
    prefix_id = "callnext"

    line = forms.ChoiceField(label=_("Line"), choices=[("", _("Any line"))], required=False)

    def __init__(self, *args, **kwargs):
        from visits.selectors import line_choices

        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", _("Any line")), *line_choices()]


class TransferForm(DeskForm):
    prefix_id = "transfer"

    to_user = ColleagueChoiceField(label=_("Colleague"), queryset=staff_list_for_handoff(), empty_label=_("— choose —"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class FinishForm(DeskForm):
    prefix_id = "finish"

    outcome = forms.ChoiceField(label=_("Outcome"), choices=Visit.Outcome.choices, initial=Visit.Outcome.SERVED)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class EscalateForm(DeskForm):
    prefix_id = "escalate"

    reason = forms.CharField(label=_("What the customer asked for"), max_length=500, required=False)
