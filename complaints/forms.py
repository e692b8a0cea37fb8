"""Forms of the complaint pages: they shape input; complaints.services judges it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import ReturnVisit, Severity
from tickets.forms import ColleagueChoiceField, DeskForm
from tickets.models import Department, ProblemType, Ticket
from tickets.selectors import staff_list_for_handoff

TEXTAREA = {"rows": 3}


class StaffMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user) -> str:
        return ColleagueChoiceField.label_from_instance(self, user)


class AcceptForm(DeskForm):
    prefix_id = "accept"

    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("What the customer complains about"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Write down the customer's words as they were said."),
    )
    problem_type = forms.ChoiceField(label=_("Problem type"), choices=ProblemType.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MINOR)
    promised_hours = forms.DecimalField(
        label=_("Reply promised within (hours)"),
        min_value=0,
        max_digits=5,
        decimal_places=1,
        required=False,
        help_text=_("What you tell the customer: “we will reply within … hours”. Blank: the policy's default."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Ticket.Channel.choices, initial=Ticket.Channel.PHONE)
    contact_name = forms.CharField(label=_("Customer's name"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Customer's phone"), max_length=30, required=False)


class RouteForm(DeskForm):
    prefix_id = "route"

    department = forms.ModelChoiceField(
        label=_("Responsible department"),
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("— by the routing rules —"),
    )


class ReportForm(DeskForm):
    prefix_id = "report"

    investigation = forms.CharField(label=_("Investigation"), widget=forms.Textarea(attrs=TEXTAREA))
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs=TEXTAREA))
    staff_involved = StaffMultipleChoiceField(
        label=_("Staff involved"),
        queryset=staff_list_for_handoff(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    staff_involved_note = forms.CharField(label=_("Others involved"), max_length=300, required=False)
    penalty_opinion = forms.CharField(
        label=_("Penalty opinion"),
        widget=forms.Textarea(attrs=TEXTAREA),
        required=False,
        help_text=_("Seen only by department heads, supervisors and administrators."),
    )
    corrective_action = forms.CharField(
        label=_("Corrective action to prevent a repeat"), widget=forms.Textarea(attrs=TEXTAREA)
    )
    is_upheld = forms.TypedChoiceField(
        label=_("Is the complaint upheld?"),
        choices=[("yes", _("Yes: the customer was right")), ("no", _("No: not upheld"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, may_see_penalty: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_see_penalty:
            del self.fields["penalty_opinion"]


class ReturnVisitForm(DeskForm):
    prefix_id = "revisit"

    verdict = forms.ChoiceField(
        label=_("Customer's verdict"), choices=ReturnVisit.Verdict.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("Customer's comment"), widget=forms.Textarea(attrs=TEXTAREA), required=False)
